"""The one error a user of quantviz can cause."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class InputError(ValueError):
    """A problem with what the user gave us, told in one plain sentence.

    Raised for empty or non-numeric arrays, bit widths out of range, unknown
    names, parameters out of their range, an axis or group size that does not
    fit the tensor, and files that cannot be read safely. ``str(exc)`` is the
    English sentence; nothing else is needed to understand it.

    A page that speaks another language says it from ``kind`` and ``fields``: ``kind``
    names the sentence (``"too_many_values"``, ``"nonfinite"``, …; ``""`` for a sentence
    no catalogue has yet) and ``fields`` holds the values it was built from, by the names
    its translation uses (numbers as numbers, names as text)::

        raise InputError(f"A worked example takes 1 to 16 values, not {n}.",
                         kind="too_many_values", fields={"most": 16, "n": n})
    """

    def __init__(
        self, message: str, *, kind: str = "", fields: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.fields: Mapping[str, object] = MappingProxyType(dict(fields or {}))

    def __reduce__(self):  # a keyword-only error still pickles (worker processes, caches)
        return (_rebuild, (type(self), str(self), self.kind, dict(self.fields)))


def _rebuild(cls: type, message: str, kind: str, fields: dict) -> InputError:
    error = cls.__new__(cls)
    InputError.__init__(error, message, kind=kind, fields=fields)
    return error
