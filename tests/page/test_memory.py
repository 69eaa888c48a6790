"""The server's memory stays bounded: every cache has a bound, and an upload goes when its
session goes (README, deployment: the memory cap)."""

from __future__ import annotations

import gc
import io
import weakref

import numpy as np
import pytest

from quantviz.io import LoadedWeights
from quantviz_app import data, sources, uploads
from quantviz_app.cache import Store
from quantviz_app.data import SAMPLE_FILE

MB = 2**20


@pytest.fixture(autouse=True)
def no_uploads_held():
    for session in list(uploads._HELD):
        uploads.release(session)
    yield
    for session in list(uploads._HELD):
        uploads.release(session)


class FakeUpload(io.BytesIO):
    """What ``st.file_uploader`` returns: a BytesIO with a name, a size and a file id."""

    def __init__(self, payload: bytes, name: str, file_id: str) -> None:
        super().__init__(payload)
        self.name, self.size, self.file_id = name, len(payload), file_id


def held_upload(session: str, values: int = 1_000_000) -> uploads.Held:
    x = np.ones((values // 1000, 1000), np.float32)
    weights = LoadedWeights("w.npy", "npy", {"w": x})
    held = uploads.Held(session, f"file-{session}", weights, Store(data.SESSION_BYTES),
                        FakeUpload(b"\0" * 1000, "w.npy", f"file-{session}"))  # fmt: skip
    uploads.hold(held)
    return held


def test_the_caches_have_the_bounds_the_readme_states():
    # README, deployment: results of synthetic and shipped tensors, all sessions together,
    # and of one upload; uploads held at once; how long an upload outlives its browser.
    assert data.SHARED_BYTES == 512 * MB
    assert data.SESSION_BYTES == 256 * MB
    assert uploads.MAX_HELD == 8
    assert uploads.GRACE_S == 20


def test_a_store_stays_within_its_bound_however_many_results_come():
    store = Store(max_bytes=10 * MB)
    for k in range(50):
        store.get(("x", k), lambda: np.zeros(MB // 8))  # 1 MB each
    assert store.bytes <= 10 * MB
    assert len(store) == 9  # 9 results of 1 MB + their headers fit in 10 MB
    assert ("x", 49) in store and ("x", 0) not in store


def test_an_upload_is_released_once_its_session_has_had_no_browser_for_the_grace():
    held = held_upload("gone")
    held.store.get("r", lambda: np.zeros(1000))
    tensor = weakref.ref(held.weights.tensors["w"])
    upload = held.uploaded

    assert uploads.sweep(now=1000.0, connected=lambda s: False) == []  # noted, not yet
    assert uploads.sweep(now=1000.0 + 19, connected=lambda s: False) == []
    assert uploads.sweep(now=1000.0 + 20, connected=lambda s: False) == ["gone"]

    assert "gone" not in uploads._HELD and uploads.held_count() == 0
    assert len(held.store) == 0 and upload.closed
    del held
    gc.collect()
    assert tensor() is None  # nothing keeps the tensor alive


def test_a_browser_that_comes_back_within_the_grace_keeps_its_upload():
    held_upload("blip")
    assert uploads.sweep(now=0.0, connected=lambda s: False) == []
    assert uploads.sweep(now=15.0, connected=lambda s: True) == []  # reconnected
    assert uploads.sweep(now=30.0, connected=lambda s: False) == []  # gone again: a new wait
    assert uploads.sweep(now=49.0, connected=lambda s: False) == []
    assert uploads.sweep(now=50.0, connected=lambda s: False) == ["blip"]


def test_an_upload_is_read_once_held_for_its_session_and_let_go_when_the_uploader_empties():
    state = {"lang": "en"}
    state["upload"] = FakeUpload(SAMPLE_FILE.read_bytes(), "sample.safetensors", "f1")
    assert sources.take_upload(state) is None
    file_id, weights = sources.uploaded(state)
    assert file_id == "f1" and state["source"] == "file"
    assert len(weights.tensors) == 6  # assets/README.md: six tensors
    assert uploads.held_count() == 1
    tensor = weakref.ref(weights.tensors[state["file_tensor"]])

    del weights
    state["upload"] = None
    assert sources.take_upload(state) is None
    assert sources.uploaded(state) is None and state["source"] == "synthetic"
    assert uploads.held_count() == 0
    gc.collect()
    assert tensor() is None


def test_past_the_limit_a_new_upload_is_refused_with_a_sentence_and_nothing_is_read():
    for n in range(uploads.MAX_HELD):
        held_upload(f"s{n}", values=1000)
    state = {"lang": "en", "upload": FakeUpload(b"not read", "w.npy", "f9")}
    message = sources.take_upload(state)
    assert message == (
        "The server holds as many uploaded files as its memory allows (8 at most); try again "
        "in a few minutes, or use the shipped MiniLM-L6 sample."
    )
    assert sources.uploaded(state) is None and "_bad_upload" not in state
    assert uploads.held_count() == 8


def test_once_no_browser_has_been_connected_for_the_grace_the_shared_results_go(monkeypatch):
    from streamlit import runtime
    from streamlit.runtime.runtime import RuntimeState

    class Server:
        state = RuntimeState.NO_SESSIONS_CONNECTED

    server, store = Server(), Store(MB)
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: server)
    monkeypatch.setattr(data, "shared_store", lambda: store)
    monkeypatch.setattr(uploads, "_NOBODY_SINCE", [])
    store.get("r", lambda: np.zeros(10))

    uploads.sweep(now=100.0)  # nobody: noted
    server.state = RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED
    uploads.sweep(now=110.0)  # a student came: the wait starts again
    server.state = RuntimeState.NO_SESSIONS_CONNECTED
    uploads.sweep(now=115.0)
    uploads.sweep(now=134.0)
    assert len(store) == 1
    uploads.sweep(now=135.0)
    assert len(store) == 0
