"""Numbers a person types (the worked example's values), read once at the boundary.

A typing mistake becomes :class:`Mistyped`, whose message is said in the page's language.
"""

from __future__ import annotations

import numpy as np

from quantviz.worked import MAX_VALUES
from quantviz_app.i18n import Message

FLOAT32_MAX = float(np.finfo(np.float32).max)


class Mistyped(ValueError):
    """What is wrong with typed numbers, as a :class:`Message` (``str()``: the English)."""

    def __init__(self, key: str, english: str, **fields: object) -> None:
        self.message = Message(key, english, fields)
        super().__init__(str(self.message))


def parse_values(text: str) -> np.ndarray:
    """Numbers typed by a person (commas, spaces or semicolons between them) as float32.

    Raises :class:`Mistyped` with one sentence for anything else: no numbers, more than
    :data:`quantviz.worked.MAX_VALUES`, a word, NaN or infinity.
    """
    items = [t for t in str(text).replace(";", " ").replace(",", " ").split() if t]
    if not items:
        raise Mistyped(
            "text.typed.none",
            "Type a few numbers, separated by commas (for example 1.2, 2.3, 3.4).",
        )
    if len(items) > MAX_VALUES:
        raise Mistyped("text.typed.too_many",
                       "A worked example takes up to {most} values; {n} were given.",
                       most=MAX_VALUES, n=len(items))  # fmt: skip
    values = []
    for item in items:
        try:
            v = float(item)
        except ValueError:
            raise Mistyped("text.typed.word", "'{item}' is not a number.", item=item[:20]) from None
        if not np.isfinite(v) or abs(v) > FLOAT32_MAX:
            raise Mistyped("text.typed.infinite", "'{item}' is not a finite float32 number.",
                           item=item[:20])  # fmt: skip
        values.append(v)
    return np.asarray(values, dtype=np.float32)
