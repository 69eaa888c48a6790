"""The browser follows the bit slider before the server does (``follow.js``).

A Streamlit component with no picture of its own: its script tells the lesson's charts the
slider's value as soon as it changes to a width they hold (they draw that width from their
data, see ``charts.follow_params``) and writes the cards' values at that width into the
lesson's cards. The values come from the server, computed by the core for every width the slider can
reach next (:mod:`quantviz_app.views.ahead`); the server still follows each move and draws the
same values. Without JavaScript (AppTest) it does nothing and the page works as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import streamlit as st

KEY = "follow"
"""The component's key (its element is ``.st-key-follow``, hidden by ``layout.py``: it draws
nothing)."""

_follow = st.components.v2.component(
    "quantviz_follow",
    js=(Path(__file__).with_suffix(".js")).read_text(encoding="utf-8"),
    isolate_styles=False,
)


def follow(widths: Iterable[int], cards: Mapping[int, Mapping[str, str]]) -> None:
    """Mount the script with the bit widths whose pictures the charts hold and the cards'
    values by bit width (label → value as the cards show them; empty when the cards are not
    shown). On a width not among ``widths`` the browser waits for the server."""
    data = {"widths": [str(bits) for bits in widths],
            "cards": {str(bits): dict(v) for bits, v in cards.items()}}  # fmt: skip
    _follow(key=KEY, data=data)
