"""How long an upload lives: held for its session only, and let go when its browser is gone.

An upload is held here, not in the session state, keyed by the session's id: the file's
tensors (:class:`~quantviz.io.LoadedWeights`) and the :class:`~quantviz_app.cache.Store`
of what was computed from them. Streamlit keeps a closed tab's session (and the file's
bytes) for a while in case the browser reconnects, and frees it only when that session
is garbage collected; the server's memory should not wait for that. So a janitor thread
looks every :data:`SWEEP_EVERY_S` seconds, and the upload of a session that has had no
browser for :data:`GRACE_S` seconds is released: its results, its tensors, and the
bytes Streamlit holds for it. When no browser at all has been connected for ``GRACE_S``
(the class has left), the janitor also empties the shared store.

The memory uploads take is bounded whatever students send:

* what uploads decode and compute: a file is read only after it has a place
  (:func:`reserve`: one of :data:`MAX_HELD` uploads, and bytes of :data:`UPLOAD_BYTES`,
  taken atomically), and its place grows with the values the reader announces *before*
  decoding them (the readers' ``budget``), so a zip bomb is refused before it expands;
  past either bound a new upload gets one sentence. A held upload is charged its tensors
  and its results' store bound;
* the files as uploaded, which Streamlit keeps in memory for their session: one per
  session (the newest; a replayed upload request replaces it) and :data:`FILE_BYTES` in
  all (:func:`guard_files`); past that the upload request is refused (HTTP 413).

Measured (docs/BENCHMARKS.md, the class load test): a 90 MB checkpoint holds 0.4-0.55 GB
while it lives; one replica with three of them stays under 3 GB.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quantviz.errors import InputError
from quantviz.io import LoadedWeights
from quantviz_app import data
from quantviz_app.cache import Store

GRACE_S = 20.0  # an upload outlives its session's browser this long (time to reconnect)
SWEEP_EVERY_S = 2.0  # how often the janitor looks (a scan of a few entries)
MAX_HELD = 8  # uploads held (or being read) at once, all sessions together
UPLOAD_BYTES = 1200 * 2**20  # what they decode and compute (tensors + results' stores), in all
FILE_BYTES = 600 * 2**20  # files as uploaded, kept by Streamlit for their sessions, in all
VALUE_BYTES = 4  # a value as the page holds it (float32)


class Busy(InputError):
    """No place for one more upload now (not the file's fault: it may fit in a minute)."""


@dataclass(eq=False)
class Held:
    """An upload held for one session: the file's tensors and the results' store.

    ``charge``: the bytes it counts against :data:`UPLOAD_BYTES` (its tensors and its
    store's bound)."""

    session: str
    file_id: str
    weights: LoadedWeights
    store: Store
    uploaded: Any  # Streamlit's UploadedFile (a BytesIO over the file's bytes)
    gone_since: float | None = None  # when its session was first seen without a browser
    charge: int = 0


_HELD: dict[str, Held] = {}  # session id → its upload
_READING: dict[int, Reservation] = {}  # places taken by files being read (id → place)
_LOCK = threading.Lock()
_JANITOR: list[threading.Thread] = []


def session_id(state: Any) -> str:
    """This run's session id (a plain mapping outside Streamlit: one id per mapping)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else f"state-{id(state)}"


def held_by(session: str) -> Held | None:
    """What ``session`` holds, if anything."""
    return _HELD.get(session)


def _taken() -> tuple[int, int]:
    """Places and bytes taken now: held uploads and files being read (under ``_LOCK``)."""
    places = len(_HELD) + len(_READING)
    charged = sum(h.charge for h in _HELD.values()) + sum(r.bytes for r in _READING.values())
    return places, charged


class Reservation:
    """A place for one upload, taken before its file is read: one of :data:`MAX_HELD`, and
    ``bytes`` of :data:`UPLOAD_BYTES`, grown as the reader announces what it will decode.

    Use it as a context manager: unless :meth:`hold` kept the upload, leaving the block
    (a refused file, an error) gives the place back.
    """

    def __init__(self, session: str, nbytes: int) -> None:
        self.session = session
        self.bytes = nbytes

    def grow_to(self, nbytes: int) -> None:
        """Take ``nbytes`` in all (never less than taken); :class:`Busy` if they do not fit."""
        with _LOCK:
            if nbytes <= self.bytes:
                return
            _, charged = _taken()
            if charged - self.bytes + nbytes > UPLOAD_BYTES:
                raise Busy("No memory is free for one more upload now.")
            self.bytes = nbytes

    def values(self, total: int) -> None:
        """The readers' ``budget``: the file will hold ``total`` values (before decoding)."""
        self.grow_to(total * VALUE_BYTES)

    def hold(self, held: Held) -> None:
        """Keep ``held`` for its session in this place, charged ``held.charge`` bytes (grown
        to first)."""
        _keep(held, self)

    def release(self) -> None:
        """Give the place back (nothing if the upload is held)."""
        with _LOCK:
            _READING.pop(id(self), None)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def reserve(session: str, nbytes: int = 0) -> Reservation | None:
    """Take a place for an upload of ``session`` (and ``nbytes``), or None when
    :data:`MAX_HELD` uploads are held or being read, or the bytes do not fit. The check and
    the taking are one step: two students cannot take the last place."""
    with _LOCK:
        places, charged = _taken()
        if places >= MAX_HELD or charged + nbytes > UPLOAD_BYTES:
            return None
        place = Reservation(session, nbytes)
        _READING[id(place)] = place
        return place


def hold(held: Held) -> None:
    """Keep ``held`` for its session without a reservation (replacing what it held)."""
    _keep(held)


def _keep(held: Held, place: Reservation | None = None) -> None:
    """``held`` becomes its session's upload, in ``place`` if given (one step: the place is
    never free in between)."""
    with _LOCK:
        if place is not None:
            _READING.pop(id(place), None)
        previous = _HELD.pop(held.session, None)
        _HELD[held.session] = held
    if previous is not None and previous is not held:
        _free(previous)
    start_janitor()


def release(session: str) -> bool:
    """Let go of the upload held for ``session`` (True if there was one)."""
    with _LOCK:
        held = _HELD.pop(session, None)
    if held is not None:
        _free(held)
    return held is not None


def held_count() -> int:
    """How many uploads are held now, all sessions together."""
    return len(_HELD)


def charged_bytes() -> int:
    """Bytes of :data:`UPLOAD_BYTES` taken now (held uploads and files being read)."""
    with _LOCK:
        return _taken()[1]


def _free(held: Held) -> None:
    """Drop what ``held`` keeps alive: its results, its tensors, the file's bytes."""
    held.store.clear()
    held.weights = LoadedWeights(held.weights.filename, held.weights.format)
    close = getattr(held.uploaded, "close", None)
    if callable(close):
        close()  # a closed BytesIO lets go of its buffer, even if its session lives on
    held.uploaded = None


def _browser_connected(session: str) -> bool:
    """Whether Streamlit has a browser on ``session`` now (True outside a Streamlit server)."""
    from streamlit import runtime

    if not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session)


def _end_session(session: str) -> None:
    """Have Streamlit end a session that has had no browser for ``GRACE_S``.

    Streamlit keeps such a session for ``server.disconnectedSessionTTL`` (120 s) and frees
    it only when the garbage collector gets to it; until then its fragments keep the
    tensor they drew and its upload manager the file's bytes. ``Runtime.close_session``
    ends it, on the runtime's event loop as it requires (reaching that loop is not public
    API: if it fails, only the upload manager's bytes are dropped, and the rest waits for
    Streamlit). A browser that came back meanwhile keeps its session.
    """
    from streamlit import runtime

    if not runtime.exists():
        return
    rt = runtime.get_instance()
    try:
        loop = rt._get_async_objs().eventloop  # private: no public way to reach it
    except (AttributeError, RuntimeError):
        rt.uploaded_file_mgr.remove_session_files(session)
        return

    async def close() -> None:
        if not rt.is_active_session(session):
            rt.close_session(session)

    asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)


def sweep(now: float | None = None,
          connected: Callable[[str], bool] = _browser_connected) -> list[str]:  # fmt: skip
    """Release the uploads of sessions without a browser for ``GRACE_S``; their ids.

    A session seen without a browser is noted; one that gets its browser back keeps
    its upload; one still without it ``GRACE_S`` later loses it.
    """
    now = time.monotonic() if now is None else now
    released = []
    with _LOCK:
        for held in list(_HELD.values()):
            if connected(held.session):
                held.gone_since = None
            elif held.gone_since is None:
                held.gone_since = now
            elif now - held.gone_since >= GRACE_S:
                released.append(_HELD.pop(held.session))
    for held in released:
        _free(held)
        with contextlib.suppress(Exception):  # the upload is released whatever Streamlit says
            _end_session(held.session)
    emptied = _class_left(now)
    if released or emptied:
        gc.collect()
        _trim()
    return [h.session for h in released]


_NOBODY_SINCE: list[float] = []  # when the server was first seen without any browser


def _class_left(now: float) -> bool:
    """Empty the shared store once no browser has been connected for ``GRACE_S``: results
    kept for nobody are memory the machine could use (the next visitor recomputes them,
    about a second). True when it emptied it now."""
    from streamlit import runtime
    from streamlit.runtime.runtime import RuntimeState

    if not runtime.exists():
        return False
    if runtime.get_instance().state != RuntimeState.NO_SESSIONS_CONNECTED:
        _NOBODY_SINCE.clear()
        return False
    if not _NOBODY_SINCE:
        _NOBODY_SINCE.append(now)
        return False
    store = data.shared_store()
    if now - _NOBODY_SINCE[0] < GRACE_S or not len(store):
        return False
    store.clear()
    return True


def _trim() -> None:
    """Give freed memory back to the system (glibc keeps it for reuse otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _limited_files() -> type:
    """Streamlit's in-memory upload manager, keeping one file per session and
    :data:`FILE_BYTES` in all (built on first use: Streamlit is imported late)."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    class LimitedFiles(MemoryUploadedFileManager):
        """One file per session (the newest replaces the others: the page's uploader takes
        one), and :data:`FILE_BYTES` for all sessions' files together."""

        def add_file(self, session_id: str, file: Any) -> None:
            with self._lock:  # one step: two requests of a session cannot both stay
                mine = self.file_storage.get(session_id, {})
                others = self._total_bytes - sum(len(f.data) for f in mine.values())
                if others + len(file.data) > FILE_BYTES:
                    raise _refused()
                self._total_bytes = others + len(file.data)
                self._file_count += 1 - len(mine)
                self.file_storage[session_id] = {file.file_id: file}  # the newest replaces

    return LimitedFiles


def _refused() -> Exception:
    """What the upload route answers when :data:`FILE_BYTES` is taken: HTTP 413."""
    said = "The server keeps as many uploaded files as its memory allows."
    try:
        from starlette.exceptions import HTTPException
    except ImportError:  # a server without Starlette: a plain error (HTTP 500)
        return RuntimeError(said)
    return HTTPException(status_code=413, detail=said)


def guard_files() -> None:
    """Make Streamlit's upload manager a :func:`_limited_files` one, once per process.

    Streamlit keeps every file a session's upload requests bring (``add_file``), whether or
    not the page ever asks for it: replaying the request with new file ids would pile them
    up. The running manager's class is swapped for a subclass, so the route that holds it
    (and every other reference) takes the limit at once; only Streamlit's in-memory manager,
    the one 1.67 runs, is changed."""
    from streamlit import runtime
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    if not runtime.exists():
        return
    manager = runtime.get_instance().uploaded_file_mgr
    limited = _LIMITED or [_limited_files()]
    _LIMITED[:] = limited
    if type(manager) is MemoryUploadedFileManager:
        manager.__class__ = limited[0]


_LIMITED: list[type] = []


def _janitor() -> None:
    while True:
        time.sleep(SWEEP_EVERY_S)
        with contextlib.suppress(Exception):  # the janitor outlives one bad sweep
            sweep()


def start_janitor() -> None:
    """Start the janitor thread, and limit the files Streamlit keeps, once per process."""
    with contextlib.suppress(Exception):  # the limit is a guard; the page works without it
        guard_files()
    with _LOCK:
        if _JANITOR and _JANITOR[0].is_alive():
            return
        thread = threading.Thread(target=_janitor, name="quantviz-upload-janitor", daemon=True)
        _JANITOR[:] = [thread]
    thread.start()
