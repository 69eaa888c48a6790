"""Lessons as data: the shipped files are valid, a broken file says what is wrong, and the
answer checks count what a student types."""

from __future__ import annotations

import pytest

from quantviz_app import course, facts
from quantviz_app.lessonfile import (
    LessonError,
    all_lessons,
    lessons_in,
    parse_course,
    parse_lesson,
    placeholders,
)
from quantviz_app.lessonfile import course as course_places
from quantviz_app.schema import Settings
from quantviz_app.views.lessonbox import page_data

STEPS = [
    (lesson, n, step)
    for lang in ("en", "zh")
    for lesson in lessons_in(lang)
    for n, step in enumerate(lesson.steps, 1)
]


COURSE = [
    "what-a-step-is", "zero-point", "worked-example", "normalization-and-dequantization",
    "bits-and-error", "outliers-and-clipping", "per-channel", "choosing-bits",
    "number-formats", "activations", "network-accuracy", "pruning", "stochastic-rounding",
]  # fmt: skip


def test_the_lesson_path_follows_the_course_file():
    # the zero point (ℓ, z, x̂ = (q − z)·s) before the lessons that use it; SQNR defined in
    # bits-and-error's first step, before outliers, per-channel and choosing-bits use it
    assert [p.id for p in course_places()][: len(COURSE)] == COURSE
    # a lesson not yet in the course file comes after the course's (merges add lessons)
    assert [x.id for x in all_lessons()][: len(COURSE)] == COURSE
    assert [x.id for x in lessons_in("zh")][: len(COURSE)] == COURSE  # in Chinese too
    first = next(x for x in all_lessons() if x.id == "bits-and-error").steps[0].text
    assert "SQNR = 10·log10(mean x² / MSE)" in first and "4 times less noise power" in first


def test_the_course_says_how_long_and_what_each_lesson_needs():
    places = {p.id: p for p in course_places()}
    assert sum(places[x].minutes for x in COURSE) == 195
    assert places["what-a-step-is"].needs == ()
    assert places["network-accuracy"].needs == ("digits-cnn", "Accuracy")
    assert places["number-formats"].needs == ("Formats", "Block")


def test_a_lesson_the_course_does_not_list_comes_after_it_by_its_order(tmp_path):
    for name, order in (("b-later", 21), ("a-later", 22), ("listed", 99)):
        (tmp_path / f"{name}.toml").write_text(
            f'id = "{name}"\ntitle = "{name}"\norder = {order}\n[[steps]]\ntext = "t"\n'
        )
    (tmp_path / "course.toml").write_text('lessons = [{ id = "listed", minutes = 5 }]\n')
    assert [x.id for x in all_lessons(tmp_path)] == ["listed", "b-later", "a-later"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "course.toml: 'lessons' must be a list of { id = …, minutes = … }."),
        ({"lessons": [{"id": "a"}]}, "course.toml, line 1 of lessons: 'minutes' is missing."),
        ({"lessons": [{"id": "a", "minutes": 0}]},
         "course.toml, line 1 of lessons: minutes must be from 1 to 240, not 0."),
        ({"lessons": [{"id": "a", "minutes": 5, "needs": ["GPU"]}]},
         "course.toml, line 1 of lessons: needs 'GPU', which is none of digits-cnn, minilm-l6, "
         "checkpoint, Trade-off, Formats, Block, Formulas, Close-up, Staircase, Channels, "
         "Whole model, Accuracy, Integers, Train for it, Transformer, Take home."),
        ({"lessons": [{"id": "a", "minutes": 5}, {"id": "a", "minutes": 5}]},
         "course.toml: 'a' is listed twice."),
    ],
)  # fmt: skip
def test_a_broken_course_says_what_is_wrong(data, message):
    with pytest.raises(LessonError) as err:
        parse_course(data)
    assert str(err.value) == message


@pytest.mark.parametrize(("lesson", "n", "step"), STEPS, ids=lambda v: getattr(v, "id", v))
def test_every_step_names_real_settings_and_facts(lesson, n, step):
    s = course.step_settings(step, Settings())  # raises on a bad setting or value
    q = step.question
    texts = [step.text] + ([q.prompt, q.explain, *q.why.values()] if q else [])
    if q and not q.fact_options:
        texts += [label for _, label in q.options]
    names = [name for t in texts for name in placeholders(t)]
    assert [n for n in names if n not in facts.FACTS] == []
    if q is None:
        return
    assert q.answer in facts.FACTS
    if q.kind == "number":
        assert facts.FACTS[q.answer].unit != "text"
    elif q.fact_options:
        assert all(o in facts.FACTS for o in q.options)
    else:  # the fact's answer, for the step's data (as the page draws it), is an option
        s, data = page_data(s)
        assert facts.value(q.answer, s, data) in dict(q.options)


def lesson(**fields):
    base = {"id": "a-lesson", "title": "A lesson", "order": 1,
            "steps": [{"text": "Hello"}]}  # fmt: skip
    return {**base, **fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "x", "order": 1, "steps": []}, "x.toml: 'id' is missing."),
        (lesson(id="A b"), "x.toml: id must be lowercase words joined by '-', not 'A b'."),
        (lesson(steps=[]), "x.toml: a lesson needs [[steps]]."),
        (lesson(steps=[{"settings": {}}]), "x.toml, step 1: 'text' is missing."),
        (
            lesson(steps=[{"text": "t", "question": {"kind": "essay", "prompt": "p",
                                                      "answer": "scale", "explain": "e"}}]),
            "x.toml, step 1: kind must be one of number, choice, not 'essay'.",
        ),
        (
            lesson(steps=[{"text": "t", "question": {"kind": "choice", "prompt": "p",
                                                      "answer": "scale", "explain": "e",
                                                      "options": ["scale"]}}]),
            "x.toml, step 1: a choice needs 'options': two or more (a table or list).",
        ),
        (
            lesson(steps=[{"text": "t", "question": {"kind": "number", "prompt": "p",
                                                      "answer": "scale", "explain": "e",
                                                      "tolerance": 5}}]),
            "x.toml, step 1: tolerance must be a number from 0 to 1, not 5.",
        ),
    ],
)  # fmt: skip
def test_a_broken_lesson_says_what_is_wrong(data, message):
    with pytest.raises(LessonError) as err:
        parse_lesson(data, "x.toml")
    assert str(err.value) == message


def test_placeholders_leave_latex_alone():
    assert placeholders(r"s = {scale}, \frac{h}{2}, {Not_a_fact}") == ["scale", "h"]


@pytest.mark.parametrize(
    ("typed", "number"),
    [("0.8", 0.8), ("−3", -3.0), ("1,234", 1234.0), ("0,8", 0.8), ("30 dB", 30.0),
     ("12 %", 12.0), ("abc", None), ("", None), ("inf", None)],
)  # fmt: skip
def test_parse_number(typed, number):
    assert course.parse_number(typed) == number


def test_close_counts_whole_numbers_exactly_and_others_relatively():
    assert course.close(8.0, 8.0, 0.02, whole=True)
    assert not course.close(8.4, 8.0, 0.02, whole=True)
    assert course.close(0.29, 0.2857, 0.02, whole=False)  # 1.5 % off
    assert not course.close(0.3, 0.2857, 0.02, whole=False)  # 5 % off


def test_the_readme_s_example_lesson_is_a_valid_lesson():
    import re
    import tomllib
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    example = parse_lesson(tomllib.loads(block), "README.md")
    step = example.steps[0]
    assert (example.id, step.question.answer) == ("my-lesson", "scale")
    course.step_settings(step, Settings())
    assert set(placeholders(step.text + step.question.explain)) <= set(facts.FACTS)
