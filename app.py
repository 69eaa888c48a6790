"""quantviz: watch quantization happen, one slider at a time.

Run with ``streamlit run app.py``. The page reads top to bottom like the code:
settings (sidebar) → the tensor → the quantized result → the views.

Every number on the page comes from the quantviz core (``qv.quantize``,
``qv.sweep``) and is formatted by :mod:`quantviz.readout`; figures come from
:mod:`quantviz.plots`, downloads from :mod:`quantviz.export`. The address bar
always holds the current settings (:mod:`quantviz.appstate`), so a link
restores the page. Widget keys are the URL names where there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz import appstate, export, plots, readout
from quantviz.appstate import SAMPLE_SIZES, SCHEMES, Settings
from quantviz.presets import PRESETS, get_preset, settings_of

st.set_page_config(page_title="quantviz: watch quantization happen", layout="wide")

DISTRIBUTIONS = {d.name: d for d in qv.distributions()}
STRATEGIES = {s.name: s for s in qv.strategies()}
STRATEGY_LABELS = {name: s.label for name, s in STRATEGIES.items()}
SCHEME_LABELS = {
    "asymmetric": "Asymmetric (affine, zero point)",
    "symmetric": "Symmetric (zero point 0)",
    "narrow": "Symmetric, narrow range",
}
SWEEP_BITS = range(1, 17)


# ============================================================ cached work ==
# Keys are small tuples (settings), never arrays: hashing a big array is slow
# and, above 500k values, Streamlit hashes only a sample of it.


@st.cache_resource(max_entries=6, show_spinner="Drawing the sample…")
def load_tensor(source: tuple) -> np.ndarray:
    """The tensor a source key names (read-only: shared by every session)."""
    _, dist, n, seed, params = source
    x = qv.sample(dist, n=n, seed=seed, **dict(params))
    x.flags.writeable = False
    return x


@st.cache_data(max_entries=32)
def tensor_summary(source: tuple) -> tuple[tuple[int, ...], float, float]:
    """Shape, min and max of the tensor."""
    x = load_tensor(source)
    return x.shape, float(x.min()), float(x.max())


@st.cache_resource(max_entries=24, show_spinner=False)
def quantized(source: tuple, qkey: tuple) -> qv.QuantResult:
    """``qv.quantize`` of the tensor with the keyword arguments ``dict(qkey)``."""
    return qv.quantize(load_tensor(source), **dict(qkey))


def qkey_of(s: Settings) -> tuple:
    """The cache key of a quantization: its ``qv.quantize`` keywords as sorted items."""
    return tuple(sorted(appstate.quantize_kwargs(s).items()))


@st.cache_data(max_entries=64, show_spinner="Sweeping bit widths…")
def sweep_table(source: tuple, strategy: str, sweep_key: tuple) -> pd.DataFrame:
    """``qv.sweep`` over 1–16 bits for one strategy (``sweep_key``: the other options).

    Cached per strategy and without the bit width, so moving the bits slider or
    switching strategy reuses it.
    """
    options = dict(sweep_key)
    symmetric = options.pop("symmetric")
    bits = [b for b in SWEEP_BITS if b >= 2 or not options.get("narrow_range")]
    return qv.sweep(load_tensor(source), bits, [strategy], symmetric, **options)


def sweep_key_of(s: Settings, strategy: str) -> tuple:
    """The options of a sweep for ``strategy`` under ``s`` (everything but bits)."""
    kwargs = appstate.quantize_kwargs(replace(s, strategy=strategy))
    kwargs.pop("bits"), kwargs.pop("strategy")
    return tuple(sorted(kwargs.items()))


def histogram_figure(source: tuple, qkey: tuple, log: bool):
    """Figure 1 from cached data: original over quantized histogram."""
    x, r = load_tensor(source), quantized(source, qkey)
    _, lo, hi = tensor_summary(source)
    edges = plots.histogram_edges(*plots.plot_range(lo, hi, r))
    return plots.histogram_figure(
        edges, plots.value_counts(x, edges), plots.quantized_counts(r, edges), r, log=log
    )


def transfer_figure(source: tuple, qkey: tuple):
    """Figure 2 from cached data: the staircase and the error histogram."""
    x, r = load_tensor(source), quantized(source, qkey)
    _, lo, hi = tensor_summary(source)
    x_lo, x_hi = plots.plot_range(lo, hi, r)
    if plots.is_per_tensor(r):
        curves = [("Q(x)", *plots.transfer_curve(r, x_lo, x_hi))]
    else:
        coarse, fine = plots.extreme_grids(r)
        curves = [
            (f"coarsest grid (#{coarse})", *plots.transfer_curve(r, x_lo, x_hi, coarse)),
            (f"finest grid (#{fine})", *plots.transfer_curve(r, x_lo, x_hi, fine)),
        ]
    return plots.transfer_error_figure(r, curves, plots.error_histogram(x, r))


def channel_results(source: tuple, s: Settings) -> dict[str, qv.QuantResult]:
    """Per tensor vs per channel (and per group when chosen) at the current settings."""
    s = replace(s, strategy="minmax") if s.strategy == "entropy" else s
    results = {
        "per tensor": quantized(source, qkey_of(replace(s, granularity="tensor"))),
        "per channel": quantized(source, qkey_of(replace(s, granularity="channel"))),
    }
    if s.granularity == "group":
        results[f"per group of {s.group_size}"] = quantized(source, qkey_of(s))
    return results


def channel_view(source: tuple, s: Settings) -> tuple[plots.ChannelStats, float, float]:
    """Per-channel statistics and the per-tensor range they are compared with."""
    results = channel_results(source, s)
    stats = plots.channel_stats(load_tensor(source), s.axis, results)
    return stats, results["per tensor"].low, results["per tensor"].high


def channel_figure(source: tuple, s: Settings):
    """Figure 3 from cached data: channel ranges and per-channel MSE."""
    stats, low, high = channel_view(source, s)
    return plots.channel_figure(stats, tensor_low=low, tensor_high=high)


def tradeoff_figure(table: pd.DataFrame, r: qv.QuantResult):
    """Figure 4: MSE and SQNR against bits with the current setting starred."""
    current = (r.bits, r.metrics["mse"], r.metrics["sqnr_db"])
    return plots.tradeoff_figure(table, labels=STRATEGY_LABELS, current=current)


@st.cache_data(max_entries=96, show_spinner=False)
def figure_png(kind: str, source: tuple, qkey: tuple, extra: tuple = ()) -> bytes:
    """On-screen PNG of a figure, cached on everything it depends on."""
    s = Settings(**dict(extra)) if kind == "channel" else None
    if kind == "histogram":
        fig = histogram_figure(source, qkey, *extra)
    elif kind == "transfer":
        fig = transfer_figure(source, qkey)
    elif kind == "channel":
        fig = channel_figure(source, s)
    else:
        raise ValueError(kind)
    return export.figure_png(fig, dpi=plots.DPI, compress_level=1)


@st.cache_data(max_entries=64, show_spinner=False)
def tradeoff_png(table: pd.DataFrame, source: tuple, qkey: tuple) -> bytes:
    """On-screen PNG of the trade-off figure."""
    fig = tradeoff_figure(table, quantized(source, qkey))
    return export.figure_png(fig, dpi=plots.DPI, compress_level=1)


# ================================================================ state ==


def param_key(dist: str, name: str) -> str:
    """Widget key of a distribution parameter (one set of keys per distribution)."""
    return f"{dist}_{name}"


def write_state(s: Settings, *, source: bool = True) -> None:
    """Put settings into the widgets' session state (before those widgets are drawn).

    ``source=False`` leaves the data controls alone (they are already drawn when
    the quantization settings are fitted to the data).
    """
    state = st.session_state
    if source:
        state["dist"] = s.dist
        for name, value in s.params:
            state[param_key(s.dist, name)] = value
        state.update(n=s.n, seed=s.seed)
    state.update(
        bits=s.bits, scheme=s.scheme, strategy=s.strategy,
        percentile=s.percentile, n_sigma=s.n_sigma, granularity=s.granularity,
        axis=s.axis, rounding=s.rounding, log=s.log, compare=list(s.compare),
    )  # fmt: skip
    if s.group_size is not None:
        state["group_size"] = s.group_size
    if s.low is not None and s.high is not None:
        state["manual_range"] = (s.low, s.high)
    else:
        state.pop("manual_range", None)


def read_state() -> Settings:
    """The settings the widgets hold now (floats cleaned of slider noise)."""
    state = st.session_state
    defaults = Settings()
    dist = state.get("dist", defaults.dist)
    params = {
        p.name: appstate.clean_float(state.get(param_key(dist, p.name), p.default), p.default)
        for p in DISTRIBUTIONS[dist].params
    }
    s = appstate.with_dist(defaults, dist, params)
    low_high = state.get("manual_range")
    s = replace(
        s,
        n=int(state.get("n", defaults.n)),
        seed=int(state.get("seed", defaults.seed)),
        bits=int(state.get("bits", defaults.bits)),
        strategy=state.get("strategy", defaults.strategy),
        percentile=appstate.clean_float(state.get("percentile", defaults.percentile)),
        n_sigma=appstate.clean_float(state.get("n_sigma", defaults.n_sigma)),
        low=appstate.clean_float(low_high[0]) if low_high else None,
        high=appstate.clean_float(low_high[1]) if low_high else None,
        granularity=state.get("granularity", defaults.granularity),
        axis=int(state.get("axis", defaults.axis)),
        group_size=state.get("group_size"),
        rounding=state.get("rounding", defaults.rounding),
        log=bool(state.get("log", defaults.log)),
        compare=tuple(state.get("compare", defaults.compare)),
    )
    return appstate.with_scheme(s, state.get("scheme", "asymmetric"))


def init_from_link() -> list[str]:
    """On a session's first run, take the settings from the address; return what was ignored."""
    if st.session_state.get("_initialised"):
        return []
    s, notes = appstate.parse_query(st.query_params.to_dict())
    write_state(s)
    st.session_state["_initialised"] = True
    return notes


def apply_preset(key: str) -> None:
    """Button callback: load a preset's settings and remember which one is active."""
    write_state(settings_of(get_preset(key)))
    st.session_state["preset"] = key


def new_sample() -> None:
    """Button callback: the next seed."""
    st.session_state["seed"] = min(int(st.session_state.get("seed", 0)) + 1, appstate.MAX_SEED)


def active_preset(s: Settings):
    """The preset whose scene is on screen, if the settings still match it."""
    key = st.session_state.get("preset")
    if key is None:
        return None
    wanted = settings_of(get_preset(key))
    keep = {"low", "high", "group_size", "log", "compare"}
    if [f for f in appstate.differs(wanted, s) if f not in keep]:
        st.session_state.pop("preset", None)
        return None
    return get_preset(key)


def sync_link(s: Settings) -> None:
    """Write the settings into the address bar (only when they changed)."""
    query = appstate.to_query(s)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def remember_metrics(qkey: tuple, r: qv.QuantResult) -> dict[str, float] | None:
    """Keep the last two settings' metrics; return the previous one's for the deltas."""
    state = st.session_state
    current = state.get("_metrics")
    if current is None or current[0] != (qkey, r.codes.size):
        state["_previous_metrics"] = current[1] if current else None
        state["_metrics"] = ((qkey, r.codes.size), readout.metric_values(r))
    return state.get("_previous_metrics")


# ========================================================== UI pieces ==


def slider_step(p: qv.Param) -> tuple[float, str]:
    """A step and printf format for a float parameter's slider (about 5000 steps)."""
    step = 10.0 ** np.floor(np.log10((p.high - p.low) / 5000))
    decimals = max(0, int(-np.log10(step)))
    return float(step), f"%.{decimals}f"


def preset_buttons(*, key_prefix: str = "preset") -> None:
    """One button per class preset."""
    st.subheader("Presets for class")
    for p in PRESETS:
        st.button(
            p.title, key=f"{key_prefix}_{p.key}", on_click=apply_preset, args=(p.key,),
            help=p.lesson, width="stretch",
        )  # fmt: skip


def source_controls() -> None:
    """Distribution, its parameters, sample size and seed."""
    st.subheader("Data")
    dist = st.selectbox(
        "Distribution", list(DISTRIBUTIONS), key="dist",
        format_func=lambda name: DISTRIBUTIONS[name].label,
        help="Synthetic weights; each shape teaches one thing.",
    )  # fmt: skip
    d = DISTRIBUTIONS[dist]
    st.caption(d.description)
    for p in d.params:
        key = param_key(dist, p.name)
        st.session_state.setdefault(key, p.default)
        if p.integer:
            st.slider(p.name, int(p.low), int(p.high), step=1, key=key, help=p.description)
        else:
            step, fmt = slider_step(p)
            st.slider(
                p.name, float(p.low), float(p.high), step=step, format=fmt, key=key,
                help=p.description,
            )  # fmt: skip
    st.select_slider(
        "Sample size n", options=list(SAMPLE_SIZES), key="n", format_func=lambda v: f"{v:,}"
    )
    seed_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    seed_col.number_input("Seed", 0, appstate.MAX_SEED, step=1, key="seed")
    button_col.button("New sample", key="new_sample", on_click=new_sample, width="stretch")
    # Slot for the file loaders (a later issue adds st.file_uploader here).
    st.container(key="source_upload")


def quantization_controls(shape: tuple[int, ...], data_low: float, data_high: float) -> None:
    """Bits, scheme, granularity, range strategy and its knob, rounding."""
    st.subheader("Quantization")
    st.slider("Bit width b", 1, qv.quantizer.MAX_BITS, key="bits", help="2^b levels.")
    st.radio("Scheme", SCHEMES, key="scheme", format_func=SCHEME_LABELS.get)
    if len(shape) >= 2:
        granularity = st.radio(
            "Granularity", qv.GRANULARITIES, key="granularity", horizontal=True,
            format_func=lambda g: f"per {g}", help="Which values share one scale.",
        )  # fmt: skip
        if granularity == "channel":
            st.selectbox(
                "Channel axis", list(range(len(shape))), key="axis",
                format_func=lambda a: f"axis {a} ({shape[a]:,} channels)",
            )  # fmt: skip
        elif granularity == "group":
            st.selectbox(
                "Group size", appstate.group_sizes(shape[-1]), key="group_size",
                help=f"Consecutive values of the last axis ({shape[-1]:,}) sharing one scale.",
            )  # fmt: skip
    else:
        granularity = "tensor"
        st.caption(
            "Granularity: per tensor. Per-channel and per-group need rows: "
            "choose the *Linear layer* distribution."
        )
    allowed = [n for n, s in STRATEGIES.items() if granularity in s.granularities]
    strategy = st.selectbox(
        "Range strategy", allowed, key="strategy", format_func=STRATEGY_LABELS.get
    )
    if granularity != "tensor":
        st.caption("Entropy (KL) calibration is per tensor only, so it is not offered here.")
    spec = STRATEGIES[strategy]
    st.caption(f"{spec.description} *({spec.reference})*")
    if strategy == "percentile":
        st.slider("Percentile kept", 50.0, 100.0, step=0.01, format="%.2f", key="percentile")
    elif strategy == "sigma":
        st.slider("k (standard deviations)", 0.5, 10.0, step=0.1, key="n_sigma")
    elif strategy == "manual":
        lo, hi = appstate.manual_bounds(data_low, data_high)
        st.slider(
            "Clipping range [ℓ, h]", lo, hi, step=float(f"{(hi - lo) / 1000:.2g}"),
            key="manual_range", format="%.4g",
            help="Too narrow: many values clipped. Too wide: coarse steps.",
        )  # fmt: skip
    st.radio("Rounding", appstate.ROUNDINGS, key="rounding", horizontal=True)


def metric_row(cards: list[readout.MetricCard]) -> None:
    """The eight readouts in two rows of four."""
    for start in (0, 4):
        for col, card in zip(st.columns(4), cards[start : start + 4], strict=True):
            col.metric(
                card.label, card.value, card.delta, delta_color=card.delta_color,
                help=card.help, border=True,
            )  # fmt: skip


def figure_downloads(build: Callable[[], object], *, name: str, key_prefix: str) -> None:
    """PNG and SVG download buttons; the files are drawn only when clicked."""
    png_col, svg_col, _ = st.columns([1, 1, 3])
    png_col.download_button(
        "PNG", lambda: export.figure_png(build()), file_name=f"{name}.png", mime="image/png",
        key=f"{key_prefix}_png", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    svg_col.download_button(
        "SVG", lambda: export.figure_svg(build()), file_name=f"{name}.svg",
        mime="image/svg+xml", key=f"{key_prefix}_svg", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip


# ================================================================ page ==

link_notes = init_from_link()

# ---- settings: data ------------------------------------------------------
with st.sidebar:
    st.title("quantviz")
    preset_buttons()
    source_controls()

settings = read_state()
if st.session_state.get("_source") not in (None, settings.source_key()):
    st.session_state.pop("manual_range", None)  # new data: the manual range starts at its ends
    settings = replace(settings, low=None, high=None)
st.session_state["_source"] = settings.source_key()

# ---- the tensor ------------------------------------------------------------
source = settings.source_key()
shape, data_low, data_high = tensor_summary(source)

# ---- settings: quantization (fitted to the tensor before the widgets draw) --
settings, fit_notes = appstate.fit_to_data(settings, shape, data_low, data_high)
write_state(settings, source=False)
with st.sidebar:
    quantization_controls(shape, data_low, data_high)
settings, more_notes = appstate.fit_to_data(read_state(), shape, data_low, data_high)
sync_link(settings)

# ---- the result ------------------------------------------------------------
qkey = qkey_of(settings)
try:
    result = quantized(source, qkey)
except qv.InputError as exc:
    st.error(str(exc))
    st.stop()
previous = remember_metrics(qkey, result)
dist = DISTRIBUTIONS[settings.dist]
strategy = STRATEGIES[settings.strategy]

# ---- views -----------------------------------------------------------------
st.title("Watch quantization happen")
st.markdown(
    f"**{dist.label}**, {np.prod(shape):,} values{' as a ' + ' × '.join(map(str, shape)) + ' matrix' if len(shape) > 1 else ''}, "  # noqa: E501
    f"quantized to **{settings.bits} bits** ({SCHEME_LABELS[settings.scheme].lower()}, "
    f"{strategy.label.lower()} range, per {settings.granularity}). {dist.lesson}"
)
for note in link_notes:
    st.warning(f"Ignored from the link: {note}.")
for note in dict.fromkeys(fit_notes + more_notes):
    st.info(note)
preset = active_preset(settings)
if preset is not None:
    st.success(f"**{preset.title}.** {preset.lesson}", icon=":material/school:")

metric_row(readout.metric_cards(result, previous))

# 1. Histograms
st.header("1 · Where the values land")
fig_col, text_col = st.columns([3, 2], gap="large")
with fig_col:
    log = st.toggle("Log counts", key="log", help="Show rare values (tails, clipped mass).")
    st.image(figure_png("histogram", source, qkey, (log,)), width="stretch")
    figure_downloads(
        lambda: histogram_figure(source, qkey, log), name="histogram", key_prefix="dl_hist"
    )
with text_col:
    st.markdown(readout.histogram_note(result, strategy.label))
    if plots.is_per_tensor(result):
        st.latex(readout.scale_formula(result))
        st.latex(readout.zero_point_formula(result))
    st.latex(readout.QUANTIZE_FORMULA)

# 2. Transfer function and error
st.header("2 · The staircase and the error it makes")
fig_col, text_col = st.columns([3, 2], gap="large")
with fig_col:
    st.image(figure_png("transfer", source, qkey), width="stretch")
    figure_downloads(lambda: transfer_figure(source, qkey), name="transfer", key_prefix="dl_tf")
with text_col:
    st.markdown(readout.transfer_note(result))
    st.latex(readout.mse_formula(result))

# 3. Channels (tensors with rows only)
if len(shape) >= 2:
    st.header("3 · Channel by channel")
    fig_col, text_col = st.columns([3, 2], gap="large")
    channel_settings = tuple((f, getattr(settings, f)) for f in settings.__dataclass_fields__)
    with fig_col:
        st.image(figure_png("channel", source, qkey, channel_settings), width="stretch")
        figure_downloads(
            lambda: channel_figure(source, settings), name="channels", key_prefix="dl_ch"
        )
    with text_col:
        stats, _, _ = channel_view(source, settings)
        st.markdown(readout.channel_note(stats, ("per tensor", "per channel")))

# 4. Trade-off against bit width
st.header(f"{4 if len(shape) >= 2 else 3} · Trade-off: error against bit width")
fig_col, text_col = st.columns([3, 2], gap="large")
sweepable = [
    n for n, s in STRATEGIES.items() if n != "manual" and settings.granularity in s.granularities
]
with text_col:
    compare = st.multiselect(
        "Strategies to compare", sweepable, key="compare", format_func=STRATEGY_LABELS.get,
        help="MSE-optimal and entropy search take a few seconds each for 16 bit widths.",
    )  # fmt: skip
names = list(dict.fromkeys([*compare, settings.strategy]))
table = pd.concat(
    [sweep_table(source, name, sweep_key_of(settings, name)) for name in names],
    ignore_index=True,
)
with fig_col:
    st.image(tradeoff_png(table, source, qkey), width="stretch")
    figure_downloads(lambda: tradeoff_figure(table, result), name="tradeoff", key_prefix="dl_to")
with text_col:
    st.markdown(readout.tradeoff_note(table, settings.bits, STRATEGY_LABELS))
    st.latex(readout.sqnr_formula(result))
with st.expander("The trade-off as a table"):
    columns = ["strategy", "bits", "mse", "sqnr_db", "sqnr_rule_db", "clipped_fraction",
               "levels_used", "bits_per_weight", "low", "high"]  # fmt: skip
    st.dataframe(table[columns], hide_index=True, width="stretch")

# ---- take it home ------------------------------------------------------------
st.header("Take it home")
query = appstate.to_query(settings)
csv_col, table_col, npz_col = st.columns(3)
csv_col.download_button(
    "Metrics (CSV)", lambda: export.metrics_csv(result, query), file_name="metrics.csv",
    mime="text/csv", key="dl_metrics", on_click="ignore", icon=":material/download:",
)  # fmt: skip
table_col.download_button(
    "Trade-off table (CSV)", lambda: export.table_csv(table), file_name="tradeoff.csv",
    mime="text/csv", key="dl_tradeoff", on_click="ignore", icon=":material/download:",
)  # fmt: skip
npz_col.download_button(
    "Quantized tensor (.npz)", lambda: export.quantized_npz(result, query),
    file_name="quantized.npz", mime="application/octet-stream", key="dl_npz",
    on_click="ignore", icon=":material/download:",
)  # fmt: skip
st.caption("The same numbers in Python (the link in the address bar restores this page):")
st.code(appstate.code_snippet(settings), language="python")
