"""The sentences and formulas more than one view shows, filled in with the core's numbers.

Where a sentence lives: **beside the code that draws it.** A room's sentences are in its
module (``rooms/``), the worked example's and the article's mistakes in
``views/worked.py``, the lesson box's in ``views/lessonbox.py``, the histograms' notes in
``views/histograms.py``. This module holds only what several views share: the data line
(the lesson and the class view), the cards (the numbers and the class view), the grid's
formulas (the formulas room and the worked example), what a link, an upload or a fit
says (the page), and the lessons' shared words (the lesson box and the worked example).

Every sentence is written in English where it is declared, under a ``text.…`` key; the
function's translator ``t`` (:class:`quantviz_app.i18n.Tr`) gives it in the reader's
language (Chinese: ``locale/zh.toml``), with the numbers formatted before they go in.
No number is computed here: each comes from a :class:`quantviz.QuantResult`, its
``metrics`` or :mod:`quantviz.counts`; this module picks, formats and phrases them (and
checks that a formula's shown operands give its shown result,
:func:`quantviz_app.format.operand_digits`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantviz.number_formats import FormatResult
from quantviz.pipeline import QuantResult
from quantviz_app.format import MINUS, db, md_escape, num, operand_digits, percent, tex
from quantviz_app.i18n import EN, Message, Tr
from quantviz_app.presets import Preset

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


def spread(values: object, show=lambda v: num(v, 2)) -> str:
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
            num(r.scale) if per_tensor else spread(r.scale),
            _delta(float(r.scale), prev.get("scale"), num) if per_tensor else None,
            "off", scale_help, "scale",
        ),
        Card(
            t("text.card.zero_point.label", "Zero point"),
            str(int(r.zero_point)) if per_tensor else spread(r.zero_point, lambda v: str(int(v))),
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


def aligned(*groups: list[str]) -> str:
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
    return aligned(scale_lines(r))


def zero_point_formula(r: QuantResult, t: Tr = EN) -> str:
    return aligned(zero_point_lines(r, t))


def grid_formulas(r: QuantResult, t: Tr = EN) -> str:
    """Step size, zero point (per tensor: with this result's numbers), quantize and back."""
    if not r.per_tensor:
        return aligned(quantize_lines(r))
    return aligned(scale_lines(r), zero_point_lines(r, t), quantize_lines(r))


# ------------------------------------------------------------------ notes --


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


def error(exc: BaseException, t: Tr = EN) -> str:
    """A library error for ``st.error``, in ``t``'s language (:meth:`Tr.error`), as Markdown
    that shows its values literally (a file's or a tensor's name is escaped)."""
    return t.error(exc, md_escape)


def upload_error(refused: BaseException | str, t: Tr = EN) -> str:
    """Why a file was refused, escaped (it names the file and its tensors). A refusal the
    catalogue knows (``error.<kind>``) is said in the page's language; the file readers'
    own details are English, and the Chinese page says in Chinese that the file was
    refused, then gives them."""
    if isinstance(refused, BaseException):
        said = t.error(refused, md_escape)
        if t.lang == "en" or said != md_escape(str(refused)):
            return said
        refused = str(refused)
    return t("text.upload_error", "{detail}", detail=echo(refused, t))


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


def right_answer(answer: str, explain: str, t: Tr = EN) -> str:
    return t("text.lesson.right", "**Right: {answer}.** {explain}", answer=answer, explain=explain)


def wrong_answer(given: str, answer: str, explain: str, t: Tr = EN) -> str:
    return t(
        "text.lesson.wrong",
        "**Not quite:** you said {given}; the page says **{answer}**. {explain}",
        given=given, answer=answer, explain=explain,
    )  # fmt: skip


# ------------------------------------------------------- the worked example --


# ------------------------------------------- the article's common mistakes --


# ---------------------------------------------------------------- formats --


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
            num(scales[0]) if scales.size == 1 else spread(np.abs(scales)),
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
