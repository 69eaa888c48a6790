"""The page's words for the library's names (quantviz_app/names.py): every strategy,
distribution and format of the library has them, in English and Chinese, and the library
itself carries no page text."""

from __future__ import annotations

import dataclasses

import quantviz as qv
from quantviz_app import names
from quantviz_app.i18n import Tr

ZH = Tr("zh")


def test_every_library_name_has_its_page_words():
    assert set(names.STRATEGY_LABELS) == {s.name for s in qv.strategies()}
    assert set(names.DIST_LABELS) == {d.name for d in qv.distributions()}
    assert set(names.DIST_LESSONS) == {d.name for d in qv.distributions()}
    assert set(names.FORMAT_LABELS) == {f.name for f in qv.formats()}


def test_the_words_in_english_and_chinese():
    assert names.strategy_label("mse") == "MSE-optimal"
    assert names.strategy_label("minmax", ZH) == "最小-最大 (min-max)"
    assert names.dist_label("student_t") == "Student's t (heavy tails)"
    assert names.dist_lesson("layer").startswith("One scale for the whole tensor is set by")
    for d in qv.distributions():  # every lesson has its Chinese
        assert ZH(f"dist.{d.name}.lesson", "") != ""


def test_the_library_carries_no_page_text():
    """A strategy and a distribution are a name, parameters and one line of documentation:
    no label, no lesson, no LaTeX (those are the page's)."""
    assert {f.name for f in dataclasses.fields(qv.Strategy)} == {
        "name", "description", "reference", "params", "granularities"}  # fmt: skip
    distribution = type(qv.distributions()[0])
    assert {f.name for f in dataclasses.fields(distribution)} == {
        "name", "description", "params"}  # fmt: skip
