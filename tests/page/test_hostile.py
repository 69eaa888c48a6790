"""A student, a link or a file that tries to break the page gets one sentence, and the rest of
the page opens (issue 22: endless reruns, error pages, Markdown from links and files).

Expected sentences are written out by hand; what a student reads of a Markdown sentence is
its text with the page's escapes undone (``unescape``).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from quantviz_app import widgets
from quantviz_app.format import md_escape
from quantviz_app.rooms import channels
from quantviz_app.views import lesson
from tests import io_fixtures as fx
from tests.conftest import unescape

MIME = "application/octet-stream"


def run(at: AppTest, timeout: float = 60) -> AppTest:
    at.run(timeout=timeout)  # an endless rerun is a timeout here (RuntimeError)
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, MIME))
    return run(at)


def matrix(seed: int = 0, shape: tuple[int, int] = (8, 16)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# ---- item 1: no endless rerun -------------------------------------------------------------


@pytest.mark.parametrize("length", [501, 1024])
def test_a_tensor_name_of_any_length_the_readers_take_is_shown(small_app, length):
    name = "layer." + "a" * (length - 6)
    at = upload(small_app, "long.safetensors", fx.safetensors_numpy_bytes({name: matrix()}))
    assert at.radio(key="source").value == "file"
    assert at.selectbox(key="file_tensor").value == name
    assert not at.error
    at.slider(key="bits").set_value(3)  # a move of the lesson: still no rerun without end
    run(at, timeout=30)
    assert at.slider(key="bits").value == 3


def test_a_longer_tensor_name_is_refused_with_one_sentence(small_app):
    name = "b" * 1025
    at = upload(small_app, "longer.safetensors", fx.safetensors_numpy_bytes({name: matrix()}))
    assert [unescape(e.value) for e in at.error] == [
        "longer.safetensors has a tensor name of 1,025 characters, longer than the 1,024 "
        "quantviz reads."
    ]
    assert at.radio(key="source").value == "synthetic"


def _mismatching(monkeypatch, change) -> None:
    """The lesson reads settings that differ from the full run's (as a value the session
    cannot hold did): ``change(settings)`` is what the lesson sees."""
    monkeypatch.setattr(lesson, "widgets", SimpleNamespace(
        read=lambda state: change(widgets.read(state)), write=widgets.write))  # fmt: skip


def test_a_mismatch_a_full_run_cannot_settle_is_drawn_not_rerun_for_ever(small_app, monkeypatch):
    _mismatching(monkeypatch, lambda s: s.replace(seed=12345))
    at = run(small_app, timeout=30)
    assert at.slider(key="bits").value == 4 and at.metric  # the lesson is drawn
    at.slider(key="bits").set_value(5)
    run(at, timeout=30)
    assert at.slider(key="bits").value == 5


def test_a_mismatch_that_changes_every_run_cannot_loop_either(small_app, monkeypatch):
    seen: list[int] = []  # one entry per lesson drawn

    def change(s):
        seen.append(len(seen))
        return s.replace(seed=100 + len(seen))

    _mismatching(monkeypatch, change)
    at = run(small_app, timeout=30)
    assert at.metric and len(seen) == 2  # the run, and the one full run it asked for
    at.slider(key="bits").set_value(6)
    run(at, timeout=30)
    assert at.slider(key="bits").value == 6 and len(seen) == 4


# ---- item 7: a sentence instead of an error page -------------------------------------------


def test_a_layer_with_more_rows_than_values_opens_with_more_values(open_app):
    at = open_app(dist="layer", rows="1024", n="1000")
    assert [unescape(w.value) for w in at.warning] == [
        "1,024 rows need at least 1,024 values, one per row; showing 10,000 values instead "
        "of 1,000."
    ]
    assert at.select_slider(key="n").value == 10_000
    assert at.main.markdown[0].value.startswith("**Linear layer (uneven rows)**: 9,216 values")
    at.select_slider(key="n").set_value(1000)  # the sidebar asks again: the same sentence
    run(at)
    assert at.select_slider(key="n").value == 10_000 and len(at.warning) == 1


def test_in_chinese_too(open_app):
    at = open_app(lang="zh", dist="layer", rows="1024", n="1000")
    assert [unescape(w.value) for w in at.warning] == [
        "1,024 行至少需要 1,024 个值，每行一个；因此显示 10,000 个值，而不是 1,000 个。"
    ]


def test_the_channels_room_says_when_a_tensor_is_too_big_for_it(open_app, monkeypatch):
    monkeypatch.setattr(channels, "MAX_VALUES", 10_000)  # the layer: 64 rows × 1,536
    at = open_app(dist="layer", n="100000", room="Channels")
    assert [unescape(i.value) for i in at.info if "Channels room" in i.value] == [
        "This tensor holds 98,304 values; the Channels room compares two grids on tensors of "
        "up to 10,000 values (each grid keeps a quantized copy of every value). Choose a "
        "smaller tensor, or see every layer's numbers in the Whole model room."
    ]
    assert at.slider(key="bits").value == 4 and at.metric  # the rest of the page is there


def test_a_file_of_nan_and_inf_is_refused_and_the_uploader_stays(small_app):
    at = upload(small_app, "allnan.csv", b"nan,nan\ninf,-inf\nnan,1e400\n")
    assert [unescape(e.value) for e in at.error] == [
        "allnan.csv holds no finite value to quantize: every value of its floating-point "
        "tensors is NaN or infinite (a training run that diverged?)."
    ]
    assert at.radio(key="source").value == "synthetic" and at.metric  # the page is there
    at.file_uploader(key="upload").clear()  # and the student can remove the file
    run(at)
    assert not at.error


def test_a_diverged_largest_tensor_gives_way_to_a_finite_one(small_app):
    diverged = np.full((64, 64), np.nan, np.float32)
    diverged[::2] = np.inf
    small = matrix(3, (8, 8))
    at = upload(small_app, "diverged.npz", fx.npz_bytes({"big": diverged, "small": small}))
    assert [unescape(w.value) for w in at.warning] == [
        "big holds no finite value (its 4,096 values are NaN or infinite); showing small."
    ]
    assert at.selectbox(key="file_tensor").value == "small"
    at.selectbox(key="file_tensor").set_value("big")  # chosen by hand: the same sentence
    run(at)
    assert at.selectbox(key="file_tensor").value == "small" and len(at.warning) == 1


# ---- item 8: what a link or a file says is shown, never rendered ----------------------------

IMAGE = "![](http://evil.example/x.png)"
PHISH = "[Your session expired, log in](http://evil.example/login)"
BARE = "http://evil.example/login"


def no_markup(value: str) -> None:
    """No link, image or autolink survives in a Markdown source: the brackets, the bang and
    the scheme's colon of anything a link carried are escaped."""
    assert "](" not in value and "![" not in value, value
    assert not re.search(r"(?<!\\)https?://", value), value


def shown(at: AppTest) -> list[str]:
    """Every Markdown source the page shows in boxes, text and captions."""
    boxes = [*at.warning, *at.error, *at.info, *at.success, *at.markdown, *at.caption]
    return [b.value for b in boxes]


@pytest.mark.parametrize("said", [IMAGE, PHISH, BARE], ids=["image", "phishing", "bare"])
@pytest.mark.parametrize(
    "query",
    [{"bits": "{}"}, {"preset": "{}"}, {"hide": "{}"}, {"source": "sample", "tensor": "{}"},
     {"source": "model", "layer": "{}"}, {"lesson": "worked-example", "values": "{}"},
     {"dist": "{}"}, {"scheme": "{}"}],
    ids=["bits", "preset", "hide", "tensor", "layer", "values", "dist", "scheme"],
)  # fmt: skip
def test_a_links_values_are_shown_as_text(open_app, query, said):
    at = open_app(**{k: v.format(said) for k, v in query.items()})
    texts = shown(at)
    for value in texts:
        no_markup(value)
    assert any(f"'{said[:5]}" in unescape(v) for v in texts), texts  # quoted, literally


def test_names_inside_an_upload_error_are_shown_as_text(small_app):
    # A name the reader quotes in its sentence: the tensor's, and the file's own.
    name = "[Your session expired, log in](http://evil.example/login)"
    data = fx.safetensors_numpy_bytes({name: np.zeros((2, 2), np.complex64)})
    at = upload(small_app, "![](http:evil.example).safetensors", data)
    (error,) = at.error
    no_markup(error.value)
    assert unescape(error.value) == (
        "![](http:evil.example).safetensors contains no tensor quantviz can read: skipped "
        "[Your session expired, log in](http://evil.example/login) (complex numbers cannot be "
        "quantized)."
    )


def test_bare_addresses_get_an_invisible_word_joiner_and_names_nothing():
    # GFM links bare addresses after parsing, so escaping is not enough (tests/e2e checks
    # the rendered page): a word joiner (U+2060) goes where the link would start.
    assert md_escape("http://evil.example/x") == "http\\:\u2060//evil\\.example/x"
    assert md_escape("www.evil.example") == "www\u2060\\.evil\\.example"
    assert md_escape("me@evil.example") == "me@\u2060evil\\.example"
    assert md_escape("layer.http_proj.weight:0") == "layer\\.http\\_proj\\.weight\\:0"
