"""InputError: one English sentence for API users, plus a kind and fields a page can say
in another language; every kind the library raises is in the Chinese catalogue."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import quantviz as qv
from quantviz.worked import worked_example


def test_the_sentence_is_unchanged_and_the_kind_rides_along():
    with pytest.raises(qv.InputError) as err:
        qv.quantize(np.array([1.0, np.nan, np.inf, 2.0], np.float32), 4)
    e = err.value
    assert str(e) == (
        "x contains 1 NaN and 1 infinite values out of 4; quantization needs finite numbers "
        "(qv.finite_values(x) drops them)."
    )
    assert e.kind == "nonfinite"
    assert dict(e.fields) == {"name": "x", "nan": 1, "inf": 1, "n": 4}
    assert isinstance(e, ValueError)


def test_an_error_without_a_kind_is_still_an_input_error():
    e = qv.InputError("plain")
    assert (str(e), e.kind, dict(e.fields), e.args) == ("plain", "", {}, ("plain",))


def test_an_input_error_pickles_with_its_kind():
    e = qv.InputError("A worked example takes 1 to 16 values, not 17.",
                      kind="worked_values", fields={"most": 16, "n": 17})  # fmt: skip
    back = pickle.loads(pickle.dumps(e))
    assert (type(back), str(back), back.kind, dict(back.fields)) == (
        qv.InputError, str(e), "worked_values", {"most": 16, "n": 17})  # fmt: skip


@pytest.mark.parametrize(
    ("call", "kind", "fields"),
    [
        (lambda: worked_example(list(range(17)), 3), "worked_values", {"most": 16, "n": 17}),
        (lambda: qv.quantize([1.0, 2.0], 17), "bits", {"most": 16, "bits": "17"}),
        (lambda: qv.quantize(np.array([-3e38, 3e38], np.float32), 1), "range_too_wide",
         {"low": pytest.approx(-3e38, rel=1e-6), "high": pytest.approx(3e38, rel=1e-6),
          "bits": 1, "float32_max": pytest.approx(3.4028235e38)}),
        (lambda: qv.quantize(np.zeros((4, 30), np.float32), format="mxfp4"), "format_blocks",
         {"format": "mxfp4", "block": 32, "last": 30}),
    ],
)  # fmt: skip
def test_each_kind_carries_the_values_of_its_sentence(call, kind, fields):
    with pytest.raises(qv.InputError) as err:
        call()
    assert err.value.kind == kind
    assert dict(err.value.fields) == fields


def test_an_unsupported_file_says_which_extension():
    with pytest.raises(qv.InputError) as err:
        qv.load_weights(b"abc", "weights.exe")
    assert err.value.kind == "file_extension"
    assert err.value.fields["ext"] == "exe" and err.value.fields["name"] == "weights.exe"
    assert ".safetensors" in err.value.fields["known"]
