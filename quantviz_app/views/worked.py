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
from quantviz.mistakes import article_mistakes
from quantviz.worked import WorkedExample, worked_example
from quantviz_app import charts, course, link, text, widgets
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
    return pd.DataFrame(text.worked_rows(w, t), columns=list(text.worked_columns(t)))


def mistakes(w: WorkedExample, t: Tr) -> None:
    """The article's common mistakes on these values, or why there are none to show."""
    st.markdown(f"### {t('text.mistakes.title', text.MISTAKES_TITLE)}")
    try:
        m = article_mistakes(w.x, w.bits, symmetric=w.symmetric, narrow_range=w.narrow_range)
    except qv.InputError as exc:
        st.caption(str(exc))
        return
    st.markdown(text.mistakes_intro(m, t))
    rows = pd.DataFrame(text.mistakes_rows(m, t), columns=list(text.mistakes_columns(t)))
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
    st.markdown(f"## {t('text.worked.title', text.WORKED_TITLE)}")
    st.markdown(text.worked_intro(t))
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
    except (Mistyped, qv.InputError) as exc:
        st.error(text.echo(getattr(exc, "message", str(exc)), t), icon=":material/error:")
        return s
    r = qv.quantize(w.x, w.bits, symmetric=w.symmetric, narrow_range=w.narrow_range)
    st.markdown(text.worked_range(w, t))
    followed = min(s["follow"], w.x.size)
    formulas, picture = st.columns([2, 3], gap="medium")
    with formulas:
        st.latex(text.worked_grid_formulas(r, t))
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
    return s.replace(follow=followed)


ANSWERS = "_worked_answers"  # session key: (values, bits, scheme, value followed) → answer


def _commit(state: MutableMapping[str, Any], question: tuple, key: str, given: str) -> None:
    """Check/show callback: keep the student's answer ("" when they only asked to see)."""
    answer = given if given is not None else str(state.get(key) or "")
    state[ANSWERS] = {**state.get(ANSWERS, {}), question: answer}


def predict(
    w: WorkedExample, followed: int, question: tuple, state: MutableMapping[str, Any], t: Tr
) -> None:
    """Ask which code the followed value gets, before anything shows where it lands."""
    st.markdown(text.worked_predict(w, followed - 1, t))
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
    walk = text.worked_follow(w, followed - 1, t)
    number = course.parse_number(given) if given else None
    q = int(w.codes[followed - 1])
    if number is None:
        st.markdown(walk)
    elif number == q:
        st.success(text.right_answer(f"q = {q}", walk, t), icon=":material/check:")
    else:
        st.warning(text.wrong_answer(given, f"q = {q}", walk, t), icon=":material/lightbulb:")
