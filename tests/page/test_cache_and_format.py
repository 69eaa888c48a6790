"""The page's small tools: the bounded cache, and numbers as a student reads them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from quantviz_app.cache import Store, size_of
from quantviz_app.format import count, db, md_escape, num, operand_digits, percent, tex

# ------------------------------------------------------------------ cache --


def test_the_store_forgets_the_least_recently_used_past_its_size():
    store = Store(max_bytes=3 * 8_000 + 500)
    for k in "abc":
        store.get(k, lambda: np.zeros(1000))  # 8,000 bytes each
    store.get("a", lambda: None)  # "a" used again: "b" is now the oldest
    store.get("d", lambda: np.zeros(1000))
    assert "b" not in store and {"a", "c", "d"} <= {k for k in "abcd" if k in store}
    assert store.bytes <= store.max_bytes


def test_the_store_computes_a_key_once_while_many_ask():
    store, calls = Store(10**6), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return 42

    threads = [threading.Thread(target=store.get, args=("k", slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and store.get("k", lambda: 0) == 42


def test_a_failed_computation_stores_nothing():
    store = Store(10**6)
    with pytest.raises(ZeroDivisionError):
        store.get("k", lambda: 1 / 0)
    assert "k" not in store and store.get("k", lambda: 5) == 5


def test_size_of_counts_arrays_inside_containers():
    assert size_of({"a": np.zeros(100), "b": (np.zeros(50, np.float32),)}) >= 800 + 200


# ------------------------------------------------------------------ format --


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.097705, 3, "0.0977"), (1.1229, 4, "1.123"), (-8.3948, 4, "−8.395"),
        (1.2346e-5, 4, "1.235×10⁻⁵"), (9.99996e-5, 4, "0.0001"), (9.99996e-6, 4, "1×10⁻⁵"),
        (123456.0, 4, "123456"),
        (2.5e7, 3, "2.5×10⁷"), (float("inf"), 4, "∞"), (0.0, 4, "0"),
    ],
)  # fmt: skip
def test_num(value, digits, text):
    assert num(value, digits) == text


def test_tex_typesets_powers_of_ten():
    assert tex(1.2346e-5) == r"1.235 \times 10^{-5}"
    assert tex(-3.0) == "-3" and tex(float("inf")) == r"\infty"


def test_db_percent_count():
    assert db(10.094) == "10.1 dB" and db(-3.04) == "−3.0 dB" and db(float("inf")) == "∞ dB"
    assert percent(0) == "0 %" and percent(0.0077) == "0.77 %" and percent(0.1234) == "12.3 %"
    assert count(1, "value") == "1 value" and count(75, "value") == "75 values"
    assert count(1234, "value") == "1,234 values"


def test_operand_digits_makes_the_shown_arithmetic_come_out():
    # (h − ℓ)/15 with h = 1.00049, ℓ = −1.00049: at 4 digits the shown operands
    # (1 − (−1))/15 = 0.1333 but the true result shows as 0.1334: one more digit.
    lo, hi = -1.00049, 1.00049
    assert num((hi - lo) / 15) == "0.1334"
    d = operand_digits(lambda a, b: (b - a) / 15, [lo, hi])
    assert d == 5
    assert num((float(f"{hi:.5g}") - float(f"{lo:.5g}")) / 15) == "0.1334"


def test_md_escape_shows_a_file_name_literally():
    assert md_escape("a_b*[x](y)$z") == r"a\_b\*\[x\]\(y\)\$z"


def test_a_slow_first_computation_says_what_it_does_and_a_kept_one_does_not(monkeypatch):
    import contextlib

    from quantviz_app import data as data_module

    said = []

    @contextlib.contextmanager
    def spinner(text):
        said.append(text)
        yield

    monkeypatch.setattr(data_module.st, "spinner", spinner)
    d = data_module.Data(("test", 1), np.zeros(4, np.float32), "x", None, 0, Store(2**20))
    assert d.memo("sweep", compute=lambda: 1, busy="Measuring…") == 1
    assert d.memo("sweep", compute=lambda: 2, busy="Measuring…") == 1  # kept: no spinner
    assert said == ["Measuring…"]
