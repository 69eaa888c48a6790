"""One move of the page: what it computed once, handed down to every view.

A move (a link opened, a slider moved, a control changed) fits the settings to the tensor
once (:func:`quantviz_app.fitting.fit`) and quantizes once (``data.quantized``); every view
below it (the histograms, the numbers, the class view, the open room) receives this
:class:`Move` instead of rebuilding the quantize keywords and fetching the result again.
The bit width goes down from the slider to the picture, never back up.

A view with controls of its own (a room's picker, the log toggle) is a fragment: when
one of them changes, the fragment reruns alone with the same ``Move`` and reads its own
control's value from the session.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import quantviz as qv
from quantviz_app.data import Data
from quantviz_app.fitting import Fitted, fit
from quantviz_app.i18n import Tr
from quantviz_app.schema import Settings, integer_grid, quantize_kwargs


@dataclass(frozen=True, eq=False)
class Move:
    """The page at one move.

    Attributes
    ----------
    fitted : Fitted
        The settings fitted to the tensor, with the controls' options and what fitting
        changed (``fitted.notes``).
    data : Data
        The tensor and the store its results go to.
    state : MutableMapping
        The session (for a view's own controls and what it remembers).
    notes : list of str
        What the last full run said beside fitting (an adjusted link, a refused value).
    """

    fitted: Fitted
    data: Data
    state: MutableMapping[str, Any]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def at(cls, s: Settings, data: Data, state: MutableMapping[str, Any] | None = None) -> Move:
        """The move of settings ``s`` on ``data``, fitted (for tests and notebooks; the page
        builds its move from the settings it fitted already)."""
        return cls(fit(s, data.shape, data.low, data.high), data, {} if state is None else state)

    def with_bits(self, bits: int) -> Move:
        """The move the bit slider makes from here to ``bits``: the same settings with that
        bit width, fitted anew (as the lesson fits a move), the same tensor and session."""
        if bits == self.s["bits"]:
            return self
        s = self.s.replace(bits=bits)
        return Move(fit(s, self.data.shape, self.data.low, self.data.high), self.data,
                    self.state, self.notes)  # fmt: skip

    @property
    def s(self) -> Settings:
        """The fitted settings."""
        return self.fitted.settings

    @property
    def t(self) -> Tr:
        """The reader's language."""
        return Tr(self.s["lang"])

    @property
    def integer(self) -> bool:
        """True on the integer grid, False with a number format."""
        return integer_grid(self.s)

    @cached_property
    def kwargs(self) -> dict[str, Any]:
        """``qv.quantize``'s keyword arguments for these settings."""
        return quantize_kwargs(self.s)

    @cached_property
    def key(self) -> tuple:
        """The quantize keywords as a cache key (sorted pairs)."""
        return tuple(sorted(self.kwargs.items()))

    @cached_property
    def result(self) -> qv.QuantResult | qv.FormatResult:
        """The result of these settings on this tensor: its numbers and level counts (a huge
        tensor per tensor is measured without its codes and dequantized values)."""
        return self.data.quantized(self.kwargs, arrays=False)

    def arrays(self) -> qv.QuantResult | qv.FormatResult:
        """The same result with its codes and dequantized values (for a view that draws
        values: the staircase, the close-up, the downloads)."""
        return self.data.quantized(self.kwargs)
