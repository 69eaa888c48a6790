"""View 4: error against bit width, for several range strategies, with the current setting starred.

Each strategy's sweep over 1–16 bits is computed once per tensor and options (not
per bit width), so a bit-slider move only moves the star. A tensor over 262,144
values is estimated (``quantviz.sweep.sweep_estimate``): per tensor, ranges chosen on
a sample and errors measured on every value; per channel or group, whole rows of a
sample. The numbers at the top of the page always use every value.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.fit import fit_settings
from quantviz.sweep import ESTIMATE_VALUES, sqnr_uniform_db, sweep_estimate, sweep_method
from quantviz_app import charts, text
from quantviz_app.data import Data
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.names import strategy_label
from quantviz_app.schema import BY_KEY, Settings, option_label, quantize_kwargs
from quantviz_app.widgets import control

BITS = range(1, 17)
REFERENCE = "uniform data, 20·log10(2^b − 1)"


def label(strategy: str, t: Tr = EN) -> str:
    """A strategy's name in the legend, in ``t``'s language."""
    return strategy_label(strategy, t)


def reference(t: Tr = EN) -> str:
    """The reference curve's name in the legend, in ``t``'s language."""
    return t("text.tradeoff.reference", REFERENCE)


def sweep_options(s: Settings, shape: tuple[int, ...], strategy: str) -> dict:
    """``qv.sweep`` options for ``strategy`` at these settings (everything but bits), fitted."""
    knobs = {p.name for st in qv.strategies() for p in st.params}
    kwargs = {k: v for k, v in quantize_kwargs(s).items() if k not in knobs | {"low", "high"}}
    kwargs["strategy"] = strategy
    for p in qv.get_strategy(strategy).params:  # a compared strategy's knob, as set
        kwargs[p.name] = s[p.name]
    fitted, _ = fit_settings(shape, **kwargs)
    fitted.pop("bits", None)
    return fitted


def sweep_table(data: Data, options: dict) -> pd.DataFrame:
    """One strategy over 1–16 bits (cached per tensor and options); a bit width this
    tensor cannot have is left out. Big tensors are estimated (``qv.sweep_estimate``)."""

    def compute() -> pd.DataFrame:
        opts = dict(options)
        strategy, symmetric = opts.pop("strategy"), opts.pop("symmetric")
        return sweep_estimate(data.x, BITS, [strategy], symmetric, skip_unfit=True, **opts)

    return data.memo("sweep", tuple(sorted(options.items())), compute=compute)


def summary(tables: list[pd.DataFrame], t: Tr = EN) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """What the view draws that does not depend on the bit width: the table, the curves
    (one per strategy, and the reference) and each bit width's SQNR per strategy (named in
    ``t``'s language)."""
    table = pd.concat([t for t in tables if not t.empty], ignore_index=True)
    if table.empty:
        table = pd.DataFrame(columns=["strategy", "bits", "mse", "sqnr_db", "clipped_fraction"])
    curves = pd.DataFrame({
        "series": table["strategy"].map(lambda name: label(name, t)),
        "bits": table["bits"],
        "mse": table["mse"].where(table["mse"] > 0),
        "sqnr_db": table["sqnr_db"].map(charts.finite),
        "clipped": 100.0 * table["clipped_fraction"],
    })  # fmt: skip
    uniform = pd.DataFrame({"series": reference(t), "bits": list(BITS),
                            "sqnr_db": sqnr_uniform_db(list(BITS))})  # fmt: skip
    by_bits: dict[int, list[tuple[str, float]]] = {}
    for row in table.sort_values("sqnr_db", ascending=False).itertuples():
        by_bits.setdefault(int(row.bits), []).append((label(row.strategy, t), float(row.sqnr_db)))
    return table, pd.concat([curves, uniform], ignore_index=True), by_bits


def star(r: qv.QuantResult) -> pd.DataFrame:
    """The current setting: the only data of the view that changes with the bit width."""
    m = r.metrics
    return pd.DataFrame({
        "bits": [r.bits], "mse": [m["mse"] if m["mse"] > 0 else None],
        "sqnr_db": [charts.finite(m["sqnr_db"])],
    })  # fmt: skip


def datasets(table: pd.DataFrame, r: qv.QuantResult, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The curves and the star (for a table computed elsewhere)."""
    return {"curves": summary([table], t)[1], "current": star(r)}


def style(strategy: str) -> int:
    """A strategy's own place in the chart's palettes (colour, dash, shape): its place among
    the strategies the picker offers, so Min-max looks the same whatever is compared."""
    return BY_KEY["compare"].options.index(strategy)


def allowed_strategies(granularity: str) -> tuple[str, ...]:
    """The strategies a sweep can compare at this granularity (not manual: one range)."""
    return tuple(
        name for name in BY_KEY["compare"].options
        if granularity in qv.get_strategy(name).granularities
    )  # fmt: skip


def view_data(
    m: Move, compare: tuple[str, ...]
) -> tuple[list[str], pd.DataFrame, pd.DataFrame, dict]:
    r"""The strategies drawn at these settings (those ``compare``\ d, and the chosen one), and
    :func:`summary` of their sweeps in the settings' language (cached per tensor, options and
    language, not per bit width)."""
    s, data, t = m.s, m.data, m.t
    allowed = allowed_strategies(m.kwargs.get("granularity", "tensor"))
    names = [n for n in dict.fromkeys([*compare, s["strategy"]]) if n in allowed]
    if not names:
        return [], pd.DataFrame(), pd.DataFrame(), {}
    options = [sweep_options(s, data.shape, name) for name in names]
    key = tuple(tuple(sorted(o.items())) for o in options)
    table, curves, by_bits = data.memo(
        "trade-off",
        key,
        t.lang,
        compute=lambda: summary([sweep_table(data, o) for o in options], t),
        busy=t("text.tradeoff.busy", "Measuring every bit width from 1 to 16…"),
    )
    return names, table, curves, by_bits


def to_formats(state: MutableMapping[str, Any]) -> None:
    """Button callback: open the Formats room (the trade-off across formats)."""
    state["room"] = "Formats"


def format_note(s: Settings, state: MutableMapping[str, Any]) -> None:
    """In place of the sweep, for a number format: why, and the way to the Formats room."""
    t = Tr(s["lang"])
    label = option_label("format", s["format"], t)
    st.info(t(
        "text.tradeoff.format",
        "{format} stores {bits}-bit elements: it has no bit width to sweep. Its trade-off is "
        "against the other formats: the Formats room draws every format's SQNR against its "
        "bits per weight, {format} ringed. Choose INT to sweep the integer grid from 1 to 16 "
        "bits.",
        format=label, bits=qv.get_format(s["format"]).element_bits,
    ), icon=":material/info:")  # fmt: skip
    if st.button(t("text.tradeoff.to_formats", "Open the Formats room"), key="to_formats",
                 on_click=to_formats, args=(state,), icon=":material/arrow_forward:"):  # fmt: skip
        st.rerun(scope="app")


@st.fragment
def show(m: Move) -> None:
    """The strategies to compare, the chart and what to notice (for a number format, why
    not, and the way to the Formats room)."""
    s, data, t, r = m.s, m.data, m.t, m.result
    st.subheader(t("text.tradeoff.title", "Trade-off: error against bit width"))
    if not m.integer:
        format_note(s, m.state)
        return
    # kept while another room is open (an unmounted widget loses its value otherwise)
    compare = control(
        "compare", options=allowed_strategies(r.config.granularity), t=t, persist_state="session"
    )
    names, _, curves, by_bits = view_data(m, tuple(compare))
    if not names:
        st.info(t("text.tradeoff.none", "Choose a strategy to compare."))
        return
    sets = {"curves": curves, "current": star(r)}
    series = [label(n, t) for n in names]
    # SQNR only: MSE on a log axis is the same curve upside down (it is in the hover, in
    # the table and in the downloaded figure, which shows both).
    spec = charts.tradeoff_spec(series, reference(t), field="sqnr_db", legend=True,
                                styles=[style(n) for n in names], t=t)  # fmt: skip
    st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    st.markdown(text.tradeoff_note(by_bits.get(r.bits, []), r.bits, t))
    method = sweep_method(data.size, r.config.granularity, s["rounding"])
    note = text.sweep_note(method, data.size, ESTIMATE_VALUES, t)
    if note:
        st.caption(note)
