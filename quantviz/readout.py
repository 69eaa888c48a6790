"""The numbers and sentences the app shows next to its figures, formatted from a result.

Every figure here comes from a :class:`quantviz.QuantResult` (or a sweep
table); this module only picks, formats and compares them, so the app holds
no formulas and the tests can check the exact strings a student reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantviz.channels import ChannelStats
from quantviz.metrics import sqnr_rule_db
from quantviz.pipeline import QuantResult

METRIC_LABELS = (
    "Step size",
    "Zero point",
    "MSE",
    "SQNR",
    "Max error",
    "Clipped",
    "Levels used",
    "Size",
)


def num(value: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (``0.1234``, ``1.235e-05``, ``∞``)."""
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}g}"


def db(value: float) -> str:
    """A decibel figure: ``10.1 dB``, ``∞ dB``."""
    return f"{num(value) if math.isinf(value) else f'{value:.1f}'} dB"


def percent(fraction: float) -> str:
    """A share as a percentage: ``0 %``, ``0.012 %``, ``12.3 %``."""
    p = 100.0 * fraction
    if p == 0:
        return "0 %"
    return f"{p:.3g} %" if p < 10 else f"{p:.1f} %"


def _spread(values: object, fmt=num) -> str:
    arr = np.ravel(values)
    lo, hi = arr.min(), arr.max()
    return fmt(lo) if lo == hi else f"{fmt(lo)} … {fmt(hi)}"


@dataclass(frozen=True)
class MetricCard:
    """One ``st.metric``: label, value, optional delta (a string), its colour rule and help."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"
    help: str = ""


def _delta(new: float, old: float | None, fmt) -> str | None:
    if old is None or not (math.isfinite(new) and math.isfinite(old)) or new == old:
        return None
    change = new - old
    return ("+" if change > 0 else "−") + fmt(abs(change))


def metric_cards(r: QuantResult, previous: Mapping[str, float] | None = None) -> list[MetricCard]:
    """The eight readouts of a result, with deltas against ``previous`` (from ``metric_values``).

    Labels are :data:`METRIC_LABELS`. Per channel / group the step size and zero
    point show their range (smallest … largest).
    """
    m = r.metrics
    prev = previous or {}
    per_tensor = r.per_tensor
    n = r.codes.size
    clipped = r.metrics["clipped_count"]
    step_help = (
        "s: the distance between neighbouring levels, real units per code."
        if per_tensor
        else f"{np.size(r.scale)} step sizes, one per {r.config.granularity} (smallest … largest)."
    )
    bpw = m["bits_per_weight"]
    size_help = (
        f"{bpw:.4g} bits per weight, {num(m['compression_ratio'], 3)}× smaller than float32: "
        f"{m['size_bytes']:,.0f} bytes instead of {m['float32_bytes']:,.0f} (scales and zero "
        "points included)."
    )
    return [
        MetricCard(
            "Step size",
            num(r.scale) if per_tensor else _spread(r.scale),
            _delta(float(r.scale), prev.get("scale"), num) if per_tensor else None,
            "off",
            step_help,
        ),
        MetricCard(
            "Zero point",
            str(int(r.zero_point)) if per_tensor else _spread(r.zero_point, lambda v: str(int(v))),
            _delta(float(r.zero_point), prev.get("zero_point"), lambda v: str(int(v)))
            if per_tensor
            else None,
            "off",
            "z: the code that stands for the real value 0.0 (0 for symmetric grids).",
        ),
        MetricCard(
            "MSE",
            num(m["mse"]),
            _delta(m["mse"], prev.get("mse"), lambda v: num(v, 3)),
            "inverse",
            f"Mean squared error (x̂ − x)²: rounding {num(m['mse_rounding'])} + "
            f"clipping {num(m['mse_clipping'])}.",
        ),
        MetricCard(
            "SQNR",
            db(m["sqnr_db"]),
            _delta(m["sqnr_db"], prev.get("sqnr_db"), lambda v: f"{v:.1f} dB"),
            "normal",
            f"Signal-to-quantization-noise ratio 10·log10(Σx² / Σ(x̂ − x)²). "
            f"The 6.02 dB-per-bit rule says {db(float(sqnr_rule_db(r.bits)))} at {r.bits} bits.",
        ),
        MetricCard(
            "Max error",
            num(m["max_abs_error"]),
            _delta(m["max_abs_error"], prev.get("max_abs_error"), lambda v: num(v, 3)),
            "inverse",
            "The largest |x̂ − x| of any value.",
        ),
        MetricCard(
            "Clipped",
            percent(m["clipped_fraction"]),
            _delta(
                m["clipped_fraction"],
                prev.get("clipped_fraction"),
                lambda v: percent(v)[:-2] + " pp",
            ),
            "inverse",
            f"{clipped:,} of {n:,} values lay outside the grid and were clamped to its ends.",
        ),
        MetricCard(
            "Levels used",
            f"{m['levels_used']:,} of {m['levels_available']:,}",
            _delta(m["levels_used"], prev.get("levels_used"), lambda v: f"{int(v):,}"),
            "off",
            f"Codes that at least one value landed on. Their entropy is "
            f"{m['code_entropy_bits']:.2f} bits: what a lossless coder would need per value.",
        ),
        MetricCard(
            "Size",
            size_value(bpw),
            _delta(m["bits_per_weight"], prev.get("bits_per_weight"), lambda v: f"{v:.2f}"),
            "inverse",
            size_help,
        ),
    ]


def size_value(bits_per_weight: float) -> str:
    """The Size card's value, short enough for a quarter of a 1280-px page: ``4.00 bits``."""
    return f"{bits_per_weight:.2f} bits" if bits_per_weight < 10 else f"{bits_per_weight:.1f} bits"


def metric_values(r: QuantResult) -> dict[str, float]:
    """The numbers behind the cards, to keep for the next deltas."""
    values = {k: float(v) for k, v in r.metrics.items()}
    if r.per_tensor:
        values["scale"] = float(r.scale)
        values["zero_point"] = float(r.zero_point)
    return values


# ------------------------------------------------------------ formulas --


def _two_lines(first: str, second: str) -> str:
    """LaTeX: ``first`` and ``second`` aligned on their first ``&``, one under the other.

    The formulas sit in a half-width column; on one line the longer ones were cut off.
    """
    return rf"\begin{{aligned}} {first} \\ {second} \end{{aligned}}"


def scale_formula(r: QuantResult) -> str:
    """LaTeX: the step-size formula with this result's numbers (per tensor), on two lines."""
    b, lo, hi, s = r.bits, num(r.low), num(r.high), num(r.scale)
    if r.config.symmetric:
        amax = num(max(-r.low, r.high))
        denom = num(r.qmax) if r.config.narrow_range else num((r.qmax - r.qmin) / 2)
        rule = (
            r"s &= \frac{\max(|\ell|, |h|)}{q_{max}}"
            if r.config.narrow_range
            else r"s &= \frac{\max(|\ell|, |h|)}{(q_{max} - q_{min})/2}"
        )
        return _two_lines(rule, rf"&= \frac{{{amax}}}{{{denom}}} = {s}")
    return _two_lines(
        rf"s &= \frac{{h - \ell}}{{2^{{b}} - 1}} = \frac{{{hi} - ({lo})}}{{2^{{{b}}} - 1}}",
        rf"&= \frac{{{num(r.high - r.low)}}}{{{r.qmax - r.qmin}}} = {s}",
    )


def zero_point_formula(r: QuantResult) -> str:
    """LaTeX: the zero point with this result's numbers (per tensor)."""
    if r.config.symmetric:
        return r"z = 0 \quad\text{(symmetric: 0.0 is code 0)}"
    return _two_lines(
        r"z &= q_{min} - \mathrm{round}(\ell / s)",
        rf"&= {r.qmin} - \mathrm{{round}}({num(r.low)} / {num(r.scale)}) = {int(r.zero_point)}",
    )


QUANTIZE_FORMULA = _two_lines(
    r"q &= \mathrm{clamp}\big(\mathrm{round}(x / s) + z,\ q_{min},\ q_{max}\big)",
    r"\hat{x} &= (q - z)\, s",
)


def mse_formula(r: QuantResult) -> str:
    """LaTeX: the MSE split into rounding and clipping, with numbers."""
    m = r.metrics
    return (
        rf"\mathrm{{MSE}} = \underbrace{{{num(m['mse_rounding'], 3)}}}_{{\text{{rounding}}}}"
        rf" + \underbrace{{{num(m['mse_clipping'], 3)}}}_{{\text{{clipping}}}}"
        rf" = {num(m['mse'], 3)}"
    )


def sqnr_formula(r: QuantResult) -> str:
    """LaTeX: the SQNR and the 6.02 dB/bit rule at this bit width."""
    m = r.metrics
    sq = r"\infty" if math.isinf(m["sqnr_db"]) else f"{m['sqnr_db']:.1f}"
    return _two_lines(
        rf"\mathrm{{SQNR}} &= 10 \log_{{10}} \frac{{\sum x^2}}{{\sum (x - \hat{{x}})^2}}"
        rf" = {sq}\ \mathrm{{dB}}",
        rf"\text{{rule: }} 6.02 \cdot {r.bits} &= {float(sqnr_rule_db(r.bits)):.1f}\ \mathrm{{dB}}",
    )


def uniform_noise(r: QuantResult) -> float:
    """``s²/12``: the MSE of rounding if values were spread evenly within each step (per tensor)."""
    return float(r.scale) ** 2 / 12.0


# ---------------------------------------------------------------- notes --


def histogram_note(r: QuantResult, strategy_label: str) -> str:
    """What to notice in the histograms (markdown)."""
    m = r.metrics
    n = r.codes.size
    if not r.per_tensor:
        return (
            f"Each {r.config.granularity} has its own grid ({np.size(r.scale):,} grids, steps "
            f"{_spread(r.scale)}), so the quantized histogram no longer sits on one set of "
            f"levels. Together the values use **{m['levels_used']} of {m['levels_available']}** "
            f"codes; **{percent(m['clipped_fraction'])}** were clipped."
        )
    used, avail = m["levels_used"], m["levels_available"]
    text = (
        f"The {n:,} values (top) collapse onto **{used} of {avail}** levels (bottom). "
        f"{strategy_label} put the range at [{num(r.low)}, {num(r.high)}], so one step is "
        f"**s = {num(r.scale)}**. "
    )
    if m["clipped_fraction"] > 0:
        text += (
            f"{m['clipped_count']:,} values ({percent(m['clipped_fraction'])}) lie outside the "
            "dashed lines and are clipped to the end levels."
        )
    else:
        text += "Nothing is clipped: every value lies inside the dashed lines."
    text += " *Predict: what happens to the bottom histogram with one bit fewer?*"
    return text


def transfer_note(r: QuantResult) -> str:
    """What to notice in the staircase and the error histogram (markdown)."""
    m = r.metrics
    if not r.per_tensor:
        return (
            f"The staircases of the coarsest and the finest of the {np.size(r.scale):,} grids: "
            "a small channel gets small steps. Rounding MSE "
            f"{num(m['mse_rounding'], 3)}, clipping MSE {num(m['mse_clipping'], 3)}."
        )
    bound = "s/2" if r.config.rounding == "nearest" else "s"
    limit = float(r.scale) / 2 if r.config.rounding == "nearest" else float(r.scale)
    text = (
        f"Every x between two steps maps to the same level: {m['levels_available']:,} levels, "
        f"{num(r.scale)} apart. Inside the range the error is rounding, never more than "
        f"{bound} = {num(limit)}; spread evenly it would average s²/12 = "
        f"{num(uniform_noise(r), 3)}, and here it is {num(m['mse_rounding'], 3)}. "
    )
    if m["clipped_fraction"] > 0:
        text += (
            f"Beyond the clipping points the staircase is flat: clipping error grows with the "
            f"distance, up to {num(m['max_abs_error'])} (outlined bars, log counts)."
        )
    else:
        text += "No value reaches the flat ends, so there is no clipping error."
    return text


def tradeoff_note(table: pd.DataFrame, bits: int, labels: Mapping[str, str]) -> str:
    """What to notice in the bits sweep (markdown): the strategies at the current bit width."""
    here = table[table["bits"] == bits].sort_values("sqnr_db", ascending=False)
    parts = [
        f"{labels.get(row.strategy, row.strategy)} {db(row.sqnr_db)}" for row in here.itertuples()
    ]
    rule = db(float(sqnr_rule_db(bits)))
    text = (
        "Each extra bit halves the step and gains about 6.02 dB (dashed line). Data that does "
        "not fill its range evenly stays below the line; clipping closes part of the gap at "
        "low bit widths but costs accuracy at high ones, where clipping error dominates."
    )
    if parts:
        text += f" At **{bits} bits**: " + ", ".join(parts) + f" (rule: {rule})."
    return text


def channel_note(stats: ChannelStats, labels: tuple[str, str]) -> str:
    """What to notice in the per-channel view (markdown)."""
    a, b = labels
    ratio = stats.amax_ratio()
    mse_a, mse_b = stats.total_mse(a), stats.total_mse(b)
    gain = f"{mse_a / mse_b:.1f}× lower" if mse_b > 0 and mse_a > mse_b else "no lower"
    ratio_text = "∞" if math.isinf(ratio) else f"{ratio:.1f}"
    return (
        f"The largest channel reaches {ratio_text}× further from 0 than the smallest. "
        f"One grid {a} is sized for the largest, so small channels fall on few levels; "
        f"{b} gives each its own step. Total MSE: {a} {num(mse_a, 3)}, "
        f"{b} {num(mse_b, 3)} ({gain})."
    )
