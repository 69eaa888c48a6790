"""The bit widths ahead of the slider: the moves the bit slider can make next, computed before
the student makes them, so that the browser redraws the lesson's picture and numbers at the
next key press without waiting for the server.

Each is the move the server would make (:meth:`Move.with_bits`: the same settings at that
width, fitted anew), and each view turns them into its data with the same code and cache it
uses for the move on screen (``histograms.ahead_data``, ``numbers.ahead_values``): the
browser shows sooner exactly what the server will show. The server still follows every
move and draws everything else (docs/ARCHITECTURE.md, "What a bit-slider move costs").

Which widths: the ones a student reaches with the next key presses, :data:`REACH` either side
of the slider for a tensor of up to :data:`NEAR_MAX_VALUES` values, one either side for a
larger one (only its own for a large tensor per channel or group, whose picture needs its
codes and values), and any width whose picture the cache holds already. Each move of the
server computes the width that enters this window: the work a move did before, done a move
ahead. Not all sixteen at once: a new setting (a strategy, a scheme) would pay for sixteen
quantizations before its first picture (~1 s for the MSE search at 100,000 values). Only its
own width when the slider is not on the page (a number format, a teacher's link that hides
it).
"""

from __future__ import annotations

from collections.abc import Callable

import quantviz as qv
from quantviz.quantizer import MAX_BITS
from quantviz_app.data import MEASURE_ONLY_ABOVE
from quantviz_app.move import Move

REACH = 2
"""Widths computed either side of the slider's on a tensor of up to :data:`NEAR_MAX_VALUES`
values: two key presses ahead of the server."""
NEAR_MAX_VALUES = 300_000


def slider_shown(m: Move, hide: set[str]) -> bool:
    """Whether the lesson draws the bit slider: the integer grid, and no link hides it."""
    return m.integer and "bits" not in hide


def cheap_neighbours(m: Move) -> bool:
    """Whether the widths next to the slider's are computed with this page: a larger tensor
    per channel or group needs its codes and values for the picture (~67 MB and ~0.5 s a
    width for MiniLM's embedding), so only its own width is."""
    return m.data.size <= MEASURE_ONLY_ABOVE or m.s["granularity"] == "tensor"


def moves(
    m: Move, hide: set[str], *, kept: Callable[[Move], bool] | None = None
) -> dict[int, Move]:
    """The moves the browser can show without the server, by bit width (``m``'s own among
    them). ``kept(move)``: whether a move's picture is in the cache already (such a width is
    included whatever the tensor's size)."""
    bits = m.s["bits"]
    if not slider_shown(m, hide):
        return {bits: m}
    reach = REACH if m.data.size <= NEAR_MAX_VALUES else int(cheap_neighbours(m))
    near = set(range(bits - reach, bits + reach + 1))
    out = {}
    for width in range(1, MAX_BITS + 1):
        move = m.with_bits(width)
        if move.s["bits"] != width:  # fitting moves it elsewhere (a narrow range at 1 bit)
            continue
        if (width in near or (kept is not None and kept(move))) and computable(move):
            out[width] = move
    return out


def computable(m: Move) -> bool:
    """Whether the core quantizes ``m`` (a width it refuses, such as 1 bit on a range float32
    cannot hold, stays with the server, which says why when the slider gets there)."""
    try:
        m.result  # noqa: B018 (computed once and kept: the views read it next)
    except qv.InputError:
        return False
    return True
