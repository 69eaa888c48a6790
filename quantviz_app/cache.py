"""A small memory-bounded cache: what a page computed once, kept for the next slider move.

One :class:`Store` holds the results of one or many tensors, keyed by small tuples
(never arrays). It forgets the least recently used entries when it holds more
than ``max_bytes`` (each entry's size is estimated from its arrays), and computes
each key at most once at a time, so thirty students opening the same link wait
for one computation, not thirty.

Pure Python: the page decides which store a tensor uses (one shared by every
session for synthetic and shipped tensors; one per session for an upload, so an
upload's results go when its session goes).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")


def size_of(value: Any, _depth: int = 0) -> int:
    """Bytes held by ``value``: its numpy arrays and DataFrames, in dataclasses, tuples,
    lists and dicts (a rough estimate for everything else)."""
    if _depth > 4:
        return 64
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 112
    if isinstance(value, pd.DataFrame | pd.Series):
        return int(value.memory_usage(deep=False).sum()) + 500
    if is_dataclass(value) and not isinstance(value, type):
        return 64 + sum(size_of(getattr(value, f.name), _depth + 1) for f in fields(value))
    if isinstance(value, dict):
        return 64 + sum(size_of(v, _depth + 1) for v in value.values())
    if isinstance(value, list | tuple):
        return 64 + sum(size_of(v, _depth + 1) for v in value)
    return sys.getsizeof(value)


class Store:
    """Least-recently-used results under ``max_bytes``; thread-safe; one computation per key."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    @property
    def bytes(self) -> int:
        """Bytes held now (estimated)."""
        return self._bytes

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``key``, computed with ``compute()`` the first time.

        While one thread computes a key, others asking for it wait and then take
        its value. A computation that raises stores nothing.
        """
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._pending.pop(key, None)
            self._put(key, value)
            return value

    def _put(self, key: Hashable, value: Any) -> None:
        size = size_of(value)
        with self._lock:
            if key in self._entries:
                self._bytes -= self._entries.pop(key)[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, (_, old) = self._entries.popitem(last=False)
                self._bytes -= old

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
