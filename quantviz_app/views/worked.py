"""The worked example (``?lesson=worked-example``): a few typed values through the formula.

The values (default: the article's ``1.2, 2.3, 3.4, 4.5, 5.6``), the bit width and the
scheme give a table with one column per step, ``x → x/s → round → + z → clamp → q →
x̂ → error``, the step size and zero point worked out with these numbers, a number
line showing where each value lands, and one value walked through in a sentence.
Every number comes from :func:`quantviz.worked.worked_example`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.mistakes import ArticleMistakes, article_mistakes
from quantviz.pipeline import QuantResult
from quantviz.worked import WorkedExample, worked_example
from quantviz_app import charts, course, handout, link, text, widgets
from quantviz_app.format import MINUS, decimals, md_escape, num
from quantviz_app.i18n import EN, Tr
from quantviz_app.schema import SETTINGS, Settings, quantize_kwargs
from quantviz_app.typed import Mistyped, parse_values
from quantviz_app.widgets import control

MAX_LABELLED_LEVELS = 16  # codes written under the ticks up to this many levels
MAX_DRAWN_LEVELS = 256  # past this, the ticks would merge into a bar

ON_PAGE = frozenset(x.key for x in SETTINGS if x.key != "scheme")
"""Every control but the scheme is left out of the sidebar: the values are typed here,
and the grid is min-max, one per tensor, rounding half to even."""


def back(state: MutableMapping[str, Any]) -> None:
    """Button callback: leave the lesson for the page."""
    state["lesson"] = "none"


def datasets(w: WorkedExample, followed: int, *, landed: bool = True) -> dict[str, pd.DataFrame]:
    """The number line's data: the grid's levels (when few enough), each value's move
    (``landed=False``: the values only, while the student predicts where they land)."""
    n_levels = w.qmax - w.qmin + 1
    if n_levels <= MAX_DRAWN_LEVELS:
        codes = np.arange(w.qmin, w.qmax + 1)
        levels = charts.levels_frame(w.levels(), codes, labelled=n_levels <= MAX_LABELLED_LEVELS)
    else:
        levels = charts.levels_frame(np.zeros(0), np.zeros(0), labelled=False)
    reach = [w.low, w.high, float(w.levels()[0]), float(w.levels()[-1])]
    lo, hi = min(reach), max(reach)
    pad = 0.04 * (hi - lo if hi > lo else 1.0)
    return {
        "levels": levels,
        "moves": charts.moves_frame(w.x, w.dequantized if landed else w.x * np.nan, followed),
        "domain": charts.lines_frame("x", [lo - pad, hi + pad]),
    }


def table(w: WorkedExample, t: Tr = EN) -> pd.DataFrame:
    """The table of steps, as texts (one column per step of the formula)."""
    return pd.DataFrame(worked_rows(w, t), columns=list(worked_columns(t)))


def mistakes(w: WorkedExample, t: Tr) -> None:
    """The article's common mistakes on these values, or why there are none to show."""
    st.markdown(f"### {t('text.mistakes.title', MISTAKES_TITLE)}")
    try:
        m = article_mistakes(w.x, w.bits, symmetric=w.symmetric, narrow_range=w.narrow_range)
    except qv.InputError as exc:
        st.caption(t.error(exc))  # in the page's language (its kind's catalogue entry)
        return
    st.markdown(mistakes_intro(m, t))
    rows = pd.DataFrame(mistakes_rows(m, t), columns=list(mistakes_columns(t)))
    st.table(rows, hide_index=True, border="horizontal")  # long cells wrap


@st.fragment
def show(full: Settings, state: MutableMapping[str, Any]) -> None:
    """The worked example at the session's settings."""
    s = widgets.read(state)
    if s["scheme"] != full["scheme"]:
        st.rerun()
    link.sync(draw(s, state), st.query_params)  # the address bar holds what was drawn


def draw(s: Settings, state: MutableMapping[str, Any]) -> Settings:
    """The worked example at settings ``s``; the settings drawn (the value followed is one of
    the values typed)."""
    t = Tr(s["lang"])
    st.button(
        t("text.worked.back", "← Back to the page"), key="worked_back", on_click=back, args=(state,)
    )
    st.markdown(f"## {t('text.worked.title', WORKED_TITLE)}")
    st.markdown(worked_intro(t))
    left, right = st.columns([3, 2], gap="medium")
    with left:
        control("values", t=t)
    with right:
        control("bits", t=t)
    try:
        values = parse_values(s["values"])
        kwargs = quantize_kwargs(s)
        w = worked_example(
            values, s["bits"], symmetric=kwargs["symmetric"], narrow_range=kwargs["narrow_range"]
        )
    except Mistyped as exc:
        st.error(text.echo(exc.message, t), icon=":material/error:")
        return s
    except qv.InputError as exc:  # in the page's language (its kind's catalogue entry)
        st.error(t.error(exc, md_escape), icon=":material/error:")
        return s
    r = qv.quantize(w.x, w.bits, symmetric=w.symmetric, narrow_range=w.narrow_range)
    st.markdown(worked_range(w, t))
    followed = min(s["follow"], w.x.size)
    formulas, picture = st.columns([2, 3], gap="medium")
    with formulas:
        st.latex(worked_grid_formulas(r, t))
    with picture:
        if w.x.size > 1:
            state["follow"] = followed
            followed = control("follow", bounds=(1, w.x.size), t=t)
        question = (tuple(w.x.tolist()), w.bits, s["scheme"], followed)
        given = state.get(ANSWERS, {}).get(question)
        spec = charts.number_line_spec(t=t)
        sets = datasets(w, followed, landed=given is not None)
        st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    if given is None:
        predict(w, followed, question, state, t)
    else:
        verdict(w, followed, given, t)
        st.dataframe(table(w, t), hide_index=True, width="stretch")
        mistakes(w, t)
        st.download_button(
            t("text.handout.download", "Download this lesson as a handout (Markdown)"),
            data=lambda: worked_handout(w, s, t),
            file_name=f"quantviz-worked-example-{s['lang']}.md",
            mime="text/markdown",
            key="worked_handout",
            on_click="ignore",
            icon=":material/download:",
            type="tertiary",
        )
    return s.replace(follow=followed)


def worked_handout(w: WorkedExample, s: Settings, t: Tr = EN) -> str:
    """The worked example as a Markdown handout: where the range comes from, the table of
    steps, and the article's mistakes on these values (when there are any)."""
    lines = [f"# {t('text.worked.title', WORKED_TITLE)}", "", worked_range(w, t), "",
             handout.markdown_table(list(worked_columns(t)), worked_rows(w, t)), ""]  # fmt: skip
    try:
        m = article_mistakes(w.x, w.bits, symmetric=w.symmetric, narrow_range=w.narrow_range)
    except qv.InputError as exc:
        return "\n".join([*lines, t.error(exc)]) + "\n"
    lines += [f"## {t('text.mistakes.title', MISTAKES_TITLE)}", "", mistakes_intro(m, t), "",
              handout.markdown_table(list(mistakes_columns(t)), mistakes_rows(m, t))]  # fmt: skip
    link = handout.link_of(s.replace(follow=min(s["follow"], w.x.size)))
    lines += ["", t("text.handout.open", "Open it: `?{link}`", link=link)]
    return "\n".join(lines) + "\n"


ANSWERS = "_worked_answers"  # session key: (values, bits, scheme, value followed) → answer


def _commit(state: MutableMapping[str, Any], question: tuple, key: str, given: str) -> None:
    """Check/show callback: keep the student's answer ("" when they only asked to see)."""
    answer = given if given is not None else str(state.get(key) or "")
    state[ANSWERS] = {**state.get(ANSWERS, {}), question: answer}


def predict(
    w: WorkedExample, followed: int, question: tuple, state: MutableMapping[str, Any], t: Tr
) -> None:
    """Ask which code the followed value gets, before anything shows where it lands."""
    st.markdown(worked_predict(w, followed - 1, t))
    key = f"worked_guess_{hash(question)}"
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.text_input(t("text.lesson.your_answer", text.YOUR_ANSWER), key=key, width=160,
                   placeholder=t("text.lesson.number", text.NUMBER_PLACEHOLDER))  # fmt: skip
    row.button(t("text.lesson.check", text.CHECK), key=f"check_{key}", type="primary",
               on_click=_commit, args=(state, question, key, None))  # fmt: skip
    row.button(t("text.worked.show_all", "Show me"), key=f"show_{key}",
               on_click=_commit, args=(state, question, key, ""))  # fmt: skip


def verdict(w: WorkedExample, followed: int, given: str, t: Tr) -> None:
    """The followed value's walk through the formula, after the student's prediction."""
    walk = worked_follow(w, followed - 1, t)
    number = course.parse_number(given) if given else None
    q = int(w.codes[followed - 1])
    if number is None:
        st.markdown(walk)
    elif number == q:
        st.success(text.right_answer(f"q = {q}", walk, t), icon=":material/check:")
    else:
        st.warning(text.wrong_answer(given, f"q = {q}", walk, t), icon=":material/lightbulb:")


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
    """Where the grid's range comes from (Markdown): PyTorch's conventions, said as
    conventions (the mistakes table below compares the article with the grid on
    ``[min, max]``)."""
    lo, hi = _n(w.data_low), _n(w.data_high)
    if w.symmetric:
        half = (w.qmax - w.qmin) / 2
        key, english = (
            ("text.worked.range_narrow",
             "The values run from {lo} to {hi}. A symmetric grid is centred on 0, with codes "
             "{qmin} … {qmax} (narrow range: the code −2^(b−1) is left out) and step "
             "s = max|x| / {half} = {amax} / {half} = {scale}: its levels run from "
             "{bottom} to {top}, so ±max|x| are levels exactly.")
            if w.narrow_range
            else ("text.worked.range_symmetric",
                  "The values run from {lo} to {hi}. A symmetric grid is centred on 0, with "
                  "codes {qmin} … {qmax} and step s = max|x| / ((qmax − qmin)/2) = {amax} / "
                  "{half} = {scale}: its levels run from {bottom} to {top}, one more below 0 "
                  "than above, so +{amax} lies beyond the top level and is clamped to {top}. "
                  "Narrow range drops code {qmin}: s = {amax} / {qmax} and ±max|x| become "
                  "levels.")
        )  # fmt: skip
        return t(key, english, lo=lo, hi=hi, amax=_n(w.high), qmin=_n(w.qmin), qmax=_n(w.qmax),
                 half=_n(half), scale=_n(w.scale), bottom=_n(w.qmin * w.scale),
                 top=_n(w.qmax * w.scale))  # fmt: skip
    codes = {"qmin": w.qmin, "qmax": w.qmax, "low": _n(w.low), "high": _n(w.high)}
    if w.widened:
        return t(
            "text.worked.range_widened",
            "The values run from {lo} to {hi}. Like PyTorch's observers, the grid widens its "
            "range to contain 0, so that 0.0 is a level exactly (zero padding and the zeros "
            "after a ReLU stay exact): {end} is widened to 0, and the grid spans [{low}, "
            "{high}] with codes {qmin} … {qmax}. A convention, not a necessity: a grid on "
            "[{lo}, {hi}] alone has the finer step ({hi} − {lo}) / {gaps} = {narrow}, the one "
            "the mistakes table below holds the article to.",
            lo=lo, hi=hi, end="ℓ" if w.low != w.data_low else "h", gaps=w.qmax - w.qmin,
            narrow=_n((w.data_high - w.data_low) / (w.qmax - w.qmin)), **codes,
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
    return text.aligned(text.scale_lines(r), text.zero_point_lines(r, t))


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
        [t("text.mistakes.per_bit", "step = range / b"), f"{r} / {b} = {_n(m.step_per_bit)}",
         t("text.mistakes.right_step", "range / (2^b − 1) = {r} / {gaps} = {s}",
           r=r, gaps=m.gaps, s=s), coarse],
        [t("text.mistakes.per_level", "step = range / 2^b"),
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
         t("text.mistakes.right_normalize", "2(x − min) / range − 1 = {values}",
           values=_listed(m.normalized)),
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
