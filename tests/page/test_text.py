"""What a student reads, for fixed cases, against strings written out by hand.

The numbers in these strings were checked against an independent float64 numpy
computation of the same quantization (range, step, zero point, MSE split, SQNR,
clipped count); they are literals here so that a wrong formula in the page's text
makes these tests fail.
"""

from __future__ import annotations

import math

import pytest

import quantviz as qv
from quantviz_app import text
from quantviz_app.rooms import formulas, staircase, tradeoff
from quantviz_app.views import histograms, worked


@pytest.fixture(scope="module")
def laplace_4bit() -> qv.QuantResult:
    """The default page: Laplace, 100,000 values, seed 0, 4-bit asymmetric min-max."""
    return qv.quantize(qv.sample("laplace", n=100_000, seed=0), bits=4)


@pytest.fixture(scope="module")
def student_3bit() -> qv.QuantResult:
    """Heavy tails clipped: Student's t (df 3), 10,000 values, seed 1, 3-bit symmetric,
    99th percentile of |x|."""
    x = qv.sample("student_t", n=10_000, seed=1)
    return qv.quantize(x, bits=3, symmetric=True, strategy="percentile", percentile=99.0)


def values(cards: list[text.Card]) -> dict[str, str]:
    return {c.label: c.value for c in cards}


def test_default_cards(laplace_4bit):
    assert values(text.cards(laplace_4bit)) == {
        "Step size": "1.123", "Zero point": "7", "SQNR": "10.1 dB", "MSE": "0.0977",
        "Max error": "0.561", "Clipped": "0 %", "Levels used": "16 of 16", "Bits/weight": "4.00",
    }  # fmt: skip


def test_clipped_cards(student_3bit):
    assert values(text.cards(student_3bit)) == {
        "Step size": "1.616", "Zero point": "0", "SQNR": "7.7 dB", "MSE": "0.477",
        "Max error": "17.5", "Clipped": "0.77 %", "Levels used": "8 of 8", "Bits/weight": "3.00",
    }  # fmt: skip
    clipped = next(c for c in text.cards(student_3bit) if c.label == "Clipped")
    assert clipped.help == (
        "77 values of 10,000 lay at or beyond the clipping boundaries and were clamped to the "
        "end levels."
    )


def test_default_formulas_show_operands_that_give_the_result(laplace_4bit):
    assert text.scale_formula(laplace_4bit) == (
        r"\begin{aligned} s &= \frac{h - \ell}{2^{b} - 1} \\ &= \frac{8.449 - (-8.395)}{2^{4} - 1}"
        r" \\ &= \frac{16.84}{15} = 1.123 \end{aligned}"
    )
    assert pytest.approx(1.123, abs=5e-4) == (8.449 - (-8.395)) / 15
    assert text.zero_point_formula(laplace_4bit) == (
        r"\begin{aligned} z &= \mathrm{clamp}\big(q_{min} - \mathrm{round}(\ell / s)\big) \\ "
        r"&= 0 - \mathrm{round}(-8.395 / 1.123) \\ &= 0 - \mathrm{round}(-7.476) = 7 \end{aligned}"
    )
    assert formulas.sqnr_formula(laplace_4bit) == (
        r"\begin{aligned} \mathrm{SQNR} &= 10 \log_{10} \frac{\overline{x^2}}{\mathrm{MSE}} \\ "
        r"&= 10 \log_{10} \frac{0.9984}{0.0977} = 10.1\ \mathrm{dB} \end{aligned}"
    )
    assert round(10 * math.log10(0.9984 / 0.0977), 1) == 10.1


def test_symmetric_formulas_and_the_split_of_the_error(student_3bit):
    assert text.scale_formula(student_3bit) == (
        r"\begin{aligned} s &= \frac{\max(|\ell|, |h|)}{(q_{max} - q_{min})/2} \\ "
        r"&= \frac{5.657}{3.5} = 1.616 \end{aligned}"
    )
    assert text.zero_point_formula(student_3bit) == (
        r"\begin{aligned} z &= 0 \quad \text{(symmetric)} \end{aligned}"
    )
    assert formulas.mse_formula(student_3bit) == (
        r"\mathrm{MSE} = \underbrace{0.217}_{\text{rounding}} + "
        r"\underbrace{0.26}_{\text{clipping}} = 0.477"
    )
    assert formulas.sqnr_formula(student_3bit) == (
        r"\begin{aligned} \mathrm{SQNR} &= 10 \log_{10} \frac{\overline{x^2}}{\mathrm{MSE}} \\ "
        r"&= 10 \log_{10} \frac{2.804}{0.4769} = 7.7\ \mathrm{dB} \end{aligned}"
    )


def test_histogram_notes_count_what_the_dashes_bound(laplace_4bit, student_3bit):
    assert histograms.histogram_note(laplace_4bit, "Min-max") == (
        "The 100,000 values (top) land on **16 of 16 levels** (bottom; every used level has a "
        "dot, however few values it holds). Min-max chose the range [−8.395, 8.449], so one "
        "step is **s = 1.123**. No value lies beyond the dashed clipping boundaries (half a "
        "step past the end levels), so nothing is clipped."
    )
    assert histograms.histogram_note(student_3bit, "Percentile") == (
        "The 10,000 values (top) land on **8 of 8 levels** (bottom; every used level has a dot, "
        "however few values it holds). Percentile chose the range [−5.657, 5.657], so one step "
        "is **s = 1.616**. 77 values (0.77 %) lie at or beyond the dashed clipping boundaries, "
        "half a step past the end levels, and are clamped to the end levels."
    )


def test_one_clipped_value_is_singular():
    r = qv.quantize([0.0, 0.1, 0.2, 10.0], bits=2, strategy="manual", low=0.0, high=0.3)
    assert r.metrics["clipped_count"] == 1
    assert (
        "1 value (25 %) lies at or beyond the dashed clipping boundaries"
        in histograms.histogram_note(r, "Manual")
    )


def test_staircase_note_compares_rounding_noise_with_s2_over_12(student_3bit):
    assert staircase.staircase_note(student_3bit).startswith(
        "Every x inside one cell maps to the same level: 8 levels, 1.616 apart. Inside the "
        "range the error is rounding, never more than s/2 = 0.8082. Spread evenly within their "
        "cells, values would have a mean squared rounding error of s²/12 = 0.218; the values "
        "inside the range here have 0.219."
    )


def test_deltas_have_an_ascii_sign_streamlit_reads_and_compare_like_with_like(laplace_4bit):
    r3 = qv.quantize(qv.sample("laplace", n=100_000, seed=0), bits=3)
    cards = {c.label: c for c in text.cards(r3, text.card_values(laplace_4bit))}
    assert cards["SQNR"].delta == "-5.6 dB" and cards["SQNR"].delta_color == "normal"
    assert cards["MSE"].delta == "+0.26" and cards["MSE"].delta_color == "inverse"
    assert cards["Step size"].delta == "+1.283" and cards["Step size"].delta_color == "off"
    same = {c.label: c.delta for c in text.cards(r3, text.card_values(r3))}
    assert set(same.values()) == {None}


def test_data_line_and_plurals():
    assert text.data_line("Laplace", (100_000,), 4, "asymmetric", "Min-max", "tensor") == (
        "**Laplace**: 100,000 values, quantized to **4 bits**, asymmetric (zero point), min-max "
        "range, per tensor."
    )
    assert text.data_line("w", (64, 1536), 1, "narrow", "MSE-optimal", "channel") == (
        "**w**: 98,304 values as a 64 × 1536 matrix, quantized to **1 bit**, symmetric, narrow "
        "range, mse-optimal range, per channel."
    )


def test_the_grid_formulas_are_one_block_with_this_grids_code_range(laplace_4bit):
    block = text.grid_formulas(laplace_4bit)
    assert block.count(r"\begin{aligned}") == 1  # typeset once
    assert r"\in [q_{min}, q_{max}] = [0, 15]" in block
    assert block.index("s &=") < block.index("z &=") < block.index("q &=")


def test_levels_value_counts_exactly():
    assert text.levels_value(16, 16) == "16 of 16"
    assert text.levels_value(665, 1_024) == "665 of 1,024"  # not "665 of 1.02k"
    assert text.levels_value(3_112, 4_096) == "3,112 of 4,096"  # not "3.11k of 4.1k"
    assert text.levels_value(19_154, 65_536) == "19,154 of 65,536"


def test_the_tradeoff_note_says_when_6_dB_per_bit_holds_and_what_clipping_costs():
    note = tradeoff.tradeoff_note([("ACIQ (Laplace)", 15.81), ("Min-max", 10.09)], 4)
    assert note.startswith(
        "Each extra bit halves the step and quarters the rounding noise: +6.02 dB. With levels "
        "at the ends of the range (2^b − 1 steps), data spread evenly over a range centred on 0 "
        "reaches 20·log10(2^b − 1) dB (the grey curve: 0 dB at 1 bit, 9.5 at 2, 23.5 at 4, "
        "48.1 at 8), which meets 6.02·b from about 6 bits."
    )
    assert (
        "A fixed clip (percentile, k sigma) helps at low bit widths but costs at high ones" in note
    )
    assert note.endswith("At **4 bits**: ACIQ (Laplace) 15.8 dB, Min-max 10.1 dB.")


def test_the_sweep_note_says_how_a_big_tensor_was_measured():
    assert tradeoff.sweep_note("exact", 100_000, 262_144) is None
    assert tradeoff.sweep_note("histogram", 11_720_448, 262_144) == (
        "This tensor has 11,720,448 values: for the curves each range is chosen on a sample "
        "of 262,144 of them (the smallest and largest included) and its error is measured "
        "on every value, through a fine histogram (within a few hundredths of a dB). The "
        "numbers at the top quantize every value."
    )
    assert tradeoff.sweep_note("sample", 11_720_448, 262_144) == (
        "This tensor has 11,720,448 values: the curves quantize about 262,144 of them, in "
        "whole rows. An estimate: where the clipping of a few rows dominates (high bit "
        "widths) it can be off by several dB. The numbers at the top quantize every value."
    )


def test_a_count_inside_a_chinese_card_is_counted_in_chinese():
    import numpy as np

    import quantviz as qv
    from quantviz_app import text
    from quantviz_app.i18n import Tr

    x = np.array([7.0, 1.0, -2.5, 0.2] + [0.0] * 28, np.float32)  # 7 saturates in MXFP4
    saturated = next(c for c in text.format_cards(qv.quantize(x, format="mxfp4"), t=Tr("zh"))
                     if c.key == "clipped")  # fmt: skip
    assert "1 个值" in saturated.help and "value" not in saturated.help


ARTICLE_NAMED = {
    "en": ("the article", "The Chinese blog article on quantization that this project grew from"),
    "zh": ("原文", "本项目缘起的那篇讲量化的中文博客文章（下称“原文”）"),
}


@pytest.mark.parametrize("lang", list(ARTICLE_NAMED))
def test_a_lesson_says_which_article_the_first_time_it_cites_it(lang):
    from quantviz_app.i18n import Tr
    from quantviz_app.lessonfile import lessons_in

    word, named = ARTICLE_NAMED[lang]
    citing = []
    for lesson in lessons_in(lang):
        texts = [
            " ".join((s.text + (s.question.prompt if s.question else "")).split())
            for s in lesson.steps
        ]  # as Markdown reads it: a line break is a space
        first = next((x for x in texts if word in x.lower() or named in x), None)
        if first is not None:
            citing.append(lesson.id)
            assert named in first, (lesson.id, first)  # named before (or as) its first mention
            assert first.index(named) <= first.lower().index(word), (lesson.id, first)
    assert sorted(citing) == ["choosing-bits", "normalization-and-dequantization",
                              "what-a-step-is"]  # fmt: skip
    assert named.lower() in worked.worked_intro(Tr(lang)).lower()  # its example: the values
