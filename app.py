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

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz import appstate, channels, export, model_table, plots, readout
from quantviz.appstate import SAMPLE_SIZES, SCHEMES, Settings
from quantviz.io import MAX_FILE_BYTES, SUPPORTED_EXTENSIONS, LoadedWeights, read_weights
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
PREFETCH_THREAD = "quantviz-prefetch"
PREFETCH_DELAY_S = 0.3  # let the page go out before drawing the neighbouring bit widths
SEARCH_VALUES = 1_000_000  # sweeps of bigger tensors run on a sample of this many values
BIG_TENSOR = 2_000_000  # above this many values, few quantization results are kept cached
SAMPLE_FILE = Path(__file__).resolve().parent / "assets" / "minilm-l6-sample.safetensors"
SOURCE_LABELS = {
    "synthetic": "Synthetic distribution",
    "sample": "Sample: MiniLM-L6 (real weights, shipped)",
    "file": "Your uploaded file",
}


# ============================================================ cached work ==
# Keys are small tuples (settings), never arrays: hashing a big array is slow
# and, above 500k values, Streamlit hashes only a sample of it.


def load_tensor(source: tuple) -> np.ndarray:
    """The tensor a source key (``Settings.source_key()``) names; read-only, never copied.

    Synthetic tensors are drawn once and shared by every session; a file's
    tensors come from the loaded file (:func:`model_weights`), NaN/Inf left out.
    """
    if source[0] == "synthetic":
        return synthetic_tensor(source)
    return real_tensor(source)[0]


@st.cache_resource(max_entries=6, show_spinner="Drawing the sample…")
def synthetic_tensor(source: tuple) -> np.ndarray:
    """``qv.sample`` for a synthetic source key."""
    _, dist, n, seed, params = source
    x = qv.sample(dist, n=n, seed=seed, **dict(params))
    x.flags.writeable = False
    return x


@st.cache_resource(show_spinner="Reading the shipped sample…")
def sample_weights() -> LoadedWeights:
    """The shipped MiniLM-L6 tensors (``assets/``), read once for every session."""
    return frozen(read_weights(SAMPLE_FILE))


def frozen(weights: LoadedWeights) -> LoadedWeights:
    """Make every array read-only: loaded weights are shared, never changed."""
    for x in weights.tensors.values():
        x.flags.writeable = False
    return weights


def model_weights(file_key: tuple) -> LoadedWeights:
    """The weight file a ``Settings.file_key()`` names: the shipped sample or this session's upload.

    An upload is read once (:func:`take_upload`) and held in this session's
    state only: no other session can reach it, and it goes with the session.
    """
    if file_key[0] == "sample":
        return sample_weights()
    held = st.session_state.get("_upload")
    if held is None or held[0] != file_key:
        raise qv.InputError("The uploaded file is no longer loaded; upload it again.")
    return held[1]


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def real_tensor(source: tuple) -> tuple[np.ndarray, int]:
    """One tensor of a file, with NaN/Inf left out (flattened then), and how many were."""
    x = model_weights(source[:2]).tensors[source[2]]
    x, dropped, _ = model_table.finite_tensor(x)
    x.flags.writeable = False
    return x, dropped


@st.cache_data(max_entries=32)
def tensor_summary(source: tuple) -> tuple[tuple[int, ...], float, float]:
    """Shape, min and max of the tensor."""
    x = load_tensor(source)
    return x.shape, float(x.min()), float(x.max())


@st.cache_data(max_entries=16, show_spinner="Quantizing every tensor of the model…")
def whole_model_table(file_key: tuple, qkey: tuple) -> pd.DataFrame:
    """``model_table`` of a file at the settings ``qkey`` (keyed on the file's id, not arrays)."""
    return model_table.model_table(model_weights(file_key).tensors, **dict(qkey))


def quantized(source: tuple, qkey: tuple) -> qv.QuantResult:
    """``qv.quantize`` of the tensor with the keyword arguments ``dict(qkey)``.

    A result holds ~6 bytes per value (codes, dequantized values, clipped mask):
    results of big tensors get a cache of their own with few entries, so memory
    stays bounded (4 × 30 M values ≈ 0.7 GB) while one page's variants (current,
    per tensor, per channel, per group) still fit.
    """
    if load_tensor(source).size > BIG_TENSOR:
        return quantized_big(source, qkey)
    return quantized_small(source, qkey)


@st.cache_resource(max_entries=24, show_spinner=False)
def quantized_small(source: tuple, qkey: tuple) -> qv.QuantResult:
    return qv.quantize(load_tensor(source), **dict(qkey))


@st.cache_resource(max_entries=4, show_spinner=False)
def quantized_big(source: tuple, qkey: tuple) -> qv.QuantResult:
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
    return qv.sweep(sweep_values(source, options), bits, [strategy], symmetric, **options)


def sweep_values(source: tuple, options: dict) -> np.ndarray:
    """The tensor a sweep runs on: itself, or above SEARCH_VALUES a structure-keeping sample.

    16 bit widths × a few strategies on 30 million values would take half a
    minute; the curves of a million-value sample are indistinguishable. The
    current setting's metrics are always computed on every value. A per-channel
    sample has its channels on axis 0 (``options["axis"]`` is set to match).
    """
    granularity = options.get("granularity", "tensor")
    layout = (granularity, options.get("axis", 0), options.get("group_size"))
    sample = search_sample(source, layout)
    if sample is not load_tensor(source) and granularity == "channel":
        options["axis"] = 0
    return sample


@st.cache_resource(max_entries=4, show_spinner=False)
def search_sample(source: tuple, layout: tuple) -> np.ndarray:
    """``model_table.search_sample`` of a tensor for ``(granularity, axis, group_size)``."""
    granularity, axis, group_size = layout
    sample = model_table.search_sample(
        load_tensor(source), SEARCH_VALUES, granularity=granularity, axis=axis,
        group_size=group_size,
    )  # fmt: skip
    sample.flags.writeable = False
    return sample


def sweep_key_of(s: Settings, strategy: str) -> tuple:
    """The options of a sweep for ``strategy`` under ``s`` (everything but bits)."""
    kwargs = appstate.quantize_kwargs(replace(s, strategy=strategy))
    del kwargs["bits"], kwargs["strategy"]  # (a bare tuple would be shown: st magic)
    return tuple(sorted(kwargs.items()))


def histogram_figure(source: tuple, qkey: tuple, log: bool, fig=None):
    """Figure 1 from cached data: original over quantized histogram (drawn into ``fig``)."""
    x, r = load_tensor(source), quantized(source, qkey)
    _, lo, hi = tensor_summary(source)
    data = plots.histogram_data(x, r, *plots.plot_range(lo, hi, r))
    return plots.histogram_figure(data, r, log=log, fig=fig)


def transfer_figure(source: tuple, qkey: tuple, fig=None):
    """Figure 2 from cached data: the staircase and the error histogram."""
    x, r = load_tensor(source), quantized(source, qkey)
    _, lo, hi = tensor_summary(source)
    x_lo, x_hi = plots.plot_range(lo, hi, r)
    if r.per_tensor:
        curves = [("Q(x)", *plots.transfer_curve(r, x_lo, x_hi))]
    else:
        coarse, fine = plots.extreme_grids(r)
        curves = [
            (f"coarsest grid (#{coarse})", *plots.transfer_curve(r, x_lo, x_hi, coarse)),
            (f"finest grid (#{fine})", *plots.transfer_curve(r, x_lo, x_hi, fine)),
        ]
    return plots.transfer_error_figure(r, curves, plots.error_histogram(x, r), fig=fig)


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


@st.cache_resource(max_entries=16, show_spinner=False)
def channel_view(source: tuple, s: Settings) -> tuple[channels.ChannelStats, float, float]:
    """Per-channel statistics and the per-tensor range they are compared with (cached:
    the figure and the note below it both need them; read-only)."""
    results = channel_results(source, s)
    stats = channels.channel_stats(load_tensor(source), s.axis, results)
    return stats, results["per tensor"].low, results["per tensor"].high


def channel_figure(source: tuple, s: Settings, fig=None):
    """Figure 3 from cached data: channel ranges and per-channel MSE."""
    stats, low, high = channel_view(source, s)
    return plots.channel_figure(stats, tensor_low=low, tensor_high=high, fig=fig)


def tradeoff_figure(table: pd.DataFrame, r: qv.QuantResult):
    """Figure 4: MSE and SQNR against bits with the current setting starred."""
    current = (r.bits, r.metrics["mse"], r.metrics["sqnr_db"])
    return plots.tradeoff_figure(table, labels=STRATEGY_LABELS, current=current)


@st.cache_resource(max_entries=8, show_spinner=False)
def figure_slot(kind: str, frame: tuple) -> dict:
    """One on-screen figure per view (and per ``frame``: options that change its axes), kept
    between reruns and sessions and redrawn with new content: reusing the axes and their
    ticks is about a third cheaper than a new figure. ``lock`` guards ``fig``."""
    return {"lock": threading.Lock(), "fig": None}


@st.cache_data(max_entries=96, show_spinner=False)
def figure_png(kind: str, source: tuple, qkey: tuple, extra: tuple = ()) -> bytes:
    """On-screen PNG of a figure, cached on everything it depends on."""
    if kind == "histogram":
        build = lambda fig: histogram_figure(source, qkey, *extra, fig=fig)  # noqa: E731
    elif kind == "transfer":
        build = lambda fig: transfer_figure(source, qkey, fig=fig)  # noqa: E731
    elif kind == "channel":
        build = lambda fig: channel_figure(source, Settings(**dict(extra)), fig=fig)  # noqa: E731
    else:
        raise ValueError(kind)
    slot = figure_slot(kind, extra if kind == "histogram" else ())
    with slot["lock"]:
        fig = build(slot.pop("fig", None))  # popped: a failed build leaves no half-drawn figure
        png = export.figure_png(fig, dpi=plots.DPI, compress_level=1)
        slot["fig"] = fig
    return png


def tradeoff_chart(table: pd.DataFrame, r: qv.QuantResult) -> tuple[pd.DataFrame, dict]:
    """On-screen trade-off view: data and Vega-Lite spec (drawn by the browser, values on hover).

    Only the star depends on the bit width, and it is in the data: the spec stays the
    same, so the browser updates the chart in place instead of building it again.
    Building both takes a few milliseconds; the matplotlib figure is for the downloads.
    """
    current = (r.bits, r.metrics["mse"], r.metrics["sqnr_db"])
    spec = plots.tradeoff_chart(table, labels=STRATEGY_LABELS, current=current)
    return pd.DataFrame(spec.pop("data")["values"]), spec


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
        state.update(n=s.n, seed=s.seed, source=s.source)
        if s.source == "sample" and s.tensor is not None:
            state["tensor"] = s.tensor
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
    kind, file_id, tensor = state.get("_picked", ("synthetic", None, None))
    s = replace(s, source=kind, file_id=file_id, tensor=tensor)
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


def md_escape(text: str) -> str:
    """``text`` shown literally in Markdown (file and tensor names come from users' files)."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])", r"\\\1", text)


def upload_changed() -> None:
    """Uploader callback: a new file becomes the source (if it turns out bad, see take_upload)."""
    if st.session_state.get("upload") is not None:
        st.session_state["source"] = "file"


def take_upload() -> str | None:
    """Read the file in the uploader once per upload; return the message if it is bad.

    A good file is held in this session's state (``_upload``) with its default
    tensor picked. A bad file changes nothing: the previous tensor stays on
    screen, and the message is returned on every run while the file sits in
    the uploader. An emptied uploader lets the held file go.
    """
    state = st.session_state
    uploaded = state.get("upload")
    if uploaded is None:
        state.pop("_upload", None)
        return None
    key = ("file", uploaded.file_id)
    held = state.get("_upload")
    if held is not None and held[0] == key:
        return None
    bad = state.get("_bad_upload")
    if bad is not None and bad[0] == key:
        return bad[1]
    try:
        with st.spinner("Reading the file…"):
            weights = frozen(read_weights(uploaded))
        default = model_table.default_tensor(weights.tensors)
        if default is None:
            kinds = ", ".join(sorted({str(x.dtype) for x in weights.tensors.values()}))
            raise qv.InputError(
                f"{weights.filename} holds no floating-point tensor to quantize "
                f"(only {kinds} values: ids, masks or counters, not weights)."
            )
    except qv.InputError as exc:
        state["_bad_upload"] = (key, str(exc))
        return str(exc)
    state["_upload"] = (key, weights)
    state["file_tensor"] = default
    return None


def tensor_label(info) -> str:
    """A picker line: name · shape · dtype · values (plain text), marked if not quantizable."""
    size = int(np.prod(info.shape, dtype=np.int64))
    text = f"{info.name} · {model_table.shape_text(info.shape)} · {info.dtype} · {size:,} values"
    return text if info.quantizable else text + " · not quantizable"


def tensor_picker(weights: LoadedWeights, key: str) -> str:
    """Searchable list of the file's tensors; returns the one to show (always quantizable).

    Integer and bool tensors are listed, marked, and explained when picked; the
    page then keeps the last quantizable tensor of this file.
    """
    infos = {i.name: i for i in weights.infos if i.loaded}
    default = model_table.default_tensor(weights.tensors)
    state = st.session_state
    if state.get(key) not in infos:
        if state.get(key) is not None and key == "tensor":
            source_notes.append(f"tensor={state[key][:60]!r} (no such tensor in the sample)")
        state[key] = default
    name = st.selectbox(
        f"Tensor ({len(infos)} in the file; type to search)", list(infos), key=key,
        format_func=lambda n: tensor_label(infos[n]), persist_state="session",
        help="Rows of a Linear layer's weight are its output channels (axis 0).",
    )  # fmt: skip
    last_key = f"_last_{key}"
    if infos[name].quantizable:
        state[last_key] = name
        return name
    shown = state.get(last_key) if state.get(last_key) in infos else default
    st.info(
        f"{md_escape(name)} holds {infos[name].dtype} values (ids, positions, masks or "
        f"counters, not weights), so it is not quantized. Showing {md_escape(shown)}."
    )
    return shown


def synthetic_controls() -> None:
    """Distribution, its parameters, sample size and seed (kept while hidden)."""
    dist = st.selectbox(
        "Distribution", list(DISTRIBUTIONS), key="dist",
        format_func=lambda name: DISTRIBUTIONS[name].label,
        help="Synthetic weights; each shape teaches one thing.", persist_state="session",
    )  # fmt: skip
    d = DISTRIBUTIONS[dist]
    st.caption(d.description)
    for p in d.params:
        key = param_key(dist, p.name)
        st.session_state.setdefault(key, p.default)
        if p.integer:
            st.slider(
                p.name, int(p.low), int(p.high), step=1, key=key, help=p.description,
                persist_state="session",
            )  # fmt: skip
        else:
            step, fmt = slider_step(p)
            st.slider(
                p.name, float(p.low), float(p.high), step=step, format=fmt, key=key,
                help=p.description, persist_state="session",
            )  # fmt: skip
    st.select_slider(
        "Sample size n", options=list(SAMPLE_SIZES), key="n", format_func=lambda v: f"{v:,}",
        persist_state="session",
    )  # fmt: skip
    seed_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    seed_col.number_input("Seed", 0, appstate.MAX_SEED, step=1, key="seed", persist_state="session")
    button_col.button("New sample", key="new_sample", on_click=new_sample, width="stretch")


def source_controls() -> str | None:
    """Where the tensor comes from: a distribution, the shipped sample or an uploaded file.

    Sets ``_picked`` = (source, file id, tensor) for :func:`read_state`; returns
    the message of a bad upload (shown on the page; nothing else changes).
    """
    state = st.session_state
    st.subheader("Data")
    upload_error = take_upload()
    held = state.get("_upload")
    kinds = ["synthetic", "sample"] + (["file"] if held is not None else [])
    if state.get("source") not in kinds:
        state["source"] = state.get("_last_kind", "synthetic")
    kind = st.radio("Source", kinds, key="source", format_func=SOURCE_LABELS.get)
    if kind == "synthetic":
        synthetic_controls()
        state["_picked"] = ("synthetic", None, None)
    elif kind == "sample":
        st.caption(
            "Six tensors of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), "
            "float32 as trained; see assets/README.md."
        )
        name = tensor_picker(sample_weights(), "tensor")
        state["_picked"] = ("sample", appstate.SAMPLE_NAME, name)
    else:
        weights = held[1]
        shown = md_escape(weights.filename)
        st.caption(f"{shown} ({weights.format}, {len(weights.infos)} tensors)")
        if weights.skipped:
            st.caption(
                "Skipped: "
                + "; ".join(f"{md_escape(i.name)} ({md_escape(i.note)})" for i in weights.skipped)
            )
        state["_picked"] = ("file", held[0][1], tensor_picker(weights, "file_tensor"))
    state["_last_kind"] = kind
    with st.container(key="source_upload"):
        st.file_uploader(
            f"Your weights (up to {MAX_FILE_BYTES // 2**20} MB)", type=list(SUPPORTED_EXTENSIONS),
            key="upload", on_change=upload_changed,
            help="safetensors, PyTorch (.pt/.pth/.bin, tensors only), ONNX, GGUF, NumPy "
            "(.npy/.npz), CSV/TXT. Read in memory and checked; never run, never saved.",
        )  # fmt: skip
    return upload_error


def open_tensor(name: str | None = None) -> None:
    """Callback: show ``name`` (or the one picked in "Open a tensor") in the views."""
    state = st.session_state
    name = name or state.get("open_tensor")
    if name:
        state["tensor" if state.get("source") == "sample" else "file_tensor"] = name
    state["open_tensor"] = None


def open_selected_row(names: list[str]) -> None:
    """Callback of the whole-model table: open the tensor of the selected row."""
    rows = st.session_state["model_table_rows"].selection.rows
    if rows:
        open_tensor(names[rows[0]])


MODEL_COLUMNS = {
    "tensor": st.column_config.TextColumn("tensor", pinned=True),
    "values": st.column_config.NumberColumn("values", format="localized"),
    "mse": st.column_config.NumberColumn("MSE", format="%.3e"),
    "rmse": st.column_config.NumberColumn("RMSE", format="%.3e"),
    "sqnr_db": st.column_config.NumberColumn("SQNR (dB)", format="%.1f"),
    "max_abs_error": st.column_config.NumberColumn("max |error|", format="%.3e"),
    "clipped_fraction": st.column_config.NumberColumn("clipped", format="percent"),
    "bits_per_weight": st.column_config.NumberColumn("bits/weight", format="%.3f"),
    "size_bytes": st.column_config.NumberColumn("size", format="bytes"),
    "float32_bytes": st.column_config.NumberColumn("float32 size", format="bytes"),
    "dropped": st.column_config.NumberColumn("NaN/Inf dropped", format="localized"),
    "note": st.column_config.TextColumn("note (fallbacks)"),
}


def whole_model_view(s: Settings, qkey: tuple, number: int) -> None:
    """Every float tensor of the file at the current settings: sortable, openable, downloadable."""
    st.header(f"{number} · The whole model at these settings")
    st.markdown(
        "Every floating-point tensor of the file, quantized with the settings above on all "
        "of its values. Sort a column (click its header) to find the layers that suffer "
        "most. Where a setting does not fit a tensor (a 1-D bias has no channels, a group "
        "size may not divide a row), the *granularity* and *note* columns say what was used."
    )
    if not st.toggle(
        "Quantize every tensor", value=True, key="whole_model",
        help="Turn off to keep slider moves quick on a very large checkpoint.",
    ):  # fmt: skip
        return
    weights = model_weights(s.file_key())
    table = whole_model_table(s.file_key(), qkey)
    names = list(table["tensor"])
    st.dataframe(
        table, hide_index=True, width="stretch", column_config=MODEL_COLUMNS,
        key="model_table_rows", on_select=lambda: open_selected_row(names),
        selection_mode="single-row",
    )  # fmt: skip
    left_out = [i for i in weights.infos if i.loaded and not i.quantizable]
    if left_out:
        st.caption(
            "Not in the table (not weights): "
            + ", ".join(f"{md_escape(i.name)} ({i.dtype})" for i in left_out)
        )
    open_col, csv_col = st.columns([3, 1], vertical_alignment="bottom")
    open_col.selectbox(
        "Open a tensor in the views above (or select a row)", names, index=None,
        key="open_tensor", on_change=open_tensor, placeholder="Type to search…",
    )  # fmt: skip
    csv_col.download_button(
        "Whole-model table (CSV)", lambda: export.table_csv(table), file_name="model_table.csv",
        mime="text/csv", key="dl_model_table", on_click="ignore", icon=":material/download:",
    )  # fmt: skip


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
source_notes: list[str] = []  # link values the data controls could not use

# ---- settings: data ------------------------------------------------------
with st.sidebar:
    st.title("quantviz")
    preset_buttons()
    upload_error = source_controls()

settings = read_state()
if st.session_state.get("_source") not in (None, settings.source_key()):
    st.session_state.pop("manual_range", None)  # new data: the manual range starts at its ends
    settings = replace(settings, low=None, high=None)
    if settings.source != "synthetic":  # another tensor: no deltas against the last one
        st.session_state.pop("_metrics", None)
st.session_state["_source"] = settings.source_key()

# ---- the tensor ------------------------------------------------------------
source = settings.source_key()
shape, data_low, data_high = tensor_summary(source)
dropped = real_tensor(source)[1] if settings.source != "synthetic" else 0

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
if settings.source == "synthetic":
    data_name, lesson = f"**{dist.label}**", dist.lesson
else:
    data_name = f"**{md_escape(settings.tensor)}** of {md_escape(model_weights(settings.file_key()).filename)}"  # noqa: E501
    lesson = (
        "Real weights: rows of a Linear layer's weight are its output channels (axis 0), "
        "so per channel gives each row its own scale."
    )

# ---- views -----------------------------------------------------------------
st.title("Watch quantization happen")
if upload_error is not None:
    st.error(md_escape(upload_error), icon=":material/error:")
st.markdown(
    f"{data_name}, {np.prod(shape):,} values{' as a ' + ' × '.join(map(str, shape)) + ' matrix' if len(shape) > 1 else ''}, "  # noqa: E501
    f"quantized to **{settings.bits} bits** ({SCHEME_LABELS[settings.scheme].lower()}, "
    f"{strategy.label.lower()} range, per {settings.granularity}). {lesson}"
)
if dropped:
    st.warning(
        f"{dropped:,} NaN/Inf values of this tensor are left out (`qv.finite_values`); "
        "the other values are shown flat (1-D), so only per-tensor quantization applies."
    )
if settings.source == "file":
    st.caption(
        "An uploaded file cannot travel in a link: the address keeps the settings, "
        "but whoever opens it has to upload the file again."
    )
for note in link_notes + source_notes:  # both hold text from the address bar
    st.warning(f"Ignored from the link: {md_escape(note)}.")
for note in dict.fromkeys(fit_notes + more_notes):
    st.info(note)
preset = active_preset(settings)
if preset is not None:
    st.success(f"**{preset.title}.** {preset.lesson}", icon=":material/school:")

metric_row(readout.metric_cards(result, previous))

# 1. Histograms
# Each view: the figure at its drawn size (full column width on a 1280-px screen, so
# its 15–17 pt type is shown at 15–17 pt), then what to notice beside the formulas.
st.header("1 · Where the values land")
log = st.toggle("Log counts", key="log", help="Show rare values (tails, clipped mass).")
st.image(figure_png("histogram", source, qkey, (log,)), width="content")
figure_downloads(
    lambda: histogram_figure(source, qkey, log), name="histogram", key_prefix="dl_hist"
)
text_col, math_col = st.columns(2, gap="large")
with text_col:
    st.markdown(readout.histogram_note(result, strategy.label))
with math_col:
    if result.per_tensor:
        st.latex(readout.scale_formula(result))
        st.latex(readout.zero_point_formula(result))
    st.latex(readout.QUANTIZE_FORMULA)

# 2. Transfer function and error
st.header("2 · The staircase and the error it makes")
st.image(figure_png("transfer", source, qkey), width="content")
figure_downloads(lambda: transfer_figure(source, qkey), name="transfer", key_prefix="dl_tf")
text_col, math_col = st.columns(2, gap="large")
with text_col:
    st.markdown(readout.transfer_note(result))
with math_col:
    st.latex(readout.mse_formula(result))

# 3. Channels (tensors with rows only)
if len(shape) >= 2:
    st.header("3 · Channel by channel")
    channel_settings = tuple((f, getattr(settings, f)) for f in settings.__dataclass_fields__)
    st.image(figure_png("channel", source, qkey, channel_settings), width="content")
    figure_downloads(lambda: channel_figure(source, settings), name="channels", key_prefix="dl_ch")
    stats, _, _ = channel_view(source, settings)
    st.markdown(readout.channel_note(stats, ("per tensor", "per channel")))

# 4. Trade-off against bit width
st.header(f"{4 if len(shape) >= 2 else 3} · Trade-off: error against bit width")
sweepable = [
    n for n, s in STRATEGIES.items() if n != "manual" and settings.granularity in s.granularities
]
compare = st.multiselect(
    "Strategies to compare", sweepable, key="compare", format_func=STRATEGY_LABELS.get,
    help="MSE-optimal and entropy search take a few seconds each for 16 bit widths.",
)  # fmt: skip
names = list(dict.fromkeys([*compare, settings.strategy]))
table = pd.concat(
    [sweep_table(source, name, sweep_key_of(settings, name)) for name in names],
    ignore_index=True,
)
# Drawn by the browser (hover a point for its numbers); the downloads are the figure.
st.vega_lite_chart(*tradeoff_chart(table, result), width="content", theme=None)
figure_downloads(lambda: tradeoff_figure(table, result), name="tradeoff", key_prefix="dl_to")
text_col, math_col = st.columns(2, gap="large")
with text_col:
    st.markdown(readout.tradeoff_note(table, settings.bits, STRATEGY_LABELS))
with math_col:
    st.latex(readout.sqnr_formula(result))
with st.expander("The trade-off as a table"):
    columns = ["strategy", "bits", "mse", "sqnr_db", "sqnr_rule_db", "clipped_fraction",
               "levels_used", "bits_per_weight", "low", "high"]  # fmt: skip
    st.dataframe(table[columns], hide_index=True, width="stretch")
if np.prod(shape) > SEARCH_VALUES:
    st.caption(
        f"The curves are computed on a random sample of about {SEARCH_VALUES:,} of the "
        f"{np.prod(shape):,} values (whole rows or channels kept); the current setting's "
        "numbers at the top are computed on every value."
    )

# 5. The whole model (weight files only)
if settings.source != "synthetic":
    whole_model_view(settings, qkey, 5 if len(shape) >= 2 else 4)

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


# ---- while the class looks: draw the neighbouring bit widths ------------------
def prefetch_neighbours(s: Settings, *, log: bool, channels: bool) -> None:
    """Warm the caches for one bit more and one bit fewer, after this page has gone out.

    A bit-slider move to a setting seen before costs only the page update; this
    makes the usual next move (one step either way, in the direction of the last
    one first) such a move. The thread waits a moment so the current page is sent
    first, and quietly gives up on a setting that cannot exist (e.g. narrow 1-bit).
    """
    last = st.session_state.get("_last_bits", s.bits)
    st.session_state["_last_bits"] = s.bits
    step = -1 if last > s.bits else 1
    targets = [b for b in (s.bits + step, s.bits - step) if 1 <= b <= qv.quantizer.MAX_BITS]

    def work() -> None:
        time.sleep(PREFETCH_DELAY_S)
        for bits in targets:
            try:
                moved = replace(s, bits=bits)
                key = qkey_of(moved)
                quantized(source, key)
                figure_png("histogram", source, key, (log,))
                figure_png("transfer", source, key)
                if channels:
                    fields = tuple((f, getattr(moved, f)) for f in moved.__dataclass_fields__)
                    figure_png("channel", source, key, fields)
            except Exception:
                continue

    # Not a daemon: at exit Python waits the moment it needs to finish, rather than
    # killing it inside matplotlib or a thread pool (which aborts the process).
    threading.Thread(target=work, name=PREFETCH_THREAD, daemon=False).start()


class _QuietPrefetch(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warning for the prefetch thread only:
    it runs cached functions outside any script run on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != PREFETCH_THREAD


_context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
if not any(isinstance(f, _QuietPrefetch) for f in _context_log.filters):
    _context_log.addFilter(_QuietPrefetch())


prefetch_neighbours(settings, log=log, channels=len(shape) >= 2)
