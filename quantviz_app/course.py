"""The lesson path: which lesson and step are open, the page each step sets up, the course
around them, and a student's answer checked against the core's number for the data on
screen.

Pure functions over the settings, the tensor and the session (no widgets): the views
(:mod:`quantviz_app.views.lessonbox`, :mod:`quantviz_app.views.coursepage`) draw what
they return.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from quantviz_app import facts
from quantviz_app.data import Data
from quantviz_app.i18n import Tr
from quantviz_app.lessonfile import PLACEHOLDER, Lesson, Place, Question, Step, course, lessons_in
from quantviz_app.schema import PAGE_KEYS, Settings
from quantviz_app.widgets import write

ENTERED = "_lesson_at"  # session key: the (lesson, step) whose settings were put on the page
ANSWERS = "_answers"  # session key: (lesson, step) → what the student answered
ASKED = "_asked"  # session key: (lesson, step) → the settings the answer was checked at


def lesson_of(s: Settings) -> Lesson | None:
    """The open lesson, in the page's language, or None on the plain page."""
    return next((x for x in lessons_in(s["lang"]) if x.id == s["lesson"]), None)


def step_number(s: Settings, lesson: Lesson) -> int:
    """The open step, from 1, within the lesson's steps."""
    return min(max(s["step"], 1), max(len(lesson.steps), 1))


def step_settings(
    step: Step | Mapping[str, object], base: Settings, keep: Collection[str] = ()
) -> Settings:
    """The page a step opens: its settings (a :class:`Step`'s, or a view lesson's) on top
    of the defaults; the page's own settings and those named in ``keep`` stay as in
    ``base``."""
    settings = step.settings if isinstance(step, Step) else step
    kept = {k: base[k] for k in (*PAGE_KEYS, *keep)}
    return Settings.of({**settings, **kept})


def opening(lesson: Lesson, n: int) -> Mapping[str, object]:
    """The settings step ``n`` of ``lesson`` opens with (a view lesson: its own)."""
    return lesson.steps[n - 1].settings if lesson.steps else lesson.settings


def enter(state: MutableMapping[str, Any], s: Settings, given: Collection[str] = ()) -> Settings:
    """When a lesson step is opened (a link, next, previous), put its page in the session,
    once; later the student may move anything. ``given``: the settings the link itself
    names, which win over the step's (a shared link opens as it was shared). Returns the
    settings now in force."""
    lesson = lesson_of(s)
    if lesson is None:
        state[ENTERED] = None
        return s
    n = step_number(s, lesson)
    at = (lesson.id, n)
    if state.get(ENTERED) == at:
        return s
    s = step_settings(opening(lesson, n), s, keep=given).replace(step=n)
    write(state, s)
    state[ENTERED] = at
    return s


def go(state: MutableMapping[str, Any], lesson: str, step: int) -> None:
    """Button callback: open ``step`` of ``lesson`` (``"none"``: back to the page); the
    course's page closes."""
    state["lesson"] = lesson
    state["step"] = step
    state["course"] = False


def show_course(state: MutableMapping[str, Any], shown: bool = True) -> None:
    """Button callback: open (or close) the course's page."""
    state["course"] = shown
    if shown:
        state["lesson"] = "none"


# ----------------------------------------------------------------- the course --


@dataclass(frozen=True)
class Entry:
    """A lesson in the course: the lesson (in the page's language), its number in the
    course (from 1), about how long it takes and what it needs."""

    number: int
    lesson: Lesson
    minutes: int
    needs: tuple[str, ...]

    @property
    def steps(self) -> int:
        """How many steps it has (a view lesson: one page)."""
        return max(len(self.lesson.steps), 1)


def course_entries(lang: str) -> list[Entry]:
    """The course in ``lang``, in order (lessons the course file does not list are not in
    it; they still open by their link)."""
    lessons = {x.id: x for x in lessons_in(lang)}
    places: tuple[Place, ...] = course()
    return [
        Entry(n, lessons[p.id], p.minutes, p.needs)
        for n, p in enumerate((p for p in places if p.id in lessons), start=1)
    ]


def next_lesson(lesson_id: str, lang: str) -> Lesson | None:
    """The lesson after ``lesson_id`` in the course (None after the last, or outside it)."""
    ids = [e.lesson.id for e in course_entries(lang)]
    if lesson_id not in ids or ids.index(lesson_id) + 1 == len(ids):
        return None
    return course_entries(lang)[ids.index(lesson_id) + 1].lesson


def fill(text: str, s: Settings, data: Data) -> str:
    """``text`` with each ``{fact}`` replaced by its value for the data on screen (other
    braces, as in LaTeX, are left alone)."""

    def one(match: Any) -> str:
        name = match.group(1)
        return facts.shown(name, s, data) if name in facts.FACTS else match.group(0)

    return PLACEHOLDER.sub(one, text)


@dataclass(frozen=True)
class Check:
    """The verdict on an answer: right or not, the right answer as shown, and why."""

    right: bool
    answer: str
    explain: str


def parse_number(given: str) -> float | None:
    """A number as typed (``0.8``, ``−3``, ``1,234``, ``0,8``, ``30 dB``), or None."""
    text = str(given).strip().replace("−", "-").replace(" ", "")
    for unit in ("dB", "db", "%", "bits", "bit"):
        text = text.removesuffix(unit)
    if "," in text and "." not in text and text.count(",") == 1 and len(text.split(",")[1]) != 3:
        text = text.replace(",", ".")  # a decimal comma
    text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def close(given: float, answer: float, tolerance: float, *, whole: bool) -> bool:
    """Whether ``given`` counts as ``answer`` (whole numbers: exactly; else relatively)."""
    if whole:
        return round(given) == given and int(given) == round(answer)
    return abs(given - answer) <= tolerance * max(abs(answer), 1e-12)


def options(question: Question, s: Settings, data: Data) -> list[tuple[str, str]]:
    """A choice question's options as (key, label) pairs for the data on screen."""
    if question.fact_options:
        return [(name, facts.shown(name, s, data)) for name in question.options]
    return [(key, fill(label, s, data)) for key, label in question.options]


def check(question: Question, given: str, s: Settings, data: Data) -> Check:
    """``given`` (a typed number, or a choice's key) against the core's answer."""
    answer = facts.value(question.answer, s, data)
    explain = fill(question.explain, s, data)
    shown = facts.FACTS[question.answer].shown(answer, Tr(s["lang"]))
    if question.kind == "number":
        number = parse_number(given)
        whole = facts.FACTS[question.answer].unit == "int"
        right = number is not None and close(number, float(answer), question.tolerance,
                                             whole=whole)  # fmt: skip
        return Check(right, shown, explain)
    if question.fact_options:
        chosen = facts.value(given, s, data) if given in facts.FACTS else math.nan
        right = isinstance(chosen, float) and math.isclose(chosen, float(answer), rel_tol=1e-9)
        return Check(right, shown, explain)
    labels = dict(question.options)
    right = given == answer
    why = "" if right else fill(question.why.get(given, ""), s, data)
    return Check(right, fill(labels.get(str(answer), str(answer)), s, data),
                 f"{why} {explain}".strip())  # fmt: skip


def answered(state: MutableMapping[str, Any], s: Settings) -> str | None:
    """What the student answered at the open step (None: not yet)."""
    return state.get(ANSWERS, {}).get((s["lesson"], s["step"]))


def asked(state: MutableMapping[str, Any], s: Settings) -> Settings:
    """The settings the open step's question is asked and graded at: the page as it is
    until the student checks, then the page as it was when they pressed Check (in ``s``'s
    language), so a later bit move changes neither the question nor its verdict."""
    at = state.get(ASKED, {}).get((s["lesson"], s["step"]))
    return s if at is None or answered(state, s) is None else at.replace(lang=s["lang"])


def commit(state: MutableMapping[str, Any], s: Settings, given: str) -> None:
    """Keep the student's answer for the open step, and the settings ``s`` its prompt was
    shown at (it reveals the answer)."""
    at = (s["lesson"], s["step"])
    state[ANSWERS] = {**state.get(ANSWERS, {}), at: given}
    state[ASKED] = {**state.get(ASKED, {}), at: s}


def hides_answers(state: MutableMapping[str, Any], s: Settings) -> bool:
    """True while the open step asks a question not yet answered: the numbers that
    would give the answer away stay hidden."""
    lesson = lesson_of(s)
    if lesson is None or not lesson.steps:
        return False
    step = lesson.steps[step_number(s, lesson) - 1]
    return step.question is not None and answered(state, s) is None
