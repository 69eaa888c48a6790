"""Shared links: parsed safely, written back faithfully, fitted to the tensor."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from quantviz.appstate import (
    Settings,
    fit_to_data,
    group_sizes,
    parse_query,
    quantize_kwargs,
    to_query,
    with_dist,
)


def test_defaults_from_an_empty_link():
    assert parse_query({}) == (Settings(), [])


def test_round_trip_of_a_full_link():
    s = replace(
        with_dist(Settings(), "student_t", {"df": 4.0, "scale": 2.5}),
        n=10_000, seed=9, bits=3, symmetric=True, narrow=True, strategy="manual",
        low=-1.5, high=2.25, granularity="channel", axis=1, rounding="stochastic",
        log=True, compare=("mse",),
    )  # fmt: skip
    q = to_query(s)
    assert q["symmetric"] == "true" and q["narrow"] == "true" and q["log"] == "true"
    assert parse_query(q) == (s, [])


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ({"bits": "99"}, "bits", 4),
        ({"bits": "0"}, "bits", 4),
        ({"dist": "nope"}, "dist", "laplace"),
        ({"n": "-5"}, "n", 100_000),
        ({"n": "5000"}, "n", 100_000),
        ({"seed": "1e30"}, "seed", 0),
        ({"symmetric": "maybe"}, "symmetric", False),
        ({"strategy": "<script>"}, "strategy", "minmax"),
        ({"percentile": "nan"}, "percentile", 99.99),
        ({"low": "1", "high": "-1"}, "low", None),
        ({"compare": "mse,bogus"}, "compare", ("minmax", "percentile", "aciq_laplace")),
    ],
)
def test_bad_values_keep_the_default_and_say_so(query, field, value):
    s, notes = parse_query(query)
    assert getattr(s, field) == value
    assert len(notes) == 1 and notes[0].startswith(next(iter(query)))


@given(hs.dictionaries(hs.sampled_from(["dist", "bits", "n", "seed", "low", "high", "scale",
                                         "symmetric", "axis", "group_size", "compare"]),
                       hs.text(max_size=12)))  # fmt: skip
def test_parse_never_raises(query):
    s, _ = parse_query(query)
    assert 1 <= s.bits <= 16


def test_fit_to_data():
    s, notes = fit_to_data(Settings(granularity="channel"), (1000,), -1.0, 1.0)
    assert s.granularity == "tensor" and notes
    s, notes = fit_to_data(Settings(granularity="group", group_size=7), (64, 1562), -1.0, 1.0)
    assert s.group_size in group_sizes(1562) and notes
    s, _ = fit_to_data(Settings(granularity="channel", strategy="entropy"), (8, 16), -1.0, 1.0)
    assert s.strategy == "minmax"
    s, _ = fit_to_data(Settings(narrow=True, symmetric=True, bits=1), (10,), -1.0, 1.0)
    assert s.bits == 2
    s, _ = fit_to_data(Settings(), (10,), -1.0, 2.0)
    assert (s.low, s.high) == (-1.0, 2.0)


def test_group_sizes():
    assert group_sizes(1024) == (8, 16, 32, 64, 128, 256, 512, 1024)
    assert group_sizes(125) == (5, 25, 125)
    assert group_sizes(1) == (1,)


def test_quantize_kwargs_only_what_applies():
    kw = quantize_kwargs(Settings(strategy="percentile", percentile=99.0))
    assert kw["percentile"] == 99.0 and "low" not in kw and "axis" not in kw and "seed" not in kw
    kw = quantize_kwargs(
        Settings(granularity="group", group_size=32, rounding="stochastic", seed=5)
    )
    assert kw["group_size"] == 32 and kw["seed"] == 5
