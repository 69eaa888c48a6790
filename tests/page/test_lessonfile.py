"""Lessons as data: the shipped files are valid, a broken file says what is wrong, and the
answer checks count what a student types."""

from __future__ import annotations

import pytest

import quantviz as qv
from quantviz_app import course, facts
from quantviz_app.data import synthetic
from quantviz_app.lessonfile import LessonError, all_lessons, parse_lesson, placeholders
from quantviz_app.schema import Settings

STEPS = [(lesson, n, step) for lesson in all_lessons() for n, step in enumerate(lesson.steps, 1)]


def test_the_lesson_path_is_in_order():
    assert [x.id for x in all_lessons()] == [
        "what-a-step-is", "worked-example", "normalization-and-dequantization",
        "bits-and-error", "outliers-and-clipping", "zero-point", "per-channel", "choosing-bits",
        "activations-are-harder", "smoothquant", "error-aware-rounding",
    ]  # fmt: skip


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
    else:  # the fact's answer, for the step's data, is one of the options
        dist = qv.get_distribution(s["dist"])
        params = {p.name: s[f"{s['dist']}.{p.name}"] for p in dist.params}
        data = synthetic(s["dist"], 10_000, 0, params)
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
