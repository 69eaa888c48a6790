"""The app, driven like a student would: every control, shared links, presets, bad links.

Each test recomputes the expected numbers with the core (``qv.sample`` +
``qv.quantize``) and compares the strings the page shows.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import quantviz as qv
from quantviz import readout
from quantviz.appstate import Settings, quantize_kwargs
from quantviz.presets import PRESETS, settings_of


def shown(at: AppTest) -> dict[str, str]:
    """Metric label → value as displayed."""
    return {m.label: m.value for m in at.metric}


def expected(dist="laplace", n=1000, seed=0, params=None, **quant) -> dict[str, str]:
    """The metric strings for a core computation with these settings."""
    x = qv.sample(dist, n=n, seed=seed, **(params or {}))
    r = qv.quantize(x, **quant)
    return {c.label: c.value for c in readout.metric_cards(r)}


def core(dist="laplace", n=1000, seed=0, params=None, **quant) -> qv.QuantResult:
    return qv.quantize(qv.sample(dist, n=n, seed=seed, **(params or {})), **quant)


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ------------------------------------------------------------- first open --


def test_first_open_tells_the_default_story(open_app):
    at = open_app()
    r = core(n=100_000, bits=4)
    values = shown(at)
    assert list(values) == list(readout.METRIC_LABELS)
    assert values == expected(n=100_000, bits=4)
    # the numbers a student reads, written out
    assert values["Step size"] == f"{r.scale:.4g}"
    assert values["Zero point"] == str(r.zero_point)
    assert values["SQNR"] == f"{r.metrics['sqnr_db']:.1f} dB"
    assert values["Levels used"] == f"{r.metrics['levels_used']} of 16"
    assert values["Size"] == f"{r.metrics['bits_per_weight']:.2f} bits"
    assert len(at.image) == 2  # histogram, staircase + error (1-D: no channel view)
    tradeoff = at.get("vega_lite_chart")  # the trade-off, drawn by the browser
    assert len(tradeoff) == 1 and '"hconcat"' in tradeoff[0].proto.spec
    assert at.query_params["dist"] == "laplace" and at.query_params["bits"] == "4"
    assert not at.warning


def test_size_help_says_how_much_smaller(small_app):
    r = core(bits=4)
    size = next(m for m in small_app.metric if m.label == "Size")
    assert f"{r.metrics['compression_ratio']:.3g}× smaller than float32" in size.proto.help


# ------------------------------------------------------------ each control --


def test_bits_slider_changes_numbers_deltas_and_link(small_app):
    at = small_app
    at.slider(key="bits").set_value(6)
    rerun(at)
    assert shown(at) == expected(bits=6)
    assert at.query_params["bits"] == "6"
    before, after = core(bits=4).metrics, core(bits=6).metrics
    sqnr = next(m for m in at.metric if m.label == "SQNR")
    assert sqnr.delta == f"+{after['sqnr_db'] - before['sqnr_db']:.1f} dB"


@pytest.mark.parametrize(
    ("scheme", "symmetric", "narrow"),
    [("symmetric", True, False), ("narrow", True, True), ("asymmetric", False, False)],
)
def test_scheme(small_app, scheme, symmetric, narrow):
    at = small_app
    at.radio(key="scheme").set_value(scheme)
    rerun(at)
    assert shown(at) == expected(bits=4, symmetric=symmetric, narrow_range=narrow)
    assert at.query_params["symmetric"] == ("true" if symmetric else "false")
    assert at.query_params.get("narrow") == ("true" if narrow else None)


def test_percentile_strategy_and_its_slider(small_app):
    at = small_app
    at.selectbox(key="strategy").select("percentile")
    rerun(at)
    assert shown(at) == expected(bits=4, strategy="percentile")
    at.slider(key="percentile").set_value(99.0)
    rerun(at)
    assert shown(at) == expected(bits=4, strategy="percentile", percentile=99.0)
    assert at.query_params["percentile"] == "99"


def test_sigma_strategy_and_its_slider(small_app):
    at = small_app
    at.selectbox(key="strategy").select("sigma")
    rerun(at)
    at.slider(key="n_sigma").set_value(2.0)
    rerun(at)
    assert shown(at) == expected(bits=4, strategy="sigma", n_sigma=2.0)
    assert at.query_params["n_sigma"] == "2"


def test_manual_range_too_narrow_clips(small_app):
    at = small_app
    at.selectbox(key="strategy").select("manual")
    rerun(at)
    x = qv.sample("laplace", n=1000, seed=0)
    # the slider starts at the data's range: nothing clipped
    assert at.slider(key="manual_range").value == pytest.approx((x.min(), x.max()))
    assert shown(at)["Clipped"] == "0 %"
    at.slider(key="manual_range").set_value((-1.0, 1.0))
    rerun(at)
    r = core(bits=4, strategy="manual", low=-1.0, high=1.0)
    assert shown(at) == expected(bits=4, strategy="manual", low=-1.0, high=1.0)
    assert shown(at)["Clipped"] == readout.percent(r.metrics["clipped_fraction"])
    assert r.metrics["clipped_fraction"] > 0.1
    assert (at.query_params["low"], at.query_params["high"]) == ("-1", "1")


def test_every_strategy_is_offered_per_tensor_with_its_label(small_app):
    box = small_app.selectbox(key="strategy")
    assert box.options == [s.label for s in qv.strategies()]


def test_rounding_stochastic_uses_the_seed(small_app):
    at = small_app
    at.radio(key="rounding").set_value("stochastic")
    rerun(at)
    x = qv.sample("laplace", n=1000, seed=0)
    r = qv.quantize(x, bits=4, rounding="stochastic", seed=0)  # the data's seed, reproducible
    assert shown(at) == {c.label: c.value for c in readout.metric_cards(r)}
    assert at.query_params["rounding"] == "stochastic"


def test_distribution_and_its_parameters(small_app):
    at = small_app
    at.selectbox(key="dist").select("student_t")
    rerun(at)
    assert shown(at) == expected("student_t", bits=4)
    at.slider(key="student_t_df").set_value(5.0)
    rerun(at)
    assert shown(at) == expected("student_t", params={"df": 5.0}, bits=4)
    assert at.query_params["dist"] == "student_t" and at.query_params["df"] == "5"


def test_sample_size_seed_and_new_sample(small_app):
    at = small_app
    at.select_slider(key="n").set_value(10_000)
    rerun(at)
    assert shown(at) == expected(n=10_000, bits=4)
    at.number_input(key="seed").set_value(7)
    rerun(at)
    assert shown(at) == expected(n=10_000, seed=7, bits=4)
    at.button(key="new_sample").click()
    rerun(at)
    assert at.number_input(key="seed").value == 8
    assert shown(at) == expected(n=10_000, seed=8, bits=4)
    assert (at.query_params["n"], at.query_params["seed"]) == ("10000", "8")


def test_granularity_only_for_tensors_with_rows(small_app):
    assert not [r for r in small_app.radio if r.key == "granularity"]
    at = small_app
    at.selectbox(key="dist").select("layer")
    rerun(at)
    assert at.radio(key="granularity").value == "tensor"
    assert len(at.image) == 3  # the channel view appears for a matrix


def test_per_channel_and_axis(open_app):
    at = open_app(n="1000", dist="layer")
    at.radio(key="granularity").set_value("channel")
    rerun(at)
    assert shown(at) == expected("layer", bits=4, granularity="channel", axis=0)
    at.selectbox(key="axis").select(1)
    rerun(at)
    assert shown(at) == expected("layer", bits=4, granularity="channel", axis=1)
    assert at.query_params["granularity"] == "channel" and at.query_params["axis"] == "1"


def test_per_group_offers_divisors_of_the_last_dimension(open_app):
    at = open_app(n="1000", dist="layer", rows="8")  # 8 × 125
    at.radio(key="granularity").set_value("group")
    rerun(at)
    box = at.selectbox(key="group_size")
    assert box.options == ["5", "25", "125"]  # no power of two divides 125
    box.select(25)
    rerun(at)
    want = expected("layer", params={"rows": 8}, bits=4, granularity="group", group_size=25)
    assert shown(at) == want
    assert at.query_params["group_size"] == "25"


def test_entropy_not_offered_per_channel(open_app):
    at = open_app(n="1000", dist="layer", strategy="entropy")
    assert at.selectbox(key="strategy").value == "entropy"
    at.radio(key="granularity").set_value("channel")
    rerun(at)
    assert "entropy" not in [o for o in at.selectbox(key="strategy").options]
    assert "Entropy (KL)" not in at.selectbox(key="strategy").options
    assert at.selectbox(key="strategy").value == "minmax"
    assert any("per tensor only" in i.value for i in at.info)
    assert shown(at) == expected("layer", bits=4, granularity="channel")


def test_log_toggle_goes_into_the_link(small_app):
    at = small_app
    at.toggle(key="log").set_value(True)
    rerun(at)
    assert at.query_params["log"] == "true"


def test_compare_adds_a_strategy_to_the_trade_off(small_app):
    at = small_app
    at.multiselect(key="compare").select("sigma")
    rerun(at)
    assert at.query_params["compare"] == "minmax,percentile,aciq_laplace,sigma"
    table = at.dataframe[0].value
    assert set(table["strategy"]) == {"minmax", "percentile", "aciq_laplace", "sigma"}
    x = qv.sample("laplace", n=1000, seed=0)
    want = qv.sweep(x, bits=range(1, 17), strategies=["sigma"])
    got = table[table["strategy"] == "sigma"].reset_index(drop=True)
    assert got["sqnr_db"].tolist() == want["sqnr_db"].tolist()


# ------------------------------------------------------------ shared link --


def test_shared_link_restores_every_setting(open_app):
    link = {
        "dist": "student_t", "df": "4", "scale": "2", "n": "10000", "seed": "3", "bits": "3",
        "symmetric": "true", "narrow": "true", "strategy": "percentile", "percentile": "99.5",
        "rounding": "stochastic", "log": "true", "compare": "minmax,sigma",
    }  # fmt: skip
    at = open_app(**link)
    assert at.selectbox(key="dist").value == "student_t"
    assert at.slider(key="student_t_df").value == 4.0
    assert at.slider(key="student_t_scale").value == 2.0
    assert at.select_slider(key="n").value == 10_000
    assert at.number_input(key="seed").value == 3
    assert at.slider(key="bits").value == 3
    assert at.radio(key="scheme").value == "narrow"
    assert at.selectbox(key="strategy").value == "percentile"
    assert at.slider(key="percentile").value == 99.5
    assert at.radio(key="rounding").value == "stochastic"
    assert at.toggle(key="log").value is True
    assert at.multiselect(key="compare").value == ["minmax", "sigma"]
    x = qv.sample("student_t", n=10_000, seed=3, df=4.0, scale=2.0)
    r = qv.quantize(
        x, bits=3, symmetric=True, narrow_range=True, strategy="percentile", percentile=99.5,
        rounding="stochastic", seed=3,
    )  # fmt: skip
    assert shown(at) == {c.label: c.value for c in readout.metric_cards(r)}
    assert {k: at.query_params[k] for k in link} == link


def test_shared_link_with_granularity_and_manual_range(open_app):
    at = open_app(
        dist="layer", n="10000", strategy="manual", low="-0.05", high="0.05",
        granularity="group", group_size="32",
    )  # fmt: skip
    # 64 × 128 columns (10_000 // 64 = 156, rounded down to a multiple of 128)
    assert at.radio(key="granularity").value == "group"
    assert at.selectbox(key="group_size").value == 32
    assert at.slider(key="manual_range").value == (-0.05, 0.05)
    assert shown(at) == expected(
        "layer", n=10_000, bits=4, strategy="manual", low=-0.05, high=0.05,
        granularity="group", group_size=32,
    )  # fmt: skip


def test_link_and_widgets_agree_with_the_code_snippet(open_app):
    at = open_app(n="1000", bits="5", strategy="aciq_laplace")
    snippet = at.code[0].value
    namespace: dict = {}
    exec(snippet, namespace)  # the snippet reproduces the page's numbers
    assert {c.label: c.value for c in readout.metric_cards(namespace["r"])} == shown(at)
    assert "strategy='aciq_laplace'" in snippet and "n=1000" in snippet


# --------------------------------------------------------------- bad links --


@pytest.mark.parametrize(
    "query",
    [
        {"bits": "99"},
        {"dist": "nope"},
        {"n": "-5"},
        {"bits": "4.5", "seed": "-1", "symmetric": "maybe", "strategy": "magic"},
        {"granularity": "channel"},  # 1-D data: falls back to per tensor
        {"dist": "layer", "granularity": "group", "group_size": "7"},
        {"low": "5", "high": "-5", "strategy": "manual"},
        {"percentile": "nan", "n_sigma": "inf", "axis": "9", "compare": "bogus"},
        {"dist": "layer", "rows": "100000", "row_spread": "-1"},
        {"narrow": "true", "bits": "1"},
    ],
)
def test_bad_link_values_fall_back_without_exception(open_app, query):
    at = open_app(**query)
    assert not at.error
    assert len(at.metric) == 8
    s = Settings()
    # the page shows numbers for settings the core accepts, and the link is rewritten to them
    bits = int(at.query_params["bits"])
    assert 1 <= bits <= 16
    assert at.query_params["dist"] in {d.name for d in qv.distributions()}
    assert int(at.query_params["n"]) in (1000, 10_000, 100_000, 1_000_000)
    if query == {"bits": "99"}:
        assert bits == s.bits and any("bits=99" in w.value for w in at.warning)


def test_bad_link_values_in_detail(open_app):
    at = open_app(bits="99", dist="nope", n="-5")
    assert at.slider(key="bits").value == 4
    assert at.selectbox(key="dist").value == "laplace"
    assert at.select_slider(key="n").value == 100_000
    assert shown(at) == expected(n=100_000, bits=4)
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")  # Markdown escapes
    assert "bits=99" in warnings and "dist=nope" in warnings and "n=-5" in warnings


# ----------------------------------------------------------------- presets --


@pytest.mark.parametrize("preset", PRESETS, ids=[p.key for p in PRESETS])
def test_each_preset_sets_what_it_says(open_app, preset):
    at = open_app(n="1000", bits="7", dist="uniform")
    at.button(key=f"preset_{preset.key}").click()
    rerun(at)
    s = settings_of(preset)
    assert at.selectbox(key="dist").value == s.dist
    for name, value in s.params:
        assert at.slider(key=f"{s.dist}_{name}").value == pytest.approx(value)
    assert at.slider(key="bits").value == s.bits
    assert at.radio(key="scheme").value == s.scheme
    assert at.selectbox(key="strategy").value == s.strategy
    assert at.select_slider(key="n").value == s.n
    if "granularity" in preset.settings:
        assert at.radio(key="granularity").value == preset.settings["granularity"]
    for name, value in preset.settings.items():  # the preset's own words
        if name in {"bits", "strategy", "dist", "granularity"}:
            assert getattr(s, name) == value
    x = qv.sample(s.dist, n=s.n, seed=s.seed, **s.param_dict)
    r = qv.quantize(x, **quantize_kwargs(s))
    assert shown(at) == {c.label: c.value for c in readout.metric_cards(r)}
    assert preset.lesson in at.success[0].value
    # the lesson goes away once the scene is changed
    at.slider(key="bits").set_value(s.bits + 1 if s.bits < 16 else 15)
    rerun(at)
    assert not at.success


# -------------------------------------------------- every combination runs --

SCHEMES = ("asymmetric", "symmetric", "narrow")
BITS = (1, 2, 4, 8, 16)


@pytest.mark.parametrize("granularity", qv.GRANULARITIES)
def test_no_exception_for_any_combination(open_app, granularity):
    """Every scheme × strategy on a matrix, per granularity, with the bits cycling through
    1, 2, 4, 8, 16 (one app, many reruns: each bit width meets every scheme)."""
    at = open_app(n="1000", dist="layer", granularity=granularity)
    strategies = [s.name for s in qv.strategies() if granularity in s.granularities]
    combos = [(sc, name) for sc in SCHEMES for name in strategies]
    for i, (scheme, strategy) in enumerate(combos):
        bits = BITS[i % len(BITS)]
        at.radio(key="scheme").set_value(scheme)
        at.slider(key="bits").set_value(bits)
        at.selectbox(key="strategy").select(strategy)
        rerun(at)
        assert not at.error, (scheme, strategy, bits, [e.value for e in at.error])
        b = 2 if scheme == "narrow" and bits == 1 else bits  # narrow needs 2 bits: the app says so
        available = 2**b - 1 if scheme == "narrow" else 2**b
        assert shown(at)["Levels used"].endswith(f"of {available:,}"), (scheme, strategy, bits)
        assert at.selectbox(key="strategy").value == strategy
        assert at.radio(key="granularity").value == granularity
