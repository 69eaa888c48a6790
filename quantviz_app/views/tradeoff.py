"""View 4: error against bit width, for several range strategies, with the current setting starred.

Each strategy's sweep over 1–16 bits is computed once per tensor and options (not
per bit width), so a bit-slider move only moves the star. A tensor above a million
values is swept on a sample that keeps whole rows (the numbers at the top of the
page always use every value).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.fit import fit_settings
from quantviz.model_table import search_sample
from quantviz.sweep import sqnr_uniform_db
from quantviz_app import charts, export, figures, link, text
from quantviz_app.data import Data
from quantviz_app.downloads import figure_buttons
from quantviz_app.schema import BY_KEY, Settings, quantize_kwargs
from quantviz_app.widgets import control

BITS = range(1, 17)
SWEEP_VALUES = 1_000_000  # larger tensors are swept on a sample of about this many values
REFERENCE = "uniform data, 20·log10(2^b − 1)"
LABELS = {s.name: s.label for s in qv.strategies()}


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
    """One strategy over 1–16 bits (cached per tensor and options)."""

    def compute() -> pd.DataFrame:
        opts = dict(options)
        strategy = opts.pop("strategy")
        symmetric = opts.pop("symmetric")
        layout = (opts.get("granularity", "tensor"), opts.get("axis", 0), opts.get("group_size"))
        x = search_sample(data.x, SWEEP_VALUES, granularity=layout[0], axis=layout[1],
                          group_size=layout[2])  # fmt: skip
        if x is not data.x and layout[0] == "channel":
            opts["axis"] = 0  # the sample has its channels on axis 0
        bits = [b for b in BITS if b >= 2 or not opts.get("narrow_range")]
        return qv.sweep(x, bits, [strategy], symmetric, **opts)

    return data.memo("sweep", tuple(sorted(options.items())), compute=compute)


def datasets(table: pd.DataFrame, r: qv.QuantResult) -> dict[str, pd.DataFrame]:
    """The curves (one per strategy, and the reference) and the star."""
    curves = pd.DataFrame({
        "series": table["strategy"].map(LABELS),
        "bits": table["bits"],
        "mse": table["mse"].where(table["mse"] > 0),
        "sqnr_db": table["sqnr_db"].map(charts.finite),
        "clipped": 100.0 * table["clipped_fraction"],
    })  # fmt: skip
    reference = pd.DataFrame({"series": REFERENCE, "bits": list(BITS),
                              "sqnr_db": sqnr_uniform_db(list(BITS))})  # fmt: skip
    m = r.metrics
    current = pd.DataFrame({
        "bits": [r.bits], "mse": [m["mse"] if m["mse"] > 0 else None],
        "sqnr_db": [charts.finite(m["sqnr_db"])],
    })  # fmt: skip
    return {"curves": pd.concat([curves, reference], ignore_index=True), "current": current}


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The strategies to compare, the two panels, what to notice, the SQNR formula, the table."""
    st.subheader("Trade-off: error against bit width")
    kwargs = quantize_kwargs(s)
    r = data.quantized(kwargs)
    allowed = tuple(
        name for name in BY_KEY["compare"].options if r.config.granularity in
        qv.get_strategy(name).granularities
    )  # fmt: skip
    compare = control("compare", options=allowed)
    link.sync(s.replace(compare=tuple(compare)), st.query_params)
    names = list(dict.fromkeys([*[c for c in compare if c in allowed], r.config.strategy]))
    if "manual" in names:
        names.remove("manual")
    tables = [sweep_table(data, sweep_options(s, data.shape, name)) for name in names]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if table.empty:
        st.info("Choose a strategy to compare.")
        return
    sets = datasets(table, r)
    series = [LABELS[n] for n in names]
    # SQNR only: MSE on a log axis is the same curve upside down (it is in the hover
    # and in the download, which shows both).
    spec = charts.tradeoff_spec(series, REFERENCE, field="sqnr_db", legend=True)
    st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    figure_buttons(lambda: figures.tradeoff_figure(sets, series, REFERENCE), name="tradeoff",
                   key="dl_tradeoff")  # fmt: skip
    st.markdown(text.tradeoff_note(table, r.bits, LABELS))
    st.latex(text.sqnr_formula(r))
    if data.size > SWEEP_VALUES:
        st.caption(
            f"The curves are computed on a sample of about {SWEEP_VALUES:,} of the "
            f"{data.size:,} values (whole rows kept); the numbers at the top use every value."
        )
    with st.expander("The trade-off as a table"):
        columns = ["strategy", "bits", "mse", "sqnr_db", "clipped_fraction", "levels_used",
                   "bits_per_weight", "low", "high"]  # fmt: skip
        st.dataframe(table[columns], hide_index=True, width="stretch")
        st.download_button(
            "Trade-off table (CSV)", lambda: export.table_csv(table), file_name="tradeoff.csv",
            mime="text/csv", key="dl_tradeoff_csv", on_click="ignore",
            icon=":material/download:",
        )  # fmt: skip
