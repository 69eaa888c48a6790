"""Tests of quantviz.io, CSV and text files.

Files are written at test time by each format's own library (tests/io_fixtures.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from quantviz.io import (
    load_weights,
)
from tests import io_fixtures as fx
from tests.library.io.helpers import float32_exact, refused

# ----------------------------------------------------------------------------------------
# CSV / text
# ----------------------------------------------------------------------------------------


def test_csv_round_trip_2d():
    arr = float32_exact(5, 3)
    got = load_weights(fx.csv_bytes(arr), "table.csv")["table"]
    assert got.dtype == np.float32 and got.shape == (5, 3)
    np.testing.assert_array_equal(got, arr.astype(np.float32))


def test_txt_whitespace_round_trip():
    arr = float32_exact(4, 6)
    got = load_weights(fx.csv_bytes(arr, delimiter=" "), "w.txt")["w"]
    np.testing.assert_array_equal(got, arr.astype(np.float32))


@pytest.mark.parametrize("shape", [(7, 1), (1, 7)], ids=["column", "row"])
def test_csv_single_column_or_row_is_1d(shape):
    arr = float32_exact(*shape)
    got = load_weights(fx.csv_bytes(arr), "v.csv")["v"]
    assert got.shape == (7,)
    np.testing.assert_array_equal(got, arr.ravel().astype(np.float32))


def test_csv_header_and_comments_are_skipped():
    text = b"w0,w1\n# a comment\n\n1.5, -2\n3,4e-3\n"
    got = load_weights(text, "h.csv")["h"]
    np.testing.assert_array_equal(got, np.array([[1.5, -2], [3, 4e-3]], np.float32))


def test_csv_header_written_by_savetxt():
    arr = float32_exact(3, 2)
    got = load_weights(fx.csv_bytes(arr, header="a,b"), "t.csv")["t"]
    np.testing.assert_array_equal(got, arr.astype(np.float32))


def test_csv_nan_is_read_as_nan():
    got = load_weights(b"1,nan\ninf,2\n", "n.csv")["n"]
    assert np.isnan(got[0, 1]) and np.isinf(got[1, 0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"1,2\n3,abc\n", "'abc' at line 2, column 2"),
        (b"a,b\n1,2\n3,x\n", "'x' at line 3, column 2"),
        (b"1,2,\n", "empty cell at line 1, column 3"),
        (b"1 2\n3 4 5\n", "line 2 has 3 values"),
        (b"", "is empty"),
        (b"\n\n# only a comment\n", "no numbers"),
        (b"just,a,header\n", "header line but no numbers"),
        (b"1,2\x00,3\n", "binary"),
        (b"\xff\xfe1,2\n", "not UTF-8"),
    ],
)
def test_csv_problems_are_explained(text, match):
    refused(text, "bad.csv", match)


def test_csv_line_cap(monkeypatch):
    from quantviz.io import text_files

    monkeypatch.setattr(text_files, "MAX_TEXT_LINES", 10)
    refused(b"1\n" * 20, "long.txt", "more than 10 lines")


def test_csv_element_cap():
    refused(b"1,2,3\n" * 10, "big.csv", "more than the 29", max_elements=29)
