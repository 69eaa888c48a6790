"""The Trade-off and Formats rooms' results shipped for each distribution's default tensor
(assets/precomputed/synthetic-rooms.json, quantviz_app/shipped.py): each equal to what the
library computes now, the page reading them instead of computing, and every other tensor
computed as before."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from quantviz_app import data as page_data
from quantviz_app import shipped
from quantviz_app.rooms import formats, tradeoff
from quantviz_app.schema import BY_KEY

spec = importlib.util.spec_from_file_location(
    "precompute_rooms", shipped.ASSETS.parent / "scripts" / "precompute_rooms.py"
)
precompute = importlib.util.module_from_spec(spec)
spec.loader.exec_module(precompute)


def tensor(key: tuple):
    """The synthetic tensor a shipped key names, drawn again by the library."""
    kind, dist, n, seed, params = key
    assert kind == "synthetic"
    return page_data.synthetic(dist, n, seed, dict(params)).x


def test_every_distribution_default_tensor_is_shipped_for_both_rooms():
    loaded = shipped._load()
    tensors = precompute.default_tensors()
    assert [d.key[1] for d, _ in tensors] == list(BY_KEY["dist"].options)
    for data, s in tensors:
        assert shipped.formats(data.key) is not None
        keys = precompute.sweep_keys(data, s)
        assert len(keys) == 3  # min-max, percentile, ACIQ (Laplace): the page's default
        assert all((data.key, key) in loaded["sweeps"] for key in keys)


@pytest.mark.parametrize("dist", BY_KEY["dist"].options)
def test_the_shipped_sweeps_are_what_the_library_computes(dist):
    sweeps = [(k, o, t) for (k, o), t in shipped._load()["sweeps"].items() if k[1] == dist]
    assert len(sweeps) == 3
    for key, options, table in sweeps:
        expected = tradeoff.computed_sweep(tensor(key), dict(options))
        pd.testing.assert_frame_equal(table, expected, check_exact=True)


@pytest.mark.parametrize("dist", BY_KEY["dist"].options)
def test_a_shipped_formats_table_is_what_the_library_computes(dist):
    key = next(k for k in shipped._load()["formats"] if k[1] == dist)
    found = formats.from_shipped(shipped.formats(key))
    expected = formats.formats_table(tensor(key))
    pd.testing.assert_frame_equal(found.rows, expected.rows, check_exact=True)
    pd.testing.assert_frame_equal(found.line, expected.line, check_exact=True)
    assert (found.group_size, found.refused, found.measured) == (
        expected.group_size, expected.refused, expected.measured)  # fmt: skip


def test_the_shipped_grids_are_the_formats_grids():
    pd.testing.assert_frame_equal(shipped.grids(), formats.computed_grids(), check_exact=True)


def test_the_default_page_reads_the_shipped_sweeps_and_formats(open_app, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("computed, not read from the shipped file")

    monkeypatch.setattr(tradeoff, "computed_sweep", refuse)
    monkeypatch.setattr(formats, "formats_table", refuse)
    at = open_app()  # the Trade-off room, the default page's
    assert any("Trade-off" in s.value for s in at.subheader)
    at = open_app(room="Formats", dist="normal")
    assert any("Formats" in s.value for s in at.subheader)


def test_another_tensor_is_computed_not_shipped(open_app, monkeypatch):
    """The check above can fail: a seed the file does not hold is computed, and an upload's
    key ("file", its id, the tensor) never matches a shipped one."""
    calls = []
    real = tradeoff.computed_sweep
    monkeypatch.setattr(tradeoff, "computed_sweep", lambda x, o: calls.append(o) or real(x, o))
    open_app(seed="7")
    assert len(calls) == 3
    key = next(iter(shipped._load()["sweeps"]))[1]
    assert shipped.sweep(("file", "an upload's id", "weight"), key) is None
