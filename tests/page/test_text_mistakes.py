"""The mistakes table's texts, for the article's values, against strings written by hand.

x = [1.2, 2.3, 3.4, 4.5, 5.6], range 4.4. At 2 bits: 4.4 / 2 = 2.2 against 4.4 / 3 =
1.46667 (1.5×); 4.4 / 4 = 1.1, top level 1.2 + 3 × 1.1 = 4.5; x / 1.1 = [1.09, 2.09,
3.09, 4.09, 5.09] → codes 1 … 5, two past 3. The worked example's grid: s = 5.6 / 3 =
1.86667, q = round(x / s) = [1, 1, 2, 2, 3], x̂ = [1.86667, 1.86667, 3.73333, 3.73333, 5.6].
"""

from __future__ import annotations

import numpy as np

from quantviz.mistakes import article_mistakes
from quantviz_app.views import worked

ARTICLE = [1.2, 2.3, 3.4, 4.5, 5.6]


def test_rows_at_2_bits():
    rows = worked.mistakes_rows(article_mistakes(ARTICLE, 2))
    assert len(rows) == 7 and all(len(r) == len(worked.MISTAKES_COLUMNS) for r in rows)
    assert rows[0][1:] == [
        "4.4 / 2 = 2.2",
        "range / (2^b − 1) = 4.4 / 3 = 1.46667",
        "1.5× too coarse",
    ]
    assert rows[1][1] == "4.4 / 4 = 1.1: top level 1.2 + 3 × 1.1 = 4.5"
    assert rows[1][3] == "one step (1.1) short of max 5.6: it needs code 4, past 3"
    assert rows[2][2] == "code q = 1, 1, 2, 2, 3; value x̂ = 1.86667, 1.86667, 3.73333, 3.73333, 5.6"
    assert rows[3][1] == "codes 1, 2, 3, 4, 5 (step 4.4 / 4 = 1.1)"
    assert rows[3][3] == "2 of 5 codes outside 0 … 3, as far as 5"


def test_one_bit_steps_agree_by_chance():
    rows = worked.mistakes_rows(article_mistakes(ARTICLE, 1))
    assert rows[0][3] == "the same at 1 bit only (2^1 − 1 = 1)"


def test_negative_codes_are_outside_too():
    # [−1, 1] at 3 bits: step 2 / 8 = 0.25, codes −4 and 4; asymmetric codes are 0 … 7.
    rows = worked.mistakes_rows(article_mistakes([-1.0, 1.0], 3))
    assert rows[3][3] == "1 of 2 codes outside 0 … 7, as far as −4"


def test_the_intro_names_the_range():
    assert worked.mistakes_intro(article_mistakes(ARTICLE, 3)) == (
        "What the article's formulas give on these values at b = 3, beside the right ones. "
        "Its range is max − min = 5.6 − 1.2 = 4.4, not widened to include 0: the steps and the "
        "normalization are compared on it; the codes q and values x̂ are the table's above."
    )


def test_listed_values_share_their_decimals():
    # float32 noise on a zero (3.4 − 1.2 in float32 over 4.4) reads as 0, not 5×10⁻⁸.
    assert worked._listed(np.array([-1.0, 5.4e-8, 1.0])) == "−1, 0, 1"
    assert worked._listed(np.array([0.0, 0.0])) == "0, 0"
