"""A fact: a named number a lesson shows and asks about, and how a student reads it.

Its own module so that every block of facts (``facts.py``'s own, ``chip_facts.py``'s and
``facts_transformer.py``'s) is built the same way and ``facts.FACTS`` gathers them in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quantviz_app.data import Data
from quantviz_app.format import db, num, percent
from quantviz_app.i18n import EN, Tr
from quantviz_app.schema import Settings

Value = float | str


@dataclass(frozen=True)
class Fact:
    """A named quantity: what it means, its unit (``""``, ``"dB"``, ``"%"``, ``"int"``,
    ``"points"`` of accuracy, ``"±points"``: a change of accuracy, shown signed, ``"text"``)
    and how the core computes it from the settings and the tensor."""

    name: str
    meaning: str
    unit: str
    compute: Callable[[Settings, Data], Value]

    def shown(self, value: Value, t: Tr = EN) -> str:
        """The value as a student reads it, in ``t``'s language."""
        if isinstance(value, str):
            return value
        if self.unit in ("points", "±points"):  # ±: a change, signed (+0.19 points)
            shown = num(round(value, 2) + 0.0, 3)
            shown = f"+{shown}" if self.unit == "±points" and value >= 0.005 else shown
            return t("text.fact.points", "{n} point" if shown == "1" else "{n} points", n=shown)
        if self.unit == "dB":
            return db(value)
        if self.unit == "%":
            return percent(value / 100)
        if self.unit == "int":
            return f"{int(value):,}"
        return num(value)
