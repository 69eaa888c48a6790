"""Each preset sets up the picture its sentence describes."""

from __future__ import annotations

import numpy as np
import pytest

import quantviz as qv
from quantviz_app.data import SAMPLE_FILE
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


# ---- the formats people ship, on the shipped MiniLM-L6 tensor ----------------------------


def _sample_result(key: str) -> tuple[qv.FormatResult, object]:
    s = settings_of(get_preset(key))
    assert s.source == "sample"
    x = qv.read_weights(SAMPLE_FILE).tensors[s.tensor]
    return qv.quantize(x, **quantize_kwargs(s)), x


def test_fp8_keeps_31_db_where_fp4_per_tensor_keeps_5():
    r, x = _sample_result("fp8_per_tensor")
    assert r.format.name == "fp8_e4m3" and r.levels().size == 253
    assert 30.5 < r.metrics["sqnr_db"] < 32.5  # "about 31 dB"
    assert 4.5 < qv.quantize(x, format="fp4_e2m1").metrics["sqnr_db"] < 5.5  # "only 5 dB"


def test_mxfp4_beats_fp4_per_tensor_and_saturates_some_values():
    r, _ = _sample_result("ocp_mxfp4")
    assert r.metrics["bits_per_weight"] == 4.25
    assert 18.5 < r.metrics["sqnr_db"] < 19.5
    assert r.metrics["clipped_count"] == 13_781  # of 589,824: 2.3 %, past 6 · 2^e


def test_nf4_keeps_about_1_db_more_than_int4_per_group_of_64():
    r, x = _sample_result("qlora_nf4")
    int4 = qv.quantize(x, bits=4, symmetric=True, granularity="group", group_size=64)
    assert r.metrics["bits_per_weight"] == int4.metrics["bits_per_weight"] == 4.5
    assert 0.5 < r.metrics["sqnr_db"] - int4.metrics["sqnr_db"] < 1.5


def test_q4_0_stores_the_largest_magnitude_exactly_and_saturates_the_other_side():
    r, x = _sample_result("llama_q4_0")
    blocks, back = x.reshape(-1, 32), r.dequantized.reshape(-1, 32)
    top = np.argmax(np.abs(blocks), axis=1)
    rows = np.arange(blocks.shape[0])
    np.testing.assert_allclose(back[rows, top], blocks[rows, top], rtol=1e-3)  # fp16 d
    saturated, codes = r.clipped.reshape(-1, 32), r.codes.reshape(-1, 32)
    # the other side, past 7·d, stored as code 15; and block maxima a hair past −8·d
    # because d = M/−8 is rounded to fp16 (within 2^-11 of M, as the line above checks)
    assert (codes[saturated] == 15).sum() == 6_862
    assert (codes[saturated] == 0).sum() == 9_201


# What the class view lacks (rooms, the cards past step size, SQNR and levels used), in words.
ONLY_IN_THE_NORMAL_VIEW = {
    "en": ("room", " view", "card", "tab"),
    "zh": ("房间", "视图", "卡片", "标签页"),
}


@pytest.mark.parametrize("lang", list(ONLY_IN_THE_NORMAL_VIEW))
def test_a_scene_s_sentence_holds_in_the_class_view_too(lang):
    """The teacher reads the same sentence in the class view, which has no rooms and only
    three cards: no sentence may send the class to what is not there."""
    from quantviz_app.i18n import Tr

    t = Tr(lang)
    for p in PRESETS:
        sentence = t.preset(p.key, "lesson", p.lesson).lower()
        assert not [w for w in ONLY_IN_THE_NORMAL_VIEW[lang] if w in sentence], (p.key, sentence)
    assert "min-max" in get_preset("clip_heavy_tails").lesson  # what to switch to instead
