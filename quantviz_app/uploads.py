"""How long an upload lives: held for its session only, and let go when its browser is gone.

An upload is held here, not in the session state, keyed by the session's id: the file's
tensors (:class:`~quantviz.io.LoadedWeights`) and the :class:`~quantviz_app.cache.Store`
of what was computed from them. Streamlit keeps a closed tab's session (and the file's
bytes) for a while in case the browser reconnects, and frees it only when that session
is garbage collected; the server's memory should not wait for that. So a janitor thread
looks every :data:`SWEEP_EVERY_S` seconds, and the upload of a session that has had no
browser for :data:`GRACE_S` seconds is released: its results, its tensors, and the
bytes Streamlit holds for it. At most :data:`MAX_HELD` uploads are held at once; past
that a new upload is refused (each holds up to about ``file size + SESSION_BYTES``).
When no browser at all has been connected for ``GRACE_S`` (the class has left), the
janitor also empties the shared store.

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

from quantviz.io import LoadedWeights
from quantviz_app import data
from quantviz_app.cache import Store

GRACE_S = 20.0  # an upload outlives its session's browser this long (time to reconnect)
SWEEP_EVERY_S = 2.0  # how often the janitor looks (a scan of a few entries)
MAX_HELD = 8  # uploads held at once, all sessions together


@dataclass(eq=False)
class Held:
    """An upload held for one session: the file's tensors and the results' store."""

    session: str
    file_id: str
    weights: LoadedWeights
    store: Store
    uploaded: Any  # Streamlit's UploadedFile (a BytesIO over the file's bytes)
    gone_since: float | None = None  # when its session was first seen without a browser


_HELD: dict[str, Held] = {}  # session id → its upload
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


def full() -> bool:
    """True when :data:`MAX_HELD` uploads are held already."""
    with _LOCK:
        return len(_HELD) >= MAX_HELD


def hold(held: Held) -> None:
    """Keep ``held`` for its session (replacing what that session held before)."""
    with _LOCK:
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


def _janitor() -> None:
    while True:
        time.sleep(SWEEP_EVERY_S)
        with contextlib.suppress(Exception):  # the janitor outlives one bad sweep
            sweep()


def start_janitor() -> None:
    """Start the janitor thread, once per process."""
    with _LOCK:
        if _JANITOR and _JANITOR[0].is_alive():
            return
        thread = threading.Thread(target=_janitor, name="quantviz-upload-janitor", daemon=True)
        _JANITOR[:] = [thread]
    thread.start()
