"""Typed numbers: read, or one sentence saying what is wrong (in English here; the
Chinese page says it in Chinese, tests/page/test_i18n.py)."""

import numpy as np
import pytest

from quantviz_app.typed import Mistyped, parse_values


@pytest.mark.parametrize(
    "text, expected",
    [("1.2, 2.3, 3.4", [1.2, 2.3, 3.4]), ("1 2;3", [1, 2, 3]), (" -0.5 ,1e3 ", [-0.5, 1000])],
)
def test_parse_values(text, expected):
    np.testing.assert_allclose(parse_values(text), expected, rtol=1e-7)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Type a few numbers, separated by commas (for example 1.2, 2.3, 3.4)."),
        ("1, two, 3", "'two' is not a number."),
        ("1, nan", "'nan' is not a finite float32 number."),
        ("1e39", "'1e39' is not a finite float32 number."),
        (",".join(["1"] * 17), "A worked example takes up to 16 values; 17 were given."),
    ],
)
def test_parse_values_says_what_is_wrong(text, message):
    with pytest.raises(Mistyped) as err:
        parse_values(text)
    assert str(err.value) == message
