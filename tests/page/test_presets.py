"""Each preset sets up the picture its sentence describes."""

from __future__ import annotations

import pytest

import quantviz as qv
from quantviz_app.presets import PRESETS, Preset, active_preset, get_preset, settings_of
from quantviz_app.schema import Settings, distribution_params, quantize_kwargs


def _tensor(s: Settings):
    return qv.sample(s.dist, n=s.n, seed=s.seed, **distribution_params(s))


def _result(p: Preset) -> qv.QuantResult:
    s = settings_of(p)
    return qv.quantize(_tensor(s), **quantize_kwargs(s))


def test_presets_are_distinct_and_frozen():
    assert len({p.key for p in PRESETS}) == len(PRESETS) >= 6
    with pytest.raises(TypeError):
        PRESETS[0].settings["bits"] = 2  # shared by every session: read-only
    assert get_preset("two_bits").title == "2 bits"


def test_a_preset_is_active_while_its_scene_is_on_screen():
    for p in PRESETS:
        assert active_preset(settings_of(p)) is p
    s = settings_of(get_preset("two_bits"))
    assert active_preset(s.replace(log=True)) is get_preset("two_bits")  # a view option
    assert active_preset(s.replace(bits=3)) is None
    assert active_preset(Settings()) is None


def test_a_preset_keeps_a_teachers_view_and_hidden_controls():
    base = Settings.of({"view": "class", "hide": ("scheme",), "bits": 9})
    s = settings_of(get_preset("two_bits"), base=base)
    assert (s.view, s.hide, s.bits) == ("class", ("scheme",), 2)


def test_eight_bits_is_nearly_lossless():
    r = _result(get_preset("eight_bits"))
    assert r.bits == 8 and r.metrics["sqnr_db"] > 30


def test_one_outlier_ruins_min_max():
    p = get_preset("one_outlier")
    s = settings_of(p)
    x = _tensor(s)
    assert (abs(x) == 20).sum() == 1  # exactly one outlier
    assert (s.dist, s.bits, s.strategy) == ("outliers", 4, "minmax")
    without = qv.quantize(x[abs(x) < 20], 4)
    assert _result(p).metrics["sqnr_db"] < without.metrics["sqnr_db"] - 5


def test_clipping_helps_heavy_tails():
    p = get_preset("clip_heavy_tails")
    s = settings_of(p)
    assert (s.dist, s.bits, s.strategy) == ("student_t", 4, "percentile")
    x = _tensor(s)
    assert _result(p).metrics["sqnr_db"] > qv.quantize(x, 4).metrics["sqnr_db"] + 3


def test_per_channel_rescues_uneven_rows():
    p = get_preset("per_channel")
    s = settings_of(p)
    assert (s.dist, s.bits, s.granularity) == ("layer", 4, "channel")
    x = _tensor(s)
    assert _result(p).metrics["sqnr_db"] > qv.quantize(x, 4).metrics["sqnr_db"] + 3


def test_two_bits_four_levels():
    r = _result(get_preset("two_bits"))
    assert r.metrics["levels_available"] == 4 and len(r.levels()) == 4


def test_symmetric_wastes_half_the_codes_on_positive_data():
    p = get_preset("symmetric_positive")
    s = settings_of(p)
    assert s.dist == "lognormal" and s.scheme == "symmetric"
    r = _result(p)
    assert r.metrics["levels_used"] <= r.metrics["levels_available"] // 2
