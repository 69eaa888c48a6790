"""Issue 21, item 2: a Chinese page shows no English word outside names, units and acronyms,
for every lesson step (its question, then its answer, with the rooms below), the course's
page, the worked example with its mistakes and an error, and the sidebar's labels.

The allow-list is :data:`tests.page.test_i18n.ALLOWED` plus the names these pages show:
layers, models, formats, libraries and the API calls the lessons name.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from quantviz_app import facts
from quantviz_app.lessonfile import lessons_in
from quantviz_app.views.lessonbox import page_data
from quantviz_app.widgets import read
from tests.page.test_i18n import ALLOWED, ENGLISH_WORD, open_zh, shown_texts

NAMES = {
    "CNN", "conv1", "conv2", "fc1", "fc2",  # the digits CNN and its layers
    "MiniLM", "L6", "FP4", "E2M1", "NF4", "MXFP4", "OCP", "GPTQ", "AWQ",  # models, formats
    "ReLU", "int32", "int16", "FBGEMM", "TFLite", "ONNX", "Runtime", "Linear",  # names of things
    "Python", "python",  # the MiniLM task's texts (Python's documentation) and their tokens
    "prepare", "convert", "Markdown",  # PyTorch's calls; the handout's file format
    "qmin", "qmax", "mean", "log2",  # a formula's symbols and functions, as log10 and round
}  # fmt: skip


CITATION = re.compile(r"\*\(.*?\)\*")  # *(PyTorch HistogramObserver's L2 search; …)*
FILE = re.compile(r"\S*(?:\.safetensors|\.md|/)\S*")  # file names, paths, repository ids
LICENCE = re.compile(r"Apache-2\.0|CC BY \d\.\d")


def english_words(texts: list[str]) -> list[str]:
    """Latin words outside names, units, acronyms, citations of other projects' APIs, file
    names and licences."""
    texts = [LICENCE.sub("", FILE.sub("", CITATION.sub("", t.replace("\\", "")))) for t in texts]
    return sorted({w for t in texts for w in ENGLISH_WORD.findall(t)} - ALLOWED - NAMES)


def sidebar_texts(at: AppTest) -> list[str]:
    """What the sidebar says: its controls' labels, captions and lines."""
    side = at.sidebar
    texts = [w.label for w in [*side.slider, *side.selectbox, *side.number_input, *side.toggle,
                               *side.text_input, *side.button]]  # fmt: skip
    texts += [w.options[w.index] for w in side.selectbox if w.index is not None]  # its choice
    return texts + [m.value for m in [*side.caption, *side.markdown]]


STEPS = [(lesson.id, n) for lesson in lessons_in("zh") for n, _ in enumerate(lesson.steps, start=1)]


@pytest.mark.parametrize(("lesson", "step"), STEPS)
def test_every_chinese_lesson_step_and_its_answer_in_chinese(lesson, step):
    at = open_zh(lesson=lesson, step=str(step))
    assert english_words(shown_texts(at)) == []  # the question, before the answer
    question = next(x for x in lessons_in("zh") if x.id == lesson).steps[step - 1].question
    if question is None:
        return
    key = f"answer_{lesson}_{step}"
    s, data = page_data(read(at.session_state))  # the page on screen
    right = facts.value(question.answer, s, data)
    if question.fact_options:  # its options are facts, by name
        at.radio(key=key).set_value(question.answer)
    elif question.kind == "number":
        at.text_input(key=key).set_value(facts.shown(question.answer, s, data).split()[0])
    else:
        at.radio(key=key).set_value(str(right))
    at.button(key=f"check_{key}").click()
    at.run()
    assert not at.exception and at.success  # answered right: the explanation is shown
    assert english_words(shown_texts(at) + sidebar_texts(at)) == []


def test_the_chinese_course_page_and_sidebar():
    at = open_zh(course="1")
    main = at.main
    texts = [m.value for m in [*main.markdown, *main.caption, *main.subheader]]
    texts += [b.label for b in main.button]
    assert len(texts) > 3 * 13  # every lesson: its title and summary, its line, its button
    assert english_words(texts + sidebar_texts(at)) == []


@pytest.mark.parametrize(
    "query",
    [{"dist": d} for d in ("normal", "uniform", "laplace", "student_t", "outliers", "bimodal",
                           "lognormal", "layer")]
    + [{"strategy": "percentile"}, {"strategy": "sigma"}],
    ids=lambda q: "-".join(q.values()),
)  # fmt: skip
def test_the_chinese_sidebar_labels_every_parameter(query):
    at = open_zh(**query)
    assert english_words(sidebar_texts(at)) == []


def test_the_chinese_worked_example_with_its_mistakes_and_an_error():
    at = open_zh(lesson="worked-example", scheme="symmetric")
    next(b for b in at.button if b.key.startswith("show_worked_guess_")).click()
    at.run()
    cells = [c for t in at.main.table for row in t.value.values for c in row]
    code = "NameError: name 'step' is not defined"  # what the article's code prints, verbatim
    assert code in cells
    assert english_words(shown_texts(at) + [c for c in cells if c != code]) == []
    at.text_input(key="values").set_value("1, 1, 1")
    at.run()
    assert english_words(shown_texts(at)) == []
    at.text_input(key="values").set_value("1, two, 3")
    at.run()
    errors = [e.value for e in at.error]
    assert errors == ["“two”不是一个数。"]  # the typed word, quoted: data, not a sentence


def test_too_many_values_in_the_worked_example_are_refused_in_chinese():
    at = open_zh(lesson="worked-example")
    at.text_input(key="values").set_value(", ".join(str(i) for i in range(17)))  # 16 at most
    at.run()
    assert [e.value for e in at.error] == ["完整算例最多取 16 个数值；这里给了 17 个。"]
