"""The numbers beside the picture: step size, zero point, SQNR, MSE, max error, clipped,
levels used, size (the formulas that make them are a room of their own).

A card's change (its delta) compares two settings of the same tensor: the one on
screen and the one before it. A new tensor (another distribution, seed, file or
preset) shows no changes: they would compare unrelated data.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import streamlit as st

import quantviz as qv
from quantviz_app import text
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move

SHOWN = "_shown"  # session key: (tensor key, quantize key, card values) now on screen
BEFORE = "_before"  # session key: the same for the setting before it


def previous_values(
    state: MutableMapping[str, Any], tensor: tuple, qkey: tuple, values: dict
) -> dict | None:
    """Remember what is shown now; return the values to compare with (same tensor only)."""
    shown = state.get(SHOWN)
    if shown is None or shown[:2] != (tensor, qkey):
        state[BEFORE] = shown
        state[SHOWN] = (tensor, qkey, values)
    before = state.get(BEFORE)
    if before is None or before[0] != tensor:
        return None
    return before[2]


def show_cards(cards: list[text.Card]) -> None:
    """Metric cards, one under the other (each label beside its value; see layout.py)."""
    for card in cards:
        st.metric(
            card.label, card.value, card.delta, delta_color=card.delta_color, help=card.help,
            border=True,
        )  # fmt: skip


def cards(r: qv.QuantResult | qv.FormatResult, before: Mapping[str, float] | None = None,
          t: Tr = EN) -> list[text.Card]:  # fmt: skip
    """The cards of a result (the integer grid's or a number format's), with their changes
    against ``before`` (the values of the setting before, or None)."""
    if isinstance(r, qv.FormatResult):
        return text.format_cards(r, before, t=t)
    return text.cards(r, before, t=t)


def ahead_values(ahead: Mapping[int, Move]) -> dict[int, dict[str, str]]:
    """The cards' values at every bit width of ``ahead`` (:mod:`views.ahead`), label → value,
    as :func:`show` writes them (the browser puts them in the cards when the slider gets there
    before the server; a card's change against the setting before, its delta, comes with the
    server)."""

    def values(m: Move) -> dict[str, str]:
        return {card.label: card.value for card in cards(m.result, t=m.t)}

    return {bits: m.data.memo("card values", m.key, m.t.lang, compute=lambda m=m: values(m))
            for bits, m in ahead.items()}  # fmt: skip


@st.fragment
def show(m: Move) -> None:
    """The eight cards."""
    data, state, r, qkey, t = m.data, m.state, m.result, m.key, m.t
    values = text.format_card_values(r) if isinstance(r, qv.FormatResult) else text.card_values(r)
    before = previous_values(state, data.key, qkey, values)
    with st.container(key="numbers"):
        show_cards(cards(r, before, t))
