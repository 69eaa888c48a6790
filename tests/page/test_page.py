"""The page, driven like a student and a teacher would: controls, links, scenes, the class view.

Expected texts are written out by hand. The numbers for Laplace, 1,000 values, seed 0
were checked against an independent float64 computation once and are literals here.
"""

from __future__ import annotations

import re

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

import quantviz as qv
from tests.conftest import unescape


def shown(at: AppTest) -> dict[str, str]:
    """Metric label → value as displayed."""
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.delta for m in at.metric if m.delta}


def chip(at: AppTest, label: str) -> tuple[str, str, str]:
    """A card's delta as shown: its text, its arrow and its colour."""
    m = next(m for m in at.metric if m.label == label).proto
    return (
        m.delta,
        MetricProto.MetricDirection.Name(m.direction),
        MetricProto.MetricColor.Name(m.color),
    )


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


LAPLACE_1000_4BIT = {
    "Step size": "0.697", "Zero point": "8", "SQNR": "14.3 dB", "MSE": "0.0376",
    "Max error": "0.348", "Clipped": "0 %", "Levels used": "13 of 16", "Bits/weight": "4.04",
}  # fmt: skip


def test_first_open_tells_the_default_story(open_app):
    at = open_app()
    assert shown(at) == {
        "Step size": "1.123", "Zero point": "7", "SQNR": "10.1 dB", "MSE": "0.0977",
        "Max error": "0.561", "Clipped": "0 %", "Levels used": "16 of 16", "Bits/weight": "4.00",
    }  # fmt: skip
    assert at.sidebar.markdown[0].value == "### quantviz\nWatch quantization happen"
    assert at.main.markdown[0].value == (
        "**Laplace**: 100,000 values, quantized to **4 bits**, asymmetric (zero point), min-max "
        "range, per tensor."
    )
    # original and quantized, and the open room's trade-off chart
    assert len(at.get("vega_lite_chart")) == 3
    assert [t.label for t in at.tabs] == [
        "Trade-off",
        "Formats",
        "Formulas",
        "Close-up",
        "Staircase",
        "Accuracy",
        "Integers",
        "Train for it",
        "Transformer",
        "Take home",
    ]
    assert dict(at.query_params) == {
        "dist": "laplace", "n": "100000", "seed": "0", "bits": "4", "scheme": "asymmetric",
        "strategy": "minmax", "granularity": "tensor",
    }  # fmt: skip
    assert not at.warning and not at.error and not deltas(at)


def test_a_bit_move_changes_numbers_deltas_and_link(small_app):
    at = small_app
    assert shown(at) == LAPLACE_1000_4BIT
    at.slider(key="bits").set_value(6)
    rerun(at)
    assert shown(at) == {
        "Step size": "0.166", "Zero point": "34", "SQNR": "26.4 dB", "MSE": "0.00232",
        "Max error": "0.0829", "Clipped": "0 %", "Levels used": "48 of 64", "Bits/weight": "6.04",
    }  # fmt: skip
    # better is green: a higher SQNR, a lower MSE; the arrow follows the sign
    assert chip(at, "SQNR") == ("+12.1 dB", "UP", "GREEN")
    assert chip(at, "MSE") == ("-0.035", "DOWN", "GREEN")
    assert chip(at, "Step size") == ("-0.5311", "DOWN", "GRAY")
    assert at.query_params["bits"] == "6"
    at.slider(key="bits").set_value(2)
    rerun(at)
    assert chip(at, "SQNR")[1:] == ("DOWN", "RED") and chip(at, "MSE")[1:] == ("UP", "RED")


def test_a_new_tensor_shows_no_deltas(small_app):
    at = small_app
    at.number_input(key="seed").set_value(1)
    rerun(at)
    assert not deltas(at)  # another sample: nothing to compare with


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"bits": "abc"}, "bits must be a whole number from 1 to 16; the link says 'abc'."),
        ({"n": "1000", "dist": "cauchy"},
         "dist must be one of normal, uniform, laplace, student_t, outliers, bimodal, "
         "lognormal, layer; the link says 'cauchy'."),
        ({"n": "1000", "source": "file"},
         "An uploaded file cannot travel in a link: upload it again."),
        ({"n": "1000", "preset": "three_bits"},
         "preset must be one of eight_bits, one_outlier, clip_heavy_tails, per_channel, "
         "two_bits, symmetric_positive, fp8_per_tensor, ocp_mxfp4, qlora_nf4, llama_q4_0; "
         "the link says 'three_bits'."),
    ],
)  # fmt: skip
def test_a_bad_link_says_what_is_wrong_in_plain_words(open_app, query, warning):
    at = open_app(**query)
    assert [unescape(w.value) for w in at.warning] == [f"Ignored from the link: {warning}"]
    assert at.slider(key="bits").value == 4  # the rest of the page is the default


def test_a_link_restores_the_settings(open_app):
    at = open_app(
        dist="student_t", df="4", n="1000", seed="3", bits="3", scheme="symmetric",
        strategy="percentile", percentile="99.5", rounding="stochastic", log="true",
    )  # fmt: skip
    assert at.selectbox(key="dist").value == "student_t"
    assert at.slider(key="student_t.df").value == 4.0
    assert at.slider(key="percentile").value == 99.5
    assert at.toggle(key="log").value is True
    x = qv.sample("student_t", n=1000, seed=3, df=4.0)
    r = qv.quantize(x, bits=3, symmetric=True, strategy="percentile", percentile=99.5,
                    rounding="stochastic", seed=3)  # fmt: skip
    assert shown(at)["SQNR"] == f"{r.metrics['sqnr_db']:.1f} dB"
    assert at.query_params["log"] == "true" and at.query_params["percentile"] == "99.5"


def test_a_preset_link_opens_its_scene_with_its_sentence(open_app):
    at = open_app(preset="two_bits")
    assert at.slider(key="bits").value == 2
    assert at.selectbox(key="dist").value == "normal"
    assert at.success[0].value == (
        "**2 bits.** Two bits give four levels, three steps from the lowest to the highest. "
        "Because the grid makes 0.0 a level (PyTorch's convention), it shifts and its top "
        "level sits beyond the data: watch which levels the values use."
    )
    assert at.query_params["bits"] == "2" and "preset" not in at.query_params


def test_the_scene_buttons_set_up_a_scene(small_app):
    at = small_app
    at.button_group(key="scene").set_value("one_outlier")
    rerun(at)
    assert at.selectbox(key="dist").value == "outliers"
    assert at.button_group(key="scene").value is None  # a button: it does not stay pressed
    assert at.success[0].value.startswith("**One outlier.**")
    at.slider(key="bits").set_value(5)
    rerun(at)
    assert not at.success  # the scene is gone once a setting it names changes


def test_the_class_view_shows_the_slider_the_histograms_and_three_numbers(open_app):
    at = open_app(view="class", n="1000")
    assert list(shown(at)) == ["Step size", "SQNR", "Levels used"]
    assert len(at.get("vega_lite_chart")) == 2
    assert at.main.slider(key="bits").value == 4  # on the page, not in the sidebar
    assert not [s for s in at.sidebar.slider if s.key == "bits"]
    at.main.slider(key="bits").set_value(2)
    rerun(at)
    assert shown(at)["Levels used"] == "4 of 4"
    assert at.query_params["view"] == "class" and at.query_params["bits"] == "2"


def test_a_teachers_link_hides_controls(open_app):
    at = open_app(view="class", hide="strategy", n="1000")
    assert "strategy" not in [s.key for s in at.selectbox]
    assert at.main.slider(key="bits").value == 4
    at = open_app(hide="data,presets", n="1000")
    assert "dist" not in [s.key for s in at.selectbox]
    assert not [g for g in at.button_group if g.key == "scene"]
    assert at.query_params["hide"] == "data,presets"


@pytest.mark.parametrize(
    ("room", "charts", "heading"),
    [
        ("Close-up", 3, None),
        ("Staircase", 4, None),
        ("Take home", 2, "Take it home"),
        ("Trade-off", 3, "Trade-off: error against bit width"),
    ],
)
def test_a_link_opens_a_room_and_only_that_room_is_drawn(open_app, room, charts, heading):
    at = open_app(n="1000", room=room)
    assert len(at.get("vega_lite_chart")) == charts  # the histograms and the room's charts
    assert dict(at.query_params).get("room", "Trade-off") == room  # the default is left out
    if heading:
        assert heading in [h.value for h in at.subheader]


def test_a_matrix_has_a_channel_room(open_app):
    at = open_app(dist="layer", n="10000", room="Channels")
    rooms = ["Trade-off", "Formats", "Formulas", "Close-up", "Staircase", "Channels", "Accuracy",
             "Integers", "Train for it", "Transformer", "Take home"]  # fmt: skip
    assert [t.label for t in at.tabs] == rooms
    assert "Channel by channel" in [h.value for h in at.subheader]


def test_entropy_per_channel_says_it_uses_min_max(open_app):
    at = open_app(dist="layer", n="10000", granularity="channel", strategy="entropy")
    assert at.selectbox(key="strategy").value == "minmax"
    assert [i.value for i in at.info] == [
        "Entropy (KL) calibration works per tensor only (as in TensorRT), so per-channel "
        "quantization uses min-max here."
    ]


def test_granularity_needs_rows(small_app):
    at = small_app
    assert "granularity" not in [g.key for g in at.selectbox]
    assert any("this tensor has no rows" in c.value for c in at.sidebar.caption)


def test_per_group_offers_the_sizes_that_divide_the_rows(open_app):
    at = open_app(dist="layer", n="10000", granularity="group", group_size="100")
    assert at.selectbox(key="group_size").value == 64
    assert at.selectbox(key="group_size").options == ["8", "16", "32", "64", "128"]
    assert "Groups of 100 do not divide the last dimension (128); using groups of 64." in [
        i.value for i in at.info
    ]


def test_manual_range_too_narrow_clips(open_app):
    at = open_app(n="1000", strategy="manual", low="-0.5", high="0.5")
    assert at.slider(key="manual_range").value == (-0.5, 0.5)
    r = qv.quantize(qv.sample("laplace", n=1000, seed=0), bits=4, strategy="manual",
                    low=-0.5, high=0.5)  # fmt: skip
    assert r.metrics["clipped_count"] == 462
    assert shown(at)["Clipped"] == "46.2 %"
    assert at.query_params["low"] == "-0.5" and at.query_params["high"] == "0.5"


def test_view_options_go_into_the_link(small_app):
    at = small_app
    at.toggle(key="log").set_value(True)
    rerun(at)
    assert at.query_params["log"] == "true"
    at.multiselect(key="compare").set_value(["mse"])
    rerun(at)
    assert at.query_params["compare"] == "mse"


@pytest.mark.parametrize("strategy", [s.name for s in qv.strategies() if s.name != "manual"])
@pytest.mark.parametrize("granularity", ["tensor", "channel"])
def test_every_strategy_at_every_granularity_opens(open_app, strategy, granularity):
    """Every card is drawn with a number (no NaN, no empty card), and a strategy that works
    per tensor only says that min-max was used per channel."""
    at = open_app(dist="layer", n="1000", strategy=strategy, granularity=granularity, bits="3")
    cards = shown(at)
    assert list(cards) == ["Step size", "Zero point", "SQNR", "MSE", "Max error", "Clipped",
                           "Levels used", "Bits/weight"]  # fmt: skip
    number = re.compile(r"−?\d[\d.,]*(×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?")
    for label, value in cards.items():
        assert number.search(value) and "nan" not in value.lower(), (label, value)
    assert float(cards["SQNR"].removesuffix(" dB")) > 0
    assert cards["Levels used"].endswith(" of 8")  # 3 bits
    per_tensor_only = strategy == "entropy" and granularity == "channel"
    assert per_tensor_only == any("works per tensor only" in i.value for i in at.info)


def test_take_home_shows_the_numbers_in_numpy_and_pytorch(open_app):
    at = open_app(room="Take home", n="1000")
    assert [t.label for t in at.tabs][-3:] == ["quantviz", "numpy", "PyTorch"]
    numpy_code = next(c.value for c in at.code if "np.rint" in c.value)
    assert any("MinMaxObserver(" in c.value for c in at.code)
    namespace: dict = {}
    exec(numpy_code, namespace)  # the page's default: Laplace, 4-bit asymmetric min-max
    assert f"{float(namespace['scale']):.3g}" == LAPLACE_1000_4BIT["Step size"]
    assert str(int(namespace["zero_point"])) == LAPLACE_1000_4BIT["Zero point"]
