"""What the views hand to the browser: specs that never change with the bit width, and data
that says exactly what the core computed."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import quantviz as qv
from quantviz_app import charts
from quantviz_app.cache import Store
from quantviz_app.data import Data
from quantviz_app.rooms import channels, staircase, tradeoff
from quantviz_app.schema import Settings
from quantviz_app.views import histograms


def tensor(x: np.ndarray, name: str = "t") -> Data:
    return Data(("synthetic", name), x, name, None, 0, Store(10**9))


@pytest.fixture(scope="module")
def laplace() -> Data:
    return tensor(qv.sample("laplace", n=20_000, seed=0), "laplace")


def test_the_original_histogram_does_not_change_with_the_bit_width(laplace):
    # from 4 bits on, its picture and its data are the same: the browser redraws nothing
    first = histograms.datasets(laplace, laplace.quantized({"bits": 4}))
    for bits in (5, 8, 16):
        sets = histograms.datasets(laplace, laplace.quantized({"bits": bits}))
        names = charts.data_names(charts.histogram_spec("original", log=False))
        for name in names - {"now"}:  # "now": the width the server drew (histograms.draw)
            pd.testing.assert_frame_equal(sets[name], first[name])


def test_a_bit_move_changes_the_data_never_the_spec(laplace):
    # The browser updates a chart in place only when its spec is the same.
    specs = set()
    for bits in (1, 4, 8, 12, 16):
        r = laplace.quantized({"bits": bits})
        sets = histograms.datasets(laplace, r)
        for panel in ("original", "quantized"):
            spec = charts.with_data(charts.histogram_spec(panel, log=False), sets)
            spec.pop("datasets")
            specs.add((panel, json.dumps(spec, sort_keys=True)))
    assert len(specs) == 2


def test_histogram_data_of_a_small_case():
    # 2 bits on [0, 3]: levels 0, 1, 2, 3 and clipping boundaries half a step outside
    x = np.float32([0.0, 0.4, 0.6, 1.4, 2.6, 3.0, 3.0])
    d = tensor(x)
    r = d.quantized({"bits": 2})
    sets = histograms.datasets(d, r)
    assert sets["spikes"]["level"].tolist() == [0.0, 1.0, 3.0]  # used levels only
    assert sets["spikes"]["count"].tolist() == [2, 2, 3]
    assert sets["levels"]["level"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert sets["clip"]["x"].tolist() == [-0.5, 3.5]
    assert sets["original"]["count"].sum() == 7
    assert sets["title_original"]["text"].tolist() == ["Original: 7 values (bins 0.013 wide)"]
    assert sets["title_quantized"]["text"].tolist() == [
        "After 2-bit quantization\n3 of 4 levels used"  # two short lines (see charts)
    ]


def test_past_256_levels_the_quantized_values_are_counted_per_bin(laplace):
    r = laplace.quantized({"bits": 9})
    sets = histograms.datasets(laplace, r)
    assert sets["spikes"].empty and sets["levels"].empty
    assert sets["qbins"]["count"].sum() == laplace.size


def test_a_16_bit_title_counts_exactly_on_two_short_lines(laplace):
    sets = histograms.datasets(laplace, laplace.quantized({"bits": 16}))
    title = sets["title_quantized"]["text"].iloc[0]
    assert re.fullmatch(r"After 16-bit quantization\n\d{1,2},\d{3} of 65,536 levels used", title)


def test_a_chart_title_never_widens_its_chart():
    """A text wider than the plot makes Vega shrink the plot (autosize fit-x): every title is
    cut at the plot's width instead, and the quantized panel leaves room for two lines."""
    for panel in ("original", "quantized"):
        spec = charts.histogram_spec(panel, log=False)
        (title,) = [x for x in spec["layer"] if x["mark"]["type"] == "text"]
        assert title["mark"]["limit"] == {"expr": "width"}
    two = charts.histogram_spec("quantized", log=False)
    assert two["layer"][-1]["mark"]["lineBreak"] == "\n"
    assert two["padding"]["top"] > charts.histogram_spec("original", log=False)["padding"]["top"]


def test_only_the_datasets_a_spec_draws_are_sent_and_never_empty():
    spec = {"layer": [{"data": {"name": "levels"}, "mark": "rule"}]}
    sent = charts.with_data(spec, {"levels": pd.DataFrame({"level": []}),
                                   "spikes": pd.DataFrame({"level": [1.0]})})  # fmt: skip
    assert list(sent["datasets"]) == ["levels"]  # the browser refuses a dataset it does not use
    frame = sent["datasets"]["levels"]
    assert len(frame) == 1 and frame["level"].isna().all()


def test_staircase_and_error_data(laplace):
    r = laplace.quantized({"bits": 3, "strategy": "percentile", "percentile": 99.0})
    stairs = staircase.staircase_datasets(laplace, r)
    assert stairs["stairs"]["y"].nunique() == 8  # every level of the 3-bit grid in view
    errors = staircase.error_datasets(laplace, r)
    # the 99th percentile clips 116 of the 20,000 values; a step is 0.94265 wide, so the
    # rounding error runs from −0.47133 to 0.47133 (the dashed bounds)
    assert errors["clipping"]["count"].sum() == 116
    assert errors["rounding"]["count"].sum() == 20_000 - 116
    assert errors["bounds"]["x"].tolist() == pytest.approx([-0.471326, 0.471326], abs=1e-6)


def test_the_channel_view_says_when_entropy_became_min_max():
    d = tensor(qv.sample("layer", n=8_192, seed=0), "layer")
    s = Settings.of({"granularity": "channel", "strategy": "entropy"})
    kwargs, notes = channels.variants(s, d.shape)
    assert kwargs["per tensor"]["strategy"] == "entropy"
    assert kwargs["per channel"]["strategy"] == "minmax"
    assert notes == [
        "Entropy (KL) calibration works per tensor only (as in TensorRT), so per-channel "
        "quantization uses min-max here."
    ]


def test_the_tradeoff_reference_is_uniform_data_on_a_min_max_grid(laplace):
    s = Settings()
    table = tradeoff.sweep_table(laplace, tradeoff.sweep_options(s, laplace.shape, "minmax"))
    sets = tradeoff.datasets(table, laplace.quantized({"bits": 4}))
    ref = sets["curves"][sets["curves"]["series"] == tradeoff.REFERENCE]
    assert ref["sqnr_db"].round(1).tolist()[:4] == [0.0, 9.5, 16.9, 23.5]
    assert sets["current"]["bits"].tolist() == [4]


def test_a_sweep_is_cached_per_tensor_and_options_not_per_bit_width():
    laplace = tensor(qv.sample("laplace", n=2_000, seed=5))
    store_before = len(laplace.store)
    options = tradeoff.sweep_options(Settings().replace(bits=7), laplace.shape, "minmax")
    assert "bits" not in options
    tradeoff.sweep_table(laplace, options)
    tradeoff.sweep_table(laplace, tradeoff.sweep_options(Settings().replace(bits=2),
                                                          laplace.shape, "minmax"))  # fmt: skip
    assert len(laplace.store) == store_before + 1


def test_the_number_line_draws_each_value_its_level_and_the_codes():
    from quantviz.worked import worked_example
    from quantviz_app.views import worked

    sets = worked.datasets(worked_example([1.2, 2.3, 3.4, 4.5, 5.6], 3), followed=2)
    assert sets["levels"]["code"].tolist() == list(range(8))
    assert sets["levels"]["label"].tolist() == [str(c) for c in range(8)]
    np.testing.assert_allclose(sets["levels"]["level"], [0.8 * c for c in range(8)], rtol=1e-6)
    np.testing.assert_allclose(sets["moves"]["xhat"], [1.6, 2.4, 3.2, 4.8, 5.6], rtol=1e-6)
    assert sets["moves"]["followed"].tolist() == [False, True, False, False, False]
    assert charts.data_names(charts.number_line_spec()) == set(sets)
    # 6 bits: 64 ticks without labels; 9 bits: 512 levels, too many ticks to draw
    six = worked.datasets(worked_example([1.2, 5.6], 6), followed=1)["levels"]
    assert len(six) == 64 and six["label"].isna().all()
    assert worked.datasets(worked_example([1.2, 5.6], 9), followed=1)["levels"].empty
    # while the student predicts, the values are drawn but not where they land
    hidden = worked.datasets(worked_example([1.2, 5.6], 3), followed=1, landed=False)["moves"]
    assert hidden["x"].notna().all() and hidden["xhat"].isna().all()
