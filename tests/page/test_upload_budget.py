"""What uploads may take of the server, whatever students send (issue 22, items 2, 5, 6):
a place reserved before a file is read, bombs refused before they expand, one file per
session in Streamlit's upload manager."""

from __future__ import annotations

import io
import shutil
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npformat

from quantviz_app import data, sources, uploads
from tests import io_fixtures as fx
from tests.conftest import require_module
from tests.page.test_memory import FakeUpload

MB = 2**20
BUSY = (
    "The server holds as many uploaded files as its memory allows (8 at most); try again in a "
    "few minutes, or use the shipped MiniLM-L6 sample."
)


@pytest.fixture(autouse=True)
def nothing_held():
    for session in list(uploads._HELD):
        uploads.release(session)
    uploads._READING.clear()
    yield
    for session in list(uploads._HELD):
        uploads.release(session)
    uploads._READING.clear()


def state_with(payload: bytes, name: str, file_id: str) -> dict:
    return {"lang": "en", "upload": FakeUpload(payload, name, file_id)}


def test_the_limits():
    assert uploads.MAX_HELD == 8
    assert uploads.UPLOAD_BYTES == 1200 * MB
    assert uploads.FILE_BYTES == 600 * MB
    assert data.UPLOAD_MAX_VALUES == 32_000_000


# ---- item 5: the last place cannot be taken twice ------------------------------------------


def test_ten_students_uploading_at_once_never_pass_the_limit(monkeypatch):
    slow_read = data.read_upload

    def read(uploaded, **budget):
        time.sleep(0.3)  # everyone is reading at the same moment
        return slow_read(uploaded, **budget)

    monkeypatch.setattr(data, "read_upload", read)
    x = fx.npy_bytes(np.ones((4, 4), np.float32))
    states = [state_with(x, "w.npy", f"f{n}") for n in range(10)]
    said: dict[int, str | None] = {}

    def student(n: int) -> None:
        monkeypatch.setattr(uploads, "session_id", lambda state: f"s{id(state)}")
        said[n] = sources.take_upload(states[n])

    threads = [threading.Thread(target=student, args=(n,)) for n in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert uploads.held_count() == 8
    assert sorted(v or "" for v in said.values()) == [""] * 8 + [BUSY] * 2
    assert not uploads._READING  # every place is held or given back


def test_a_place_is_given_back_when_the_file_is_refused():
    bad = state_with(b"not a numpy file", "w.npy", "bad")
    message = str(sources.take_upload(bad))  # the reader's InputError
    assert message.startswith("w.npy is not a NumPy .npy file")
    assert uploads.held_count() == 0 and not uploads._READING and uploads.charged_bytes() == 0


def test_a_place_is_given_back_when_reading_fails_unexpectedly(monkeypatch):
    def broken(uploaded, budget=None):
        raise MemoryError

    monkeypatch.setattr(data, "read_upload", broken)
    with pytest.raises(MemoryError):
        sources.take_upload(state_with(b"x", "w.npy", "f1"))
    assert not uploads._READING and uploads.charged_bytes() == 0


def test_a_file_held_is_charged_its_tensors_and_its_store():
    x = np.random.default_rng(0).normal(size=(2000, 1000)).astype(np.float32)  # 8 MB
    state = state_with(fx.npy_bytes(x), "w.npy", "f1")
    assert sources.take_upload(state) is None
    # 8,000,000 bytes of values, and a store of 6 × 8 MB (at least 32 MB, at most 256 MB)
    assert uploads.charged_bytes() == 8_000_000 + 48_000_000
    assert sources.upload_store(state).max_bytes == 48_000_000


def test_past_the_byte_budget_an_upload_is_busy_not_bad(monkeypatch):
    monkeypatch.setattr(uploads, "UPLOAD_BYTES", 20 * MB)
    x = fx.npy_bytes(np.ones((1000, 1000), np.float32))  # 4 MB of values, 32 MB of store
    state = state_with(x, "w.npy", "f1")
    assert sources.take_upload(state) == BUSY
    assert "_bad_upload" not in state and uploads.charged_bytes() == 0
    monkeypatch.setattr(uploads, "UPLOAD_BYTES", 40 * MB)  # a minute later: it fits
    assert sources.take_upload(state) is None


# ---- item 2: bombs are refused before they expand ----------------------------------------


def npz_bomb(values: int) -> bytes:
    """A .npz of ``values`` float32 zeros, deflated, written a megabyte at a time."""
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("w.npy", "w", force_zip64=True) as member,
    ):
        npformat.write_array_header_1_0(
            member, {"descr": "<f4", "fortran_order": False, "shape": (values,)}
        )
        left = 4 * values
        while left:
            member.write(bytes(min(MB, left)))
            left -= min(MB, left)
    return buf.getvalue()


def pt_bomb(values: int) -> bytes:
    """A torch.save checkpoint of ``values`` float32 zeros with its entries deflated."""
    torch = require_module("torch", "torch.save writes the checkpoint")
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(fx.torch_bytes({"w": torch.zeros(values)})))
    with src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            with src.open(info) as a, dst.open(info.filename, "w", force_zip64=True) as b:
                shutil.copyfileobj(a, b, MB)
    return out.getvalue()


def peak_of_upload(payload: bytes, name: str) -> tuple[str | None, int]:
    """take_upload's sentence and the peak memory it allocated (tracemalloc)."""
    state = state_with(payload, name, "bomb")
    tracemalloc.start()
    try:
        refused = sources.take_upload(state)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (None if refused is None else str(refused)), peak


def test_the_npz_bomb_of_the_review_is_refused_in_little_memory():
    bomb = npz_bomb(99 * 10**6)  # 99 M float32 zeros: 396 MB in ~0.4 MB
    assert len(bomb) < 2 * MB
    message, peak = peak_of_upload(bomb, "bomb32.npz")
    assert message.startswith("bomb32.npz would expand to 377.7 MB when decompressed")
    assert peak < len(bomb) + 4 * MB, f"peak {peak / MB:.0f} MB"
    assert uploads.held_count() == 0 and uploads.charged_bytes() == 0


def test_a_pytorch_bomb_is_refused_in_little_memory():
    bomb = pt_bomb(12 * 10**6)  # 48 MB of zeros, deflated
    message, peak = peak_of_upload(bomb, "bomb.pt")
    assert message.startswith("bomb.pt would expand to 45.8 MB when decompressed, more than its")
    assert peak < len(bomb) + 4 * MB, f"peak {peak / MB:.0f} MB"


def test_a_file_over_the_pages_values_is_refused_before_it_is_decoded():
    # Within the ratio (stored, not compressed) but over what one upload may decode.
    announced = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.float32))
    announced["shape"] = (data.UPLOAD_MAX_VALUES + 1,)
    head = io.BytesIO()
    npformat.write_array_header_1_0(head, announced)
    message, peak = peak_of_upload(head.getvalue() + bytes(64), "huge.npy")
    assert message == (
        "huge.npy holds 32,000,001 values, more than the 32,000,000 quantviz reads from one file."
    )
    assert peak < 2 * MB


def test_a_legitimate_upload_peaks_near_what_it_holds():
    x = np.random.default_rng(1).normal(size=(4000, 1000)).astype(np.float32)  # 16 MB
    payload = fx.safetensors_numpy_bytes({"w": x})
    message, peak = peak_of_upload(payload, "w.safetensors")
    assert message is None
    assert peak < 2 * x.nbytes + 2 * MB, f"peak {peak / MB:.0f} MB for 16 MB of values"


# ---- item 6: one file per session in Streamlit's upload manager ---------------------------


@pytest.fixture
def manager(monkeypatch):
    """Streamlit's in-memory upload manager, as the running server holds it, once guarded."""
    from streamlit import runtime
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    held = MemoryUploadedFileManager("/_stcore/upload_file")
    server = type("Runtime", (), {"uploaded_file_mgr": held})()
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: server)
    uploads.guard_files()
    uploads.guard_files()  # once is enough, twice changes nothing
    return held


def rec(file_id: str, size: int):
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    return UploadedFileRec(file_id, "w.npy", "application/octet-stream", bytes(size))


def test_a_replayed_upload_request_replaces_the_sessions_file(manager):
    for n in range(8):  # the browser's PUT, replayed with new file ids
        manager.add_file("s1", rec(f"f{n}", MB))
    assert list(manager.file_storage["s1"]) == ["f7"]  # the newest only
    assert manager.get_files("s1", ["f7"])[0].file_id == "f7"
    assert manager._total_bytes == MB and manager._file_count == 1
    manager.remove_file("s1", "f7")
    assert manager._total_bytes == 0 and manager._file_count == 0


def test_past_the_servers_file_bytes_an_upload_request_is_refused(manager, monkeypatch):
    from starlette.exceptions import HTTPException

    monkeypatch.setattr(uploads, "FILE_BYTES", 3 * MB)
    for session in ("s1", "s2", "s3"):
        manager.add_file(session, rec("f", MB))
    with pytest.raises(HTTPException) as err:
        manager.add_file("s4", rec("f", MB))
    assert err.value.status_code == 413
    manager.add_file("s3", rec("g", MB))  # a session replacing its own file still may
    assert manager._total_bytes == 3 * MB
