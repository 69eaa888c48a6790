"""Every sentence and formula the page shows, filled in with the core's numbers.

One catalogue: the views call these functions and show what they return, so the
tests can check the exact text a student reads against hand-written strings. Each
sentence is written here in English and named by a ``text.…`` key; a function's
translator ``t`` (:class:`quantviz_app.i18n.Tr`) gives it in the reader's language
(Chinese: ``locale/zh.toml``), with the numbers formatted before they go in. No
number is computed here: each comes from a :class:`quantviz.QuantResult`, its
``metrics``, a sweep table or :mod:`quantviz.counts`; this module picks, formats and
phrases them (and checks that a formula's shown operands give its shown result,
:func:`quantviz_app.format.operand_digits`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantviz.channels import ChannelStats
from quantviz.counts import MAX_LEVELS_DRAWN
from quantviz.mistakes import ArticleMistakes
from quantviz.number_formats import FormatResult
from quantviz.pipeline import QuantResult
from quantviz.worked import WorkedExample
from quantviz_app.format import MINUS, db, decimals, md_escape, num, operand_digits, percent, tex
from quantviz_app.i18n import EN, Message, Tr
from quantviz_app.presets import Preset
from quantviz_app.schema import option_label

TITLE = "Watch quantization happen"
SCHEME_WORDS = {
    "asymmetric": "asymmetric (zero point)",
    "symmetric": "symmetric (zero point 0)",
    "narrow": "symmetric, narrow range",
}


# ------------------------------------------------------------- the header --


def in_sentence(label: str, t: Tr = EN) -> str:
    """A label inside a sentence: lower case in English ("min-max range"); Chinese has no
    case, and its acronyms (MSE, KL) stay as they are."""
    return label.lower() if t.lang == "en" else label


def matrix_words(shape: tuple[int, ...], t: Tr = EN) -> str:
    """`` as a 1536 × 384 matrix`` for a tensor with rows, ``""`` for a vector."""
    if len(shape) < 2:
        return ""
    return t("text.data.matrix", " as a {shape} matrix", shape=" × ".join(map(str, shape)))


def data_line(
    name: str,
    shape: tuple[int, ...],
    bits: int,
    scheme: str,
    strategy: str,
    granularity: str,
    *,
    t: Tr = EN,
) -> str:
    """The first sentence of the page: which values, and how they are quantized (Markdown)."""
    size, as_matrix = int(np.prod(shape, dtype=np.int64)), matrix_words(shape, t)
    return t(
        "text.data.line",
        "**{name}**: {values}{as_matrix}, quantized to **{bits}**, {scheme}, {strategy} range, "
        "per {granularity}.",
        name=name, values=t.count(size, "value"), as_matrix=as_matrix, bits=t.count(bits, "bit"),
        scheme=t(f"text.scheme.{scheme}", SCHEME_WORDS[scheme]),
        strategy=in_sentence(strategy, t),
        granularity=t(f"text.granularity.{granularity}", granularity),
    )  # fmt: skip


# ------------------------------------------------------------ the numbers --


@dataclass(frozen=True)
class Card:
    """One ``st.metric``: label, value, delta (``"+1.2 dB"``/``"-0.3"``: an ASCII sign,
    which Streamlit reads for the arrow), its colour rule, help, and a ``key`` that names
    it in any language (``"scale"``, ``"sqnr"``, ``"levels"``, …)."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "off"
    help: str = ""
    key: str = ""


def _spread(values: object, show=lambda v: num(v, 2)) -> str:
    arr = np.ravel(values)
    lo, hi = arr.min(), arr.max()
    return show(lo) if lo == hi else f"{show(lo)}…{show(hi)}"


def _delta(new: float, old: float | None, show) -> str | None:
    """``"+x"`` / ``"-x"`` with an ASCII sign (Streamlit reads it), or None when nothing moved."""
    if old is None or not (math.isfinite(new) and math.isfinite(old)):
        return None
    change = new - old
    shown = show(abs(change))
    if change == 0 or shown in {"0", "0.0", "0.00"}:
        return None
    return ("+" if change > 0 else "-") + shown.replace(MINUS, "")


def levels_value(used: int, available: int, t: Tr = EN) -> str:
    """``16 of 16``, ``19,154 of 65,536``: exact counts (a card wraps them if narrow)."""
    return t("text.levels_of", "{used} of {available}", used=f"{used:,}",
             available=f"{available:,}")  # fmt: skip


def sqnr_card(m: Mapping[str, float], prev: Mapping[str, float], t: Tr = EN) -> Card:
    """SQNR in dB, better when higher; its help names the signal's mean x²."""
    helps = t(
        "text.card.sqnr.help",
        "Signal-to-quantization-noise ratio, 10·log10(mean x² / MSE): how far the error lies "
        "below the values. The mean counts as signal (it is x², not the variance).",
    )
    if m.get("signal_power") is not None:
        helps += t("text.card.sqnr.mean", " Here mean x² = {mean}.", mean=num(m["signal_power"]))
    change = _delta(m["sqnr_db"], prev.get("sqnr_db"), lambda v: f"{v:.1f} dB")
    return Card("SQNR", db(m["sqnr_db"]), change, "normal", helps, "sqnr")


def max_error_card(m: Mapping[str, float], prev: Mapping[str, float], t: Tr = EN) -> Card:
    """The largest |x̂ − x|, better when lower."""
    change = _delta(m["max_abs_error"], prev.get("max_abs_error"), lambda v: num(v, 2))
    return Card(t("text.card.max_error.label", "Max error"), num(m["max_abs_error"], 3), change,
                "inverse", t("text.card.max_error.help", "The largest |x̂ − x| of any value."),
                "max_error")  # fmt: skip


def cards(r: QuantResult, previous: Mapping[str, float] | None = None, t: Tr = EN) -> list[Card]:
    """The eight numbers at the top of the page, with changes against ``previous``
    (the :func:`card_values` of the last setting of the same tensor), in ``t``'s language.

    Better is green: a higher SQNR, a lower MSE or max error. Step size, zero point,
    clipped share, levels and size change without being better or worse.
    """
    m = r.metrics
    prev = previous or {}
    n = int(r.code_counts.sum())
    per_tensor = r.per_tensor
    grids = np.size(r.scale)
    k = m["clipped_count"]
    if per_tensor:
        scale_help = t(
            "text.card.scale.help",
            "s: the distance between neighbouring levels, in the values' units.",
        )
    else:
        scale_help = t(
            "text.card.scale.help_rows",
            "{grids} step sizes, one per {granularity} (smallest…largest).",
            grids=f"{grids:,}", granularity=t(f"text.granularity.{r.config.granularity}",
                                               r.config.granularity),
        )  # fmt: skip
    if k:
        clipped_help = t(
            "text.card.clipped.help_one" if k == 1 else "text.card.clipped.help_many",
            "{k} of {n} lay at or beyond the clipping boundaries and "
            + ("was" if k == 1 else "were") + " clamped to the end levels.",
            k=t.count(k, "value"), n=f"{n:,}",
        )  # fmt: skip
    else:
        clipped_help = t(
            "text.card.clipped.none",
            "None of the {n} values lay beyond the clipping boundaries.", n=f"{n:,}",
        )  # fmt: skip
    bpw = m["bits_per_weight"]
    return [
        Card(
            t("text.card.scale.label", "Step size"),
            num(r.scale) if per_tensor else _spread(r.scale),
            _delta(float(r.scale), prev.get("scale"), num) if per_tensor else None,
            "off", scale_help, "scale",
        ),
        Card(
            t("text.card.zero_point.label", "Zero point"),
            str(int(r.zero_point)) if per_tensor else _spread(r.zero_point, lambda v: str(int(v))),
            _delta(float(r.zero_point), prev.get("zero_point"), lambda v: str(int(v)))
            if per_tensor
            else None,
            "off",
            t("text.card.zero_point.help",
              "z: the code that stands for the value 0.0 (0 on a symmetric grid)."),
            "zero_point",
        ),
        sqnr_card(m, prev, t),
        Card(
            "MSE",
            num(m["mse"], 3),
            _delta(m["mse"], prev.get("mse"), lambda v: num(v, 2)),
            "inverse",
            t("text.card.mse.help",
              "Mean squared error, mean of (x̂ − x)²: rounding {rounding} + clipping {clipping}.",
              rounding=num(m["mse_rounding"], 3), clipping=num(m["mse_clipping"], 3)),
            "mse",
        ),
        max_error_card(m, prev, t),
        Card(
            t("text.card.clipped.label", "Clipped"),
            percent(m["clipped_fraction"]),
            None, "off", clipped_help, "clipped",
        ),
        Card(
            t("text.card.levels.label", "Levels used"),
            levels_value(m["levels_used"], m["levels_available"], t),
            None,
            "off",
            t("text.card.levels.help",
              "Levels at least one value landed on, of the {available} the grid"
              + (" has" if per_tensor else "s have")
              + ". The codes' entropy is {entropy} bits: what a lossless coder would need "
              "per value.",
              available=f"{m['levels_available']:,}", entropy=f"{m['code_entropy_bits']:.2f}"),
            "levels",
        ),
        Card(
            t("text.card.bits.label", "Bits/weight"),
            f"{bpw:.2f}" if bpw < 10 else f"{bpw:.1f}",
            None,
            "off",
            t("text.card.bits.help",
              "{bpw} bits per weight with the scales and zero points, {ratio}× smaller than "
              "float32 ({size} instead of {float32} bytes).",
              bpw=f"{bpw:.4g}", ratio=num(m["compression_ratio"], 3),
              size=f"{m['size_bytes']:,.0f}", float32=f"{m['float32_bytes']:,.0f}"),
            "bits",
        ),
    ]  # fmt: skip


def card_values(r: QuantResult) -> dict[str, float]:
    """The numbers behind the cards, kept for the next deltas."""
    values = {k: float(v) for k, v in r.metrics.items() if np.ndim(v) == 0}
    if r.per_tensor:
        values["scale"] = float(r.scale)
        values["zero_point"] = float(r.zero_point)
    return values


# --------------------------------------------------------------- formulas --


def _aligned(*groups: list[str]) -> str:
    """LaTeX: groups of lines aligned on their first ``&``, a little space between groups;
    each line short enough for a half column. One block: the browser typesets it once."""
    body = r" \\[6pt] ".join(r" \\ ".join(lines) for lines in groups)
    return r"\begin{aligned} " + body + r" \end{aligned}"


def scale_lines(r: QuantResult) -> list[str]:
    """The step size with this result's numbers (per tensor), the operands shown with
    enough digits to give the shown result."""
    s = float(r.scale)
    steps = r.qmax - r.qmin
    if r.config.symmetric:
        amax = max(-float(r.low), float(r.high))
        divisor = r.qmax if r.config.narrow_range else steps / 2
        d = operand_digits(lambda a: a / divisor, [amax])
        rule = (
            r"s &= \frac{\max(|\ell|, |h|)}{q_{max}}"
            if r.config.narrow_range
            else r"s &= \frac{\max(|\ell|, |h|)}{(q_{max} - q_{min})/2}"
        )
        return [rule, rf"&= \frac{{{tex(amax, d)}}}{{{tex(divisor, 6)}}} = {tex(s)}"]
    lo, hi = float(r.low), float(r.high)
    d = operand_digits(lambda a, b: (b - a) / steps, [lo, hi])
    return [
        r"s &= \frac{h - \ell}{2^{b} - 1}",
        rf"&= \frac{{{tex(hi, d)} - ({tex(lo, d)})}}{{2^{{{r.bits}}} - 1}}",
        rf"&= \frac{{{tex(hi - lo, d)}}}{{{steps}}} = {tex(s)}",
    ]


def zero_point_lines(r: QuantResult, t: Tr = EN) -> list[str]:
    """The zero point with this result's numbers (per tensor)."""
    if r.config.symmetric:
        return [rf"z &= 0 \quad \text{{({t('text.formula.symmetric', 'symmetric')})}}"]
    lo, s = float(r.low), float(r.scale)
    ratio = lo / s
    d = operand_digits(lambda a, b: round(a / b), [lo, s], show=lambda v: str(int(v)))
    shown_ratio = tex(ratio, max(d, 4))
    return [
        r"z &= \mathrm{clamp}\big(q_{min} - \mathrm{round}(\ell / s)\big)",
        rf"&= {r.qmin} - \mathrm{{round}}({tex(lo, d)} / {tex(s, d)})",
        rf"&= {r.qmin} - \mathrm{{round}}({shown_ratio}) = {int(r.zero_point)}",
    ]


def quantize_lines(r: QuantResult) -> list[str]:
    """Quantize and back, with this grid's code range."""
    return [
        r"q &= \mathrm{clamp}\big(\mathrm{round}(x / s) + z\big)",
        rf"&\phantom{{=}} \in [q_{{min}}, q_{{max}}] = [{r.qmin}, {r.qmax}]",
        r"\hat{x} &= (q - z)\, s",
    ]


def scale_formula(r: QuantResult) -> str:
    return _aligned(scale_lines(r))


def zero_point_formula(r: QuantResult, t: Tr = EN) -> str:
    return _aligned(zero_point_lines(r, t))


def grid_formulas(r: QuantResult, t: Tr = EN) -> str:
    """Step size, zero point (per tensor: with this result's numbers), quantize and back."""
    if not r.per_tensor:
        return _aligned(quantize_lines(r))
    return _aligned(scale_lines(r), zero_point_lines(r, t), quantize_lines(r))


def mse_formula(r: QuantResult, t: Tr = EN) -> str:
    """The MSE split into rounding and clipping error; the parts add up to the shown total."""
    m = r.metrics
    parts = [m["mse_rounding"], m["mse_clipping"]]
    d = operand_digits(lambda a, b: a + b, parts, show=lambda v: num(v, 3), start=3)
    rounding = t("text.formula.rounding", "rounding")
    clipping = t("text.formula.clipping", "clipping")
    return (
        rf"\mathrm{{MSE}} = \underbrace{{{tex(parts[0], d)}}}_{{\text{{{rounding}}}}}"
        rf" + \underbrace{{{tex(parts[1], d)}}}_{{\text{{{clipping}}}}} = {tex(m['mse'], 3)}"
    )


def sqnr_formula(r: QuantResult) -> str:
    """The SQNR from the mean of x² and the MSE, with numbers that give the shown result."""
    m = r.metrics
    if math.isinf(m["sqnr_db"]):
        return r"\mathrm{SQNR} = 10 \log_{10} \frac{\overline{x^2}}{\mathrm{MSE}} = \infty"
    p, mse = m["signal_power"], m["mse"]
    d = operand_digits(lambda a, b: 10 * math.log10(a / b), [p, mse], show=lambda v: f"{v:.1f}")
    return _aligned(
        [
            r"\mathrm{SQNR} &= 10 \log_{10} \frac{\overline{x^2}}{\mathrm{MSE}}",
            rf"&= 10 \log_{{10}} \frac{{{tex(p, d)}}}{{{tex(mse, d)}}} = {m['sqnr_db']:.1f}"
            r"\ \mathrm{dB}",
        ]
    )


# ------------------------------------------------------------------ notes --


def histogram_note(r: QuantResult, strategy_label: str, t: Tr = EN) -> str:
    """What to notice in the histograms (Markdown)."""
    m = r.metrics
    n = int(r.code_counts.sum())
    k = m["clipped_count"]
    clipped = {"values": t.count(k, "value"), "share": percent(m["clipped_fraction"])}
    if not r.per_tensor:
        return t(
            "text.hist_note.grids_one" if k == 1 else "text.hist_note.grids_many",
            "Each {granularity} has its own grid ({grids} grids, steps {steps}), so the "
            "quantized values no longer sit on one set of levels. Together they use **{used} of "
            "{available}** codes; {values} ({share}) " + ("was" if k == 1 else "were")
            + " clipped.",
            granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            grids=f"{np.size(r.scale):,}", steps=_spread(r.scale, num),
            used=f"{m['levels_used']:,}", available=f"{m['levels_available']:,}", **clipped,
        )  # fmt: skip
    bottom = (
        t("text.hist_note.dots", "bottom; every used level has a dot, however few values it holds")
        if m["levels_available"] <= MAX_LEVELS_DRAWN
        else t("text.hist_note.per_bin",
               "bottom, counted on the original's bins: too many levels to draw one by one")
    )  # fmt: skip
    text = t(
        "text.hist_note.grid",
        "The {n} values (top) land on **{used} of {available} levels** ({bottom}). {strategy} "
        "chose the range [{low}, {high}], so one step is **s = {scale}**. ",
        n=f"{n:,}", used=f"{m['levels_used']:,}", available=f"{m['levels_available']:,}",
        bottom=bottom, strategy=strategy_label, low=num(r.low), high=num(r.high),
        scale=num(r.scale),
    )  # fmt: skip
    if k == 1:
        return text + t(
            "text.hist_note.clipped_one",
            "{values} ({share}) lies at or beyond the dashed clipping boundaries, half a step "
            "past the end levels, and is clamped to the end level.",
            **clipped,
        )
    if k:
        return text + t(
            "text.hist_note.clipped_many",
            "{values} ({share}) lie at or beyond the dashed clipping boundaries, half a step "
            "past the end levels, and are clamped to the end levels.",
            **clipped,
        )
    return text + t(
        "text.hist_note.clipped_none",
        "No value lies beyond the dashed clipping boundaries (half a step past the end "
        "levels), so nothing is clipped.",
    )


def closeup_note(r: QuantResult, steps: int, t: Tr = EN) -> str:
    """What the close-up shows (Markdown)."""
    return t(
        "text.closeup.note",
        "Close-up: the {steps} levels around the busiest one, with the original values on "
        "bins an eighth of a step wide. Every value between two dashed cell edges lands on "
        "the level between them: at {bits} bits the cells are {width} wide.",
        steps=steps, bits=r.bits, width=num(r.scale),
    )  # fmt: skip


def staircase_note(r: QuantResult, t: Tr = EN) -> str:
    """What to notice in the staircase and the error histogram (Markdown)."""
    m = r.metrics
    if not r.per_tensor:
        return t(
            "text.staircase.grids",
            "The staircases of the coarsest and the finest of the {grids} grids: a small "
            "{granularity} gets small steps. Of the MSE, {rounding} comes from rounding and "
            "{clipping} from clipping.",
            grids=f"{np.size(r.scale):,}",
            granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            rounding=num(m["mse_rounding"], 3), clipping=num(m["mse_clipping"], 3),
        )  # fmt: skip
    s = float(r.scale)
    if r.config.rounding == "stochastic":
        text = t(
            "text.staircase.stochastic",
            "Stochastic rounding picks the level below or above at random, in proportion to "
            "the distance, so on average x̂ = x; each error is up to one step (s = {s}) and the "
            "rounding noise is larger than with rounding to nearest. ",
            s=num(s),
        )
    else:
        text = t(
            "text.staircase.nearest",
            "Every x inside one cell maps to the same level: {levels} levels, {s} apart. Inside "
            "the range the error is rounding, never more than s/2 = {half}. Spread evenly "
            "within their cells, values would have a mean squared rounding error of s²/12 = "
            "{uniform}; the values inside the range here have {inside}. ",
            levels=f"{m['levels_available']:,}", s=num(s), half=num(s / 2),
            uniform=num(m["uniform_rounding_mse"], 3), inside=num(m["rounding_mse_inside"], 3),
        )  # fmt: skip
    if m["clipped_count"]:
        return text + t(
            "text.staircase.clipped",
            "Beyond the clipping boundaries the staircase is flat: the clipping error grows "
            "with the distance, up to {max} (outlined bars).",
            max=num(m["max_abs_error"]),
        )
    return text + t(
        "text.staircase.unclipped",
        "No value reaches the flat ends, so there is no clipping error.",
    )


def tradeoff_note(at_bits: list[tuple[str, float]], bits: int, t: Tr = EN) -> str:
    """What to notice in the bit sweep (Markdown), with each strategy's SQNR at ``bits``
    (``(label, sqnr_db)`` pairs, best first)."""
    text = t(
        "text.tradeoff.note",
        "Each extra bit halves the step and quarters the rounding noise: +6.02 dB. With levels "
        "at the ends of the range (2^b − 1 steps), data spread evenly over its range reaches "
        "20·log10(2^b − 1) dB (the grey curve: 0 dB at 1 bit, 9.5 at 2, 23.5 at 4, 48.1 at 8), "
        "which meets 6.02·b from about 6 bits. Peaked data sit below it. A fixed clip "
        "(percentile, k sigma) helps at low bit widths but costs at high ones, where its "
        "clipping error no longer shrinks; MSE-optimal and ACIQ choose the range again for "
        "each bit width.",
    )
    if at_bits:
        parts = t("text.list_separator", ", ").join(
            f"{label} {db(sqnr)}" for label, sqnr in at_bits
        )
        text += t(
            "text.tradeoff.at_bits", " At **{bits}**: {parts}.",
            bits=t.count(bits, "bit"), parts=parts,
        )  # fmt: skip
    return text


def sweep_note(method: str, size: int, sample_values: int, t: Tr = EN) -> str | None:
    """How the curves were measured, when not by quantizing every value at every bit width
    (``method`` from ``quantviz.sweep.sweep_method``)."""
    fields = {"values": t.count(size, "value"), "sample": f"{sample_values:,}"}
    if method == "histogram":
        return t(
            "text.sweep.histogram",
            "This tensor has {values}: for the curves each range is chosen on a sample of "
            "{sample} of them (the smallest and largest included) and its error is measured on "
            "every value, through a fine histogram (within a few hundredths of a dB). The "
            "numbers at the top quantize every value.",
            **fields,
        )
    if method == "sample":
        return t(
            "text.sweep.sample",
            "This tensor has {values}: the curves quantize about {sample} of them, in whole "
            "rows. An estimate: where the clipping of a few rows dominates (high bit widths) it "
            "can be off by several dB. The numbers at the top quantize every value.",
            **fields,
        )
    return None


def channels_too_big(values: int, most: int, t: Tr = EN) -> str:
    """Why the Channels room does not draw a tensor this big."""
    return t(
        "text.channels.too_big",
        "This tensor holds {values} values; the Channels room compares two grids on tensors of "
        "up to {most} values (each grid keeps a quantized copy of every value). Choose a "
        "smaller tensor, or see every layer's numbers in the Whole model room.",
        values=f"{values:,}", most=f"{most:,}",
    )  # fmt: skip


def channel_note(stats: ChannelStats, labels: tuple[str, str], t: Tr = EN) -> str:
    """What to notice in the per-channel view (Markdown); ``labels`` name the two grids
    compared (as ``stats`` does), in ``t``'s language."""
    a, b = labels
    ratio = stats.amax_ratio()
    mse_a, mse_b = stats.total_mse(a), stats.total_mse(b)
    if mse_b > 0 and mse_a > mse_b:
        gain = t("text.channels.lower", "{ratio}× lower", ratio=f"{mse_a / mse_b:.1f}")
    elif mse_a == mse_b:
        gain = t("text.channels.same", "the same")
    else:
        gain = t("text.channels.not_lower", "no lower")
    return t(
        "text.channels.note",
        "The largest channel reaches {ratio}× further from 0 than the smallest. One grid {a} "
        "is sized for the largest, so small channels fall on few levels; {b} gives each its "
        "own step. Total MSE: {a} {mse_a}, {b} {mse_b} ({gain}).",
        ratio="∞" if math.isinf(ratio) else f"{ratio:.1f}", a=a, b=b,
        mse_a=num(mse_a, 3), mse_b=num(mse_b, 3), gain=gain,
    )  # fmt: skip


def upload_reading(file: str, mb: int, t: Tr = EN) -> str:
    """What the spinner says while an uploaded file is read (its name escaped)."""
    return t("text.upload.reading", "Reading {file} ({mb} MB)…", file=md_escape(file), mb=mb)


def upload_busy(n: int, t: Tr = EN) -> str:
    """Why an upload is refused while the server holds as many uploads as it can."""
    return t(
        "text.upload.busy",
        "The server holds as many uploaded files as its memory allows ({n} at most); try "
        "again in a few minutes, or use the shipped MiniLM-L6 sample.", n=n,
    )  # fmt: skip


def echo(said: Message | str, t: Tr = EN) -> str:
    """A sentence that repeats what a link, a file or a person gave, as Markdown that shows
    it literally: every value in it (a link's value, a file's or a tensor's name, typed
    text) goes through :func:`~quantviz_app.format.md_escape`, so none becomes a picture, a
    link (``http\\://`` is not linked) or formatting. The templates' own Markdown stays; a
    plain string (a reader's sentence) is escaped whole. Every echo on the page goes
    through here."""
    if not isinstance(said, Message):
        return md_escape(str(said))
    return t.say(_escaped(said))


def _escaped(message: Message) -> Message:
    """``message`` with its text fields escaped for Markdown (numbers stay numbers)."""
    fields = {
        k: _escaped(v) if isinstance(v, Message) else md_escape(v) if isinstance(v, str) else v
        for k, v in message.fields.items()
    }
    return Message(message.key, message.english, fields)


def upload_error(detail: str, t: Tr = EN) -> str:
    """Why a file was refused: the reader's sentence, escaped (it names the file and its
    tensors; the library speaks English, and the Chinese page says in Chinese that the
    file was refused, then gives it)."""
    return t("text.upload_error", "{detail}", detail=echo(detail, t))


def from_link(note: Message | str) -> Message:
    """A link value the page could not use, and why, as a message to say later."""
    return Message("text.ignored_from_link", "Ignored from the link: {note}", {"note": note})


def ignored_from_link(note: Message | str, t: Tr = EN) -> str:
    """A link value the page could not use, and why (its values escaped: :func:`echo`)."""
    return echo(from_link(note), t)


def dropped_warning(dropped: int, t: Tr = EN) -> str:
    values = t.count(dropped, "NaN or infinite value")
    if dropped == 1:
        return t(
            "text.dropped_one",
            "{values} of this tensor is left out; the other values are shown flat (1-D), so "
            "only per-tensor quantization applies.",
            values=values,
        )
    return t(
        "text.dropped_many",
        "{values} of this tensor are left out; the other values are shown flat (1-D), so "
        "only per-tensor quantization applies.",
        values=values,
    )


def upload_note(t: Tr = EN) -> str:
    return t(
        "text.upload_note",
        "An uploaded file cannot travel in a link: the address keeps the settings, but whoever "
        "opens it has to upload the file again.",
    )


def load_lines(source: Mapping[str, object]) -> str:
    """The Python line(s) that make the page's tensor ``x`` (after ``import quantviz as qv``).

    ``source`` is ``{"dist": …, "n": …, "seed": …, "params": {…}}`` for a distribution,
    ``{"file": path, "tensor": name}`` for a weight file.
    """
    if "dist" in source:
        params = "".join(f", {k}={v!r}" for k, v in dict(source["params"]).items())
        return f"x = qv.sample({source['dist']!r}, n={source['n']}, seed={source['seed']}{params})"
    return (
        "from quantviz.io import load_weights\n\n"
        f"x = load_weights({source['file']!r})[{source['tensor']!r}]"
    )


def code_snippet(kwargs: Mapping[str, object], source: Mapping[str, object]) -> str:
    """The Python that reproduces the page's numbers with the library.

    ``source`` is where the tensor comes from, as :func:`load_lines` takes it.
    """
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"import quantviz as qv\n{load_lines(source)}\nr = qv.quantize(x, {args})\nr.metrics"


# ------------------------------------------------------------ the lessons --


def preset_line(preset: Preset, t: Tr = EN) -> str:
    """A scene's title and the sentence to say (Markdown)."""
    return t(
        "text.preset_line", "**{title}.** {lesson}",
        title=t.preset(preset.key, "title", preset.title),
        lesson=t.preset(preset.key, "lesson", preset.lesson),
    )  # fmt: skip


QUESTION = "Predict:"
YOUR_ANSWER = "Your answer"
NUMBER_PLACEHOLDER = "a number"
CHECK = "Check"
PREVIOUS = "Previous"
NEXT = "Next"
LEAVE_LESSON = "Leave the lesson"


def lesson_heading(title: str, n: int, total: int, t: Tr = EN) -> str:
    """The lesson box's heading: the lesson and where the student is in it."""
    return t("text.lesson.heading", "{title} · step {n} of {total}", title=title, n=n, total=total)


def right_answer(answer: str, explain: str, t: Tr = EN) -> str:
    return t("text.lesson.right", "**Right: {answer}.** {explain}", answer=answer, explain=explain)


def wrong_answer(given: str, answer: str, explain: str, t: Tr = EN) -> str:
    return t(
        "text.lesson.wrong",
        "**Not quite:** you said {given}; the page says **{answer}**. {explain}",
        given=given, answer=answer, explain=explain,
    )  # fmt: skip


# ------------------------------------------------------- the worked example --

WORKED_TITLE = "The worked example, step by step"


def worked_intro(t: Tr = EN) -> str:
    """Above the worked example: the formula it follows, and its grid (Markdown)."""
    return t(
        "text.worked.intro",
        "A few numbers through the formula, one column at a time: {quantize}, then "
        "{dequantize}. The grid is the min-max grid of these values, one per tensor, rounding "
        "half to even (PyTorch's `MinMaxObserver`). Change the values, the bit width or the "
        "scheme and watch every column follow. The values to start with are the example of "
        "the Chinese blog article on quantization that this project grew from (“the article” "
        "below).",
        quantize="$q = \\mathrm{clamp}(\\mathrm{round}(x / s) + z,\\ q_{min},\\ q_{max})$",
        dequantize="$\\hat{x} = (q - z) \\cdot s$",
    )


def worked_range(w: WorkedExample, t: Tr = EN) -> str:
    """Where the grid's range comes from (Markdown)."""
    lo, hi = _n(w.data_low), _n(w.data_high)
    if w.symmetric:
        return t(
            "text.worked.range_symmetric",
            "The values run from {lo} to {hi}. A symmetric grid is centred on 0: its range is "
            "±max|x| = ±{amax}, its codes {qmin} … {qmax}, and 0.0 is code 0.",
            lo=lo, hi=hi, amax=_n(w.high), qmin=_n(w.qmin), qmax=_n(w.qmax),
        )  # fmt: skip
    codes = {"qmin": w.qmin, "qmax": w.qmax, "low": _n(w.low), "high": _n(w.high)}
    if w.widened:
        return t(
            "text.worked.range_widened",
            "The values run from {lo} to {hi}. The range must contain 0, so that 0.0 is a "
            "level exactly: {end} is widened to 0, and the grid spans [{low}, {high}] with "
            "codes {qmin} … {qmax}.",
            lo=lo, hi=hi, end="ℓ" if w.low != w.data_low else "h", **codes,
        )  # fmt: skip
    return t(
        "text.worked.range_as_is",
        "The values run from {lo} to {hi}; the range [ℓ, h] = [{low}, {high}] already contains "
        "0, so it is used as it is, with codes {qmin} … {qmax}.",
        lo=lo, hi=hi, **codes,
    )  # fmt: skip


def worked_columns(t: Tr = EN) -> tuple[str, ...]:
    """The table's columns: one per step of the formula (:func:`worked_rows`)."""
    return ("#", "x", "x / s", "round(x / s)", "+ z", t("text.worked.column_clamp", "clamp → q"),
            "x̂ = (q − z)·s", t("text.worked.column_error", "error x̂ − x"))  # fmt: skip


WORKED_DIGITS = 6  # float32 holds about 7: enough for typed values, none of its noise


def _n(value: float) -> str:
    return num(value, WORKED_DIGITS)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _n(value)


def _errors(w: WorkedExample) -> np.ndarray:
    """x̂ − x at the decimal place of the values and levels they come from: the difference a
    student works out from the shown numbers (−0.06, not float32's −0.0599999)."""
    top = float(np.max(np.abs(np.concatenate([w.x, w.dequantized]))))
    return np.round(np.asarray(w.error, np.float64), decimals(top, WORKED_DIGITS)) + 0.0


def worked_rows(w: WorkedExample, t: Tr = EN) -> list[list[str]]:
    """One row of texts per value, in :func:`worked_columns` order (a clamp says so)."""
    rows, errors = [], _errors(w)
    for i in range(w.x.size):
        shifted, q = int(w.shifted[i]), int(w.codes[i])
        clamp = (
            t("text.worked.clamped", "{shifted} → {q} (clamped)", shifted=_n(shifted), q=_n(q))
            if shifted != q
            else _n(q)
        )
        rows.append([
            str(i + 1), _n(w.x[i]), _n(w.scaled[i]), _n(w.rounded[i]), _n(shifted),
            clamp, _n(w.dequantized[i]), _signed(errors[i]),
        ])  # fmt: skip
    return rows


def _clamp_step(w: WorkedExample, shifted: int, q: int, t: Tr) -> str:
    """The clamp in :func:`worked_follow`: whether it moved the value."""
    grid = {"qmin": _n(w.qmin), "qmax": _n(w.qmax), "q": _n(q)}
    if shifted != q:
        return t(
            "text.worked.outside",
            "{shifted} lies outside [{qmin}, {qmax}]: the clamp makes it **q = {q}**",
            shifted=_n(shifted), **grid,
        )  # fmt: skip
    return t("text.worked.inside", "inside [{qmin}, {qmax}], so **q = {q}**", **grid)


def worked_predict(w: WorkedExample, i: int, t: Tr = EN) -> str:
    """The worked example's question about value ``i`` (from 0), asked before it is shown."""
    return t(
        "text.worked.predict",
        "**Predict:** which code q does value {n}, x = {x}, land on? The grid's codes are "
        "under its levels; the walk through the formula comes with the answer.",
        n=i + 1, x=_n(w.x[i]),
    )  # fmt: skip


def worked_follow(w: WorkedExample, i: int, t: Tr = EN) -> str:
    """Value ``i`` (from 0) through every step, in one sentence (Markdown)."""
    x, s, z = w.x[i], w.scale, w.zero_point
    scaled, rounded, shifted, q = w.scaled[i], int(w.rounded[i]), int(w.shifted[i]), int(w.codes[i])
    z_part = f"{_n(rounded)} + {_n(z)}" if z >= 0 else f"{_n(rounded)} {MINUS} {_n(-z)}"
    q_z = f"{_n(q)} {MINUS} {_n(z)}" if z >= 0 else f"{_n(q)} + {_n(-z)}"
    bound = (
        t("text.worked.bound_clamped",
          "the clamp moved it to the grid's last level: clipping error, not rounding")
        if shifted != q
        else t("text.worked.bound_half", "at most half a step, s/2 = {half}", half=_n(s / 2))
    )  # fmt: skip
    return t(
        "text.worked.follow",
        "**Value {n}: x = {x}.** x / s = {x} / {s} = {scaled} → round (half to even) = "
        "{rounded} → + z = {z_part} = {shifted} → {clamp} → x̂ = ({q_z}) × {s} = **{xhat}**. "
        "Error x̂ − x = {error}: {bound}.",
        n=i + 1, x=_n(x), s=_n(s), scaled=_n(scaled), rounded=_n(rounded), z_part=z_part,
        shifted=_n(shifted), clamp=_clamp_step(w, shifted, q, t), q_z=q_z,
        xhat=_n(w.dequantized[i]), error=_signed(_errors(w)[i]), bound=bound,
    )  # fmt: skip


def worked_grid_formulas(r: QuantResult, t: Tr = EN) -> str:
    """The step size and the zero point of the worked example, with its numbers (LaTeX)."""
    return _aligned(scale_lines(r), zero_point_lines(r, t))


# ------------------------------------------- the article's common mistakes --


MISTAKES_TITLE = "Common mistakes, on these numbers"


def mistakes_columns(t: Tr = EN) -> tuple[str, ...]:
    """The mistakes table's columns (:func:`mistakes_rows`)."""
    return (
        t("text.mistakes.column_mistake", "mistake"),
        t("text.mistakes.column_article", "what the article computes"),
        t("text.mistakes.column_right", "what it should be"),
        t("text.mistakes.column_off", "how far off"),
    )


MISTAKES_COLUMNS = mistakes_columns()


def mistakes_intro(m: ArticleMistakes, t: Tr = EN) -> str:
    """One line above the mistakes table: which range each comparison uses (Markdown)."""
    return t(
        "text.mistakes.intro",
        "What the article's formulas give on these values at b = {bits}, beside the right "
        "ones. Its range is max − min = {high} − {low} = {range}, not widened to include 0: "
        "the steps and the normalization are compared on it; the codes q and values x̂ are the "
        "table's above.",
        bits=m.bits, high=_n(m.data_high), low=_n(m.data_low), range=_n(m.value_range),
    )  # fmt: skip


def _listed(values: np.ndarray) -> str:
    """Values of one list with the same decimals, enough for :data:`WORKED_DIGITS`
    significant digits on the largest, so float32 noise on a zero reads as 0."""
    v = np.asarray(values, dtype=np.float64)
    v = np.round(v, decimals(float(np.max(np.abs(v))), WORKED_DIGITS)) + 0.0
    return ", ".join(_n(a) for a in v)


def _outside(m: ArticleMistakes, t: Tr = EN) -> str:
    """Mistake 4's codes against what the bits hold: how many lie outside, the farthest."""
    codes, out = m.article_codes, m.out_of_range
    span = f"{_n(m.qmin)} … {_n(m.qmax)}"
    if not out.any():
        return t("text.mistakes.all_within", "every code within {span}", span=span)
    beyond = np.maximum(m.qmin - codes, codes - m.qmax)
    far = int(codes[int(np.argmax(beyond))])
    return t(
        "text.mistakes.outside", "{n} of {total} codes outside {span}, as far as {far}",
        n=int(out.sum()), total=codes.size, span=span, far=_n(far),
    )  # fmt: skip


def _top_level(r: str, n: int, step: str, lo: str, gaps: int, top: str, t: Tr) -> str:
    """A step and the top level it gives (mistake 2 and its correction)."""
    return t(
        "text.mistakes.top_level", "{r} / {n} = {step}: top level {lo} + {gaps} × {step} = {top}",
        r=r, n=n, step=step, lo=lo, gaps=gaps, top=top,
    )  # fmt: skip


def mistakes_rows(m: ArticleMistakes, t: Tr = EN) -> list[list[str]]:
    """The article's mistakes as rows of texts, in :func:`mistakes_columns` order."""
    r, b, levels = _n(m.value_range), m.bits, m.gaps + 1
    ratio = _n(m.step_ratio)
    coarse = (
        t("text.mistakes.coarse", "{ratio}× too coarse", ratio=ratio)
        if ratio != "1"
        else t("text.mistakes.same_at_1", "the same at 1 bit only (2^1 − 1 = 1)")
    )
    lo, s, step = _n(m.data_low), _n(m.scale), _n(m.step_per_level)
    return [
        ["step = range / b", f"{r} / {b} = {_n(m.step_per_bit)}",
         f"range / (2^b {MINUS} 1) = {r} / {m.gaps} = {s}", coarse],
        ["step = range / 2^b",
         _top_level(r, levels, step, lo, m.gaps, _n(m.article_top_level), t),
         _top_level(r, m.gaps, s, lo, m.gaps, _n(m.top_level), t),
         t("text.mistakes.short",
           "one step ({short}) short of max {high}: it needs code {levels}, past {gaps}",
           short=_n(m.top_shortfall), high=_n(m.data_high), levels=levels, gaps=m.gaps)],
        [t("text.mistakes.round", "round the value to a whole number (12.5 → 13)"),
         _listed(m.article_rounded),
         t("text.mistakes.code_and_value", "code q = {codes}; value x̂ = {values}",
           codes=_listed(m.codes), values=_listed(m.dequantized)),
         t("text.mistakes.mixes", "mixes code and value: up to {off} from x̂",
           off=_n(m.rounding_off))],
        [t("text.mistakes.no_zero_point", "x_q = round(x / step) · step: no zero point, no clamp"),
         t("text.mistakes.codes", "codes {codes} (step {r} / {levels} = {step})",
           codes=_listed(m.article_codes), r=r, levels=levels, step=step),
         t("text.mistakes.within", "q = {codes}, within {qmin} … {qmax}",
           codes=_listed(m.codes), qmin=_n(m.qmin), qmax=_n(m.qmax)),
         _outside(m, t)],
        [t("text.mistakes.normalize", "normalize: (x − min) / (range / 2)"),
         _listed(m.article_normalized),
         f"2(x {MINUS} min) / range {MINUS} 1 = {_listed(m.normalized)}",
         t("text.mistakes.too_high", "every value {off} too high: in [0, 2], not [−1, 1]",
           off=_n(m.normalization_off))],
        [t("text.mistakes.dequantize", "dequantize: round(x_q / step) · step + min"),
         _listed(m.article_dequantized),
         f"x̂ = (q {MINUS} z)·s = {_listed(m.dequantized)}",
         t("text.mistakes.min_again", "min added again: up to {off} from x (x̂: up to {right})",
           off=_n(m.article_dequantize_error), right=_n(m.dequantize_error))],
        [t("text.mistakes.bits", "bits = log2(range / step), before step is set"),
         "NameError: name 'step' is not defined",
         t("text.mistakes.chosen", "b is chosen (here {b}); then step = range / (2^b − 1)",
           b=b),
         t("text.mistakes.stops", "no number: the code stops")],
    ]  # fmt: skip


# ---------------------------------------------------------------- formats --


def family_label(family: str, t: Tr = EN) -> str:
    """A number format family's name in the legend and the table."""
    labels = {
        "float": t("text.formats.family_float", "FP, one scale per tensor"),
        "mx": t("text.formats.family_mx", "MX, blocks of 32"),
        "nvfp4": t("text.formats.family_nvfp4", "NVFP4, blocks of 16"),
        "codebook": t("text.formats.family_codebook", "NF4 codebook, blocks of 64"),
        "binary": t("text.formats.family_binary", "binary and ternary"),
        "ggml": t("text.formats.family_ggml", "GGML blocks of 32"),
    }
    return labels.get(family, family)


def int_line_label(group_size: int | None, t: Tr = EN) -> str:
    """The integer grid's line: per group of ``group_size`` values, or per tensor (None)."""
    if group_size is None:
        return t("text.formats.int_tensor", "INT, per tensor")
    return t("text.formats.int_groups", "INT, groups of {size}", size=group_size)


def formats_note(steps: list[tuple[str, float, float]], low: tuple[str, float, float] | None,
                 t: Tr = EN) -> str | None:  # fmt: skip
    """The best format per bit budget near 4 bits (``steps``: each budget's best as
    ``(name, bits per weight, SQNR)``, fewest bits first) and the one that keeps the least
    there (``low``), as one sentence (Markdown); None when no format is near 4 bits."""
    if not steps:
        return None
    parts = t("text.formats.budget_separator", "; ").join(
        t("text.formats.budget", "at {bits} bits per weight, **{name}** keeps the most: {sqnr}",
          bits=num(bits, 3), name=option_label("format", name, t), sqnr=db(sqnr))
        for name, bits, sqnr in steps
    )  # fmt: skip
    sentence = t("text.formats.note", "Near 4 bits: {parts}.", parts=parts)
    if low is not None and low[0] not in {name for name, _, _ in steps}:
        sentence += " " + t(
            "text.formats.least", "**{name}** keeps the least there: {sqnr} at {bits} bits.",
            name=option_label("format", low[0], t), sqnr=db(low[2]), bits=num(low[1], 3),
        )  # fmt: skip
    return sentence


def formats_refused(refused: list[tuple[str, int | None]], last: int, t: Tr = EN) -> str | None:
    """The formats left out, in one line: ``(name, block)`` for a format whose block does not
    divide the last dimension (``last``), ``(name, None)`` for one whose scale cannot hold the
    tensor."""
    blocks = [f"{option_label('format', name, t)} ({block})" for name, block in refused
              if block is not None]  # fmt: skip
    other = [option_label("format", name, t) for name, block in refused if block is None]
    parts = []
    if blocks:
        parts.append(t(
            "text.formats.refused_blocks",
            "Left out: {names}; they store blocks of consecutive values along the last "
            "dimension, and this tensor's ({last}) is not a multiple of the block.",
            names=", ".join(blocks), last=f"{last:,}",
        ))  # fmt: skip
    if other:
        parts.append(t(
            "text.formats.refused_other",
            "Left out: {names}; their scales cannot hold this tensor's largest value.",
            names=", ".join(other),
        ))  # fmt: skip
    return " ".join(parts) or None


def formats_sample(size: int, sample: int, t: Tr = EN) -> str:
    """How a big tensor's formats are measured."""
    return t(
        "text.formats.sample",
        "This tensor has {values}: the formats and the integer line are measured on a sample "
        "of {sample} of them, in whole rows (the star uses every value).",
        values=t.count(size, "value"), sample=f"{sample:,}",
    )  # fmt: skip


# ------------------------------------------------- a number format on the page --


def scale_words(r: FormatResult, t: Tr = EN) -> str:
    """What a format stores beside its elements: which scales, how many values share one."""
    fmt, lay = r.format, r.layout
    block = r.block_size
    if fmt.family in ("float", "binary"):
        where = {
            "tensor": t("text.fmt.per_tensor", "per tensor"),
            "channel": t("text.fmt.per_channel", "per channel ({n})", n=f"{r.n_blocks:,}"),
            "group": t("text.fmt.per_group", "per group of {size}", size=lay.group_size),
        }[lay.granularity]
        if fmt.family == "binary":
            return t("text.fmt.scale_alpha", "a float32 α = mean |x| {where}", where=where)
        return t("text.fmt.scale_float", "a float32 scale {where}", where=where)
    if fmt.family == "mx":
        return t("text.fmt.scale_mx", "an E8M0 scale (a power of two) per block of {size}",
                 size=block)  # fmt: skip
    if fmt.family == "nvfp4":
        return t("text.fmt.scale_nvfp4",
                 "an E4M3 scale per block of {size} and a float32 scale per tensor",
                 size=block)  # fmt: skip
    if fmt.family == "codebook":
        if fmt.name == "nf4_double":
            return t("text.fmt.scale_nf4_double",
                     "an 8-bit absmax per block of {size} (double quantization)",
                     size=block)  # fmt: skip
        return t("text.fmt.scale_nf4", "a float32 absmax per block of {size}", size=block)
    if r.offsets is not None:
        return t("text.fmt.scale_ggml_min", "an fp16 scale and an fp16 minimum per block of {size}",
                 size=block)  # fmt: skip
    return t("text.fmt.scale_ggml", "an fp16 scale per block of {size}", size=block)


def format_data_line(name: str, shape: tuple[int, ...], label: str, r: FormatResult,
                     *, t: Tr = EN) -> str:  # fmt: skip
    """The first sentence of the page when a number format is chosen (Markdown)."""
    size, as_matrix = int(np.prod(shape, dtype=np.int64)), matrix_words(shape, t)
    return t(
        "text.fmt.data_line",
        "**{name}**: {values}{as_matrix}, stored as **{format}**: {bits}-bit elements and "
        "{scales}, **{bpw} bits per weight**.",
        name=name, values=t.count(size, "value"), as_matrix=as_matrix, format=label,
        bits=r.bits, scales=scale_words(r, t),
        bpw=f"{r.metrics['bits_per_weight']:.3g}",
    )  # fmt: skip


def format_cards(r: FormatResult, previous: Mapping[str, float] | None = None,
                 t: Tr = EN) -> list[Card]:  # fmt: skip
    """The numbers beside the picture for a number format: scale, SQNR, MSE, max error,
    saturated share, element codes used, bits per weight (keys as :func:`cards`)."""
    m = r.metrics
    prev = previous or {}
    n = int(np.size(r.dequantized))
    k = m["clipped_count"]
    bpw = m["bits_per_weight"]
    scales = np.ravel(r.scales).astype(np.float64) * (r.tensor_scale or 1.0)
    scale_label, scale_help = t("text.fmt.scale.label", "Scale"), ""
    if scales.size > 1 and (scales < 0).any():  # Q4_0, Q5_0: d = x_max / (lowest element)
        scale_label = t("text.fmt.scale.label_abs", "Scale |d|")
        scale_help = " " + t(
            "text.fmt.scale.help_abs",
            "Some blocks store a negative d (d = x_max / the lowest element, x_max the block's "
            "value of largest magnitude): the card shows |d|, the Block room the stored d.",
        )
    if k:
        saturated = t(
            "text.fmt.saturated_some",
            "{k} of {n} lay beyond the largest level their block can store and were stored as "
            "it (saturated).", k=t.count(k, "value"), n=f"{n:,}",
        )  # fmt: skip
    else:
        saturated = t("text.fmt.saturated_none",
                      "No value lay beyond the largest level its block can store.")  # fmt: skip
    return [
        Card(
            scale_label,
            num(scales[0]) if scales.size == 1 else _spread(np.abs(scales)),
            _delta(float(scales[0]), prev.get("scale"), num) if scales.size == 1 else None,
            "off",
            t("text.fmt.scale.help", "What multiplies the element values: {scales}.",
              scales=scale_words(r, t)) + scale_help,
            "scale",
        ),
        sqnr_card(m, prev, t),
        Card("MSE", num(m["mse"], 3), _delta(m["mse"], prev.get("mse"), lambda v: num(v, 2)),
             "inverse", t("text.fmt.mse.help", "Mean squared error, mean of (x̂ − x)²."), "mse"),
        max_error_card(m, prev, t),
        Card(t("text.fmt.saturated.label", "Saturated"), percent(m["clipped_fraction"]), None,
             "off", saturated, "clipped"),
        Card(
            t("text.fmt.levels.label", "Codes used"),
            levels_value(m["levels_used"], m["levels_available"], t),
            None,
            "off",
            t("text.fmt.levels.help",
              "Element codes at least one value is stored as, of the {available} a {bits}-bit "
              "element has.", available=m["levels_available"], bits=r.bits),
            "levels",
        ),
        Card(
            t("text.card.bits.label", "Bits/weight"),
            f"{bpw:.2f}" if bpw < 10 else f"{bpw:.1f}",
            None,
            "off",
            t("text.fmt.bits.help",
              "{bits} bits per element plus the scales: {bpw} bits per weight, {ratio}× smaller "
              "than float32 ({size} instead of {float32} bytes).",
              bits=r.bits, bpw=f"{bpw:.4g}", ratio=num(m["compression_ratio"], 3),
              size=f"{m['size_bytes']:,.0f}", float32=f"{m['float32_bytes']:,.0f}"),
            "bits",
        ),
    ]  # fmt: skip


def format_card_values(r: FormatResult) -> dict[str, float]:
    """The numbers behind a format's cards, kept for the next deltas."""
    values = {k: float(v) for k, v in r.metrics.items() if np.ndim(v) == 0}
    if np.size(r.scales) == 1:
        values["scale"] = float(np.ravel(r.scales)[0]) * (r.tensor_scale or 1.0)
    return values


def format_histogram_note(r: FormatResult, label: str, t: Tr = EN) -> str:
    """What to notice in the histograms when a number format is chosen (Markdown)."""
    m = r.metrics
    k = m["clipped_count"]
    clipped = {"values": t.count(k, "value"), "share": percent(m["clipped_fraction"])}
    if r.per_tensor:
        text = t(
            "text.fmt.note_one",
            "{format} has one scale here, so every value lands on the same **{levels} levels**: "
            "dense near 0 and far apart at the ends for a float format, at a normal "
            "distribution's quantiles for NF4, even steps only for an integer. ",
            format=label, levels=r.levels().size,
        )  # fmt: skip
    else:
        text = t(
            "text.fmt.note_blocks",
            "{format} stores {scales}: {blocks} blocks, each with its own levels, so the "
            "quantized values spread over many more than {available} values. The **Block** room "
            "opens one of them. ",
            format=label, scales=scale_words(r, t), blocks=f"{r.n_blocks:,}",
            available=m["levels_available"],
        )  # fmt: skip
    if k:
        return text + t(
            "text.fmt.note_saturated",
            "{values} ({share}) lay beyond their block's largest level and were saturated.",
            **clipped,
        )
    return text + t("text.fmt.note_unsaturated", "No value was saturated.")
