"""The lesson box at the top of the page: where the student is in the lesson, what the
step says, its question (predict, then check) and the way on.

The page below is the ordinary page at the step's settings; while a question is open,
the numbers that would give its answer away stay hidden (see ``course.hides_answers``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from quantviz_app import course, fitting, handout, sources, text
from quantviz_app.data import Data
from quantviz_app.i18n import EN, Tr
from quantviz_app.lessonfile import Lesson, Question
from quantviz_app.lessonfile import course as course_places
from quantviz_app.move import Move
from quantviz_app.schema import Settings


def _commit(state: MutableMapping[str, Any], s: Settings, key: str) -> None:
    """Check-button callback: keep what the student entered (empty: nothing to keep)."""
    given = state.get(key)
    if given not in (None, ""):
        course.commit(state, s, str(given))


def question_box(q: Question, s: Settings, data: Data, state: MutableMapping[str, Any]) -> None:
    """The question, the answer field and, once answered, the verdict.

    Before the check the prompt follows the page (a bit move redraws it: "At 6 bits…");
    the check grades the answer at the settings the prompt was shown with, and from then
    on the prompt and the verdict stay at those settings, whatever the slider does next."""
    t = Tr(s["lang"])
    at = course.asked(state, s)  # the page the question is asked about
    st.markdown(f"**{t('text.lesson.predict', text.QUESTION)}** {course.fill(q.prompt, at, data)}")
    key = f"answer_{s['lesson']}_{s['step']}"
    given = course.answered(state, s)
    if given is not None:  # the field keeps the answer the verdict speaks of
        state[key] = given
    row = st.container(horizontal=True, vertical_alignment="bottom")
    if q.kind == "number":
        row.text_input(
            t("text.lesson.your_answer", text.YOUR_ANSWER),
            key=key,
            width="stretch",  # beside Check, in the column beside the picture
            disabled=given is not None,
            placeholder=t("text.lesson.number", text.NUMBER_PLACEHOLDER),
            label_visibility="collapsed",  # the prompt above says what to enter
        )
    else:
        choices = course.options(q, at, data)
        labels = dict(choices)
        row.radio(
            t("text.lesson.your_answer", text.YOUR_ANSWER),
            [k for k, _ in choices],
            format_func=labels.get,
            key=key,
            index=None,
            disabled=given is not None,
            horizontal=True,
            label_visibility="collapsed",
        )
    if given is None:
        row.button(
            t("text.lesson.check", text.CHECK),
            key=f"check_{key}",
            on_click=_commit,
            args=(state, s, key),
            type="primary",
        )
        return
    verdict = course.check(q, given, at, data)
    if verdict.right:
        st.success(text.right_answer(verdict.answer, verdict.explain, t), icon=":material/check:")
    else:
        shown = given if q.kind == "number" else dict(course.options(q, at, data)).get(given, given)
        st.warning(
            text.wrong_answer(shown, verdict.answer, verdict.explain, t),
            icon=":material/lightbulb:",
        )


def navigation(lesson: Lesson, n: int, state: MutableMapping[str, Any], t: Tr) -> None:
    """Previous, next (after the last step: the course's next lesson), and the way out."""
    row = st.container(horizontal=True)
    row.button(
        t("text.lesson.previous", text.PREVIOUS),
        key="lesson_previous",
        disabled=n <= 1,
        on_click=course.go,
        args=(state, lesson.id, n - 1),
        icon=":material/arrow_back:",
    )
    following = course.next_lesson(lesson.id, t.lang) if n >= len(lesson.steps) else None
    if following is not None:
        row.button(
            t("text.lesson.next_lesson", "Next lesson: {title}", title=following.title),
            key="lesson_next_lesson",
            on_click=course.go,
            args=(state, following.id, 1),
            icon=":material/arrow_forward:",
        )
    else:
        row.button(
            t("text.lesson.next", text.NEXT),
            key="lesson_next",
            disabled=n >= len(lesson.steps),
            on_click=course.go,
            args=(state, lesson.id, n + 1),
            icon=":material/arrow_forward:",
        )
    row.button(
        t("text.lesson.leave", text.LEAVE_LESSON),
        key="lesson_leave",
        on_click=course.go,
        args=(state, "none", 1),
    )


def page_data(s: Settings) -> tuple[Settings, Data]:
    """The tensor a step's settings name and the settings fitted to it, as the page computes
    them (a handout's other steps; never an upload: a step opens on its own data)."""
    data, s, _ = sources.current(s, {})
    return fitting.fit(s, data.shape, data.low, data.high).settings, data


def handout_button(lesson: Lesson, m: Move) -> None:
    """The lesson as a Markdown handout, made when pressed (the numbers of each step's data;
    the step on screen at the page as it is)."""
    s, data, t = m.s, m.data, m.t
    minutes = {p.id: p.minutes for p in course_places()}.get(lesson.id)
    st.download_button(
        t("text.handout.download", "Download this lesson as a handout (Markdown)"),
        data=lambda: handout.handout(lesson, s, data, page_data, minutes),
        file_name=handout.file_name(lesson, s["lang"]),
        mime="text/markdown",
        key="lesson_handout",
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
        help=t("text.handout.download_help",
               "Every step, question and answer of this lesson, with the numbers of each "
               "step's data on screen: print it, or hand it out after class."),
    )  # fmt: skip


def show(m: Move) -> None:
    """The open step of the open lesson."""
    s, data, state = m.s, m.data, m.state
    lesson = course.lesson_of(s)
    if lesson is None or not lesson.steps:
        return
    n = course.step_number(s, lesson)
    step = lesson.steps[n - 1]
    with st.container(border=True, key="lesson_box"):
        t = Tr(s["lang"])
        st.markdown(f"#### {lesson_heading(lesson.title, n, len(lesson.steps), t)}")
        st.markdown(course.fill(step.text, s, data))
        if step.question is not None:
            question_box(step.question, s, data, state)
        navigation(lesson, n, state, t)
        handout_button(lesson, m)


def lesson_heading(title: str, n: int, total: int, t: Tr = EN) -> str:
    """The lesson box's heading: the lesson and where the student is in it."""
    return t("text.lesson.heading", "{title} · step {n} of {total}", title=title, n=n, total=total)
