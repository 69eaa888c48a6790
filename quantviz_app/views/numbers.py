"""The numbers beside the picture: step size, zero point, SQNR, MSE, max error, clipped,
levels used, size (the formulas that make them are a room of their own).

A card's change (its delta) compares two settings of the same tensor: the one on
screen and the one before it. A new tensor (another distribution, seed, file or
preset) shows no changes: they would compare unrelated data.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

import quantviz as qv
from quantviz_app import text
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


@st.fragment
def show(m: Move) -> None:
    """The eight cards."""
    data, state, r, qkey, t = m.data, m.state, m.result, m.key, m.t
    if isinstance(r, qv.FormatResult):
        before = previous_values(state, data.key, qkey, text.format_card_values(r))
        cards = text.format_cards(r, before, t=t)
    else:
        before = previous_values(state, data.key, qkey, text.card_values(r))
        cards = text.cards(r, before, t=t)
    with st.container(key="numbers"):
        show_cards(cards)
