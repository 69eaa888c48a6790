"""The course's page (``?course=1``, or "The course" in the sidebar): every lesson in the
order of ``lessons/course.toml``, each with its length, its steps, what it needs, and a
button that opens it. A teacher's path through the lessons, on one screen.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from quantviz_app import course, link
from quantviz_app.handout import needs_line
from quantviz_app.i18n import Tr
from quantviz_app.schema import Settings


def entry_line(e: course.Entry, t: Tr) -> str:
    """One lesson's line under its title: ``about 15 min · 3 steps · needs the … tab``."""
    length = t("text.course.minutes", "about {minutes} min", minutes=e.minutes)
    steps = (
        t("text.course.one_page", "one page")
        if not e.lesson.steps
        else t("text.course.steps", "{n} steps", n=e.steps)
    )
    return " · ".join((length, steps, needs_line(e.needs, t)))


def show(s: Settings, state: MutableMapping[str, Any]) -> None:
    """The course, in order; each lesson opens at its first step."""
    t = Tr(s["lang"])
    entries = course.course_entries(s["lang"])
    total = sum(e.minutes for e in entries)
    st.subheader(t("text.course.title", "The course"))
    st.caption(t("text.course.intro",
                 "{n} lessons in the order a class takes them, about {minutes} minutes in all. "
                 "Each lesson asks you to predict a number, then checks it on the data on "
                 "screen.", n=len(entries), minutes=total))  # fmt: skip
    for e in entries:
        with st.container(border=True, key=f"course_{e.lesson.id}"):
            words, button = st.columns([5, 1], vertical_alignment="center")
            with words:
                st.markdown(f"**{e.number}. {e.lesson.title}**  \n{e.lesson.summary}")
                st.caption(entry_line(e, t))
            button.button(
                t("text.course.open", "Open"),
                key=f"course_open_{e.lesson.id}",
                on_click=course.go,
                args=(state, e.lesson.id, 1),
                icon=":material/play_arrow:",
            )
    st.button(
        t("text.course.close", "Back to the page"),
        key="course_close",
        on_click=course.show_course,
        args=(state, False),
    )
    link.sync(s, st.query_params)  # the address bar holds what was drawn: ?course=1
