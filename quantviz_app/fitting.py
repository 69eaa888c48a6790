"""Fit the page's settings to the tensor on it, and say what the controls may offer.

The quantization settings go through the library's one policy
(:func:`quantviz.fit.fit_settings`); the page adds what only a page has: the manual
clipping range slider's bounds, and the options each control offers for this
tensor (its axes, the group sizes that divide its rows, the strategies that work
at the chosen granularity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import quantviz as qv
from quantviz.fit import Adjustment, fit_settings, group_sizes
from quantviz_app.i18n import EN, Tr
from quantviz_app.names import strategy_label
from quantviz_app.schema import Settings, clean_float, quantize_kwargs

# qv.quantize keyword → the setting that holds it (the others have the same name)
_SETTING_OF = {"narrow_range": "scheme", "symmetric": "scheme"}


@dataclass(frozen=True)
class Fitted:
    """Settings that apply to the tensor, the notes a user should read, the controls' options.

    ``options`` maps a setting key to the values its control offers (``axis``,
    ``group_size``, ``strategy``, ``granularity``); ``bounds`` the manual range
    slider's ends.
    """

    settings: Settings
    notes: list[str] = field(default_factory=list)
    options: dict[str, tuple] = field(default_factory=dict)
    bounds: tuple[float, float] = (0.0, 1.0)


FIT_NOTES = {
    "needs_rows": "Per-{granularity} quantization needs a tensor with rows (2-D or more); this "
    "one is {ndim}-D, so it is quantized per tensor.",
    "no_axis": "The tensor has no axis {axis}; using axis 0.",
    "group_size": "Groups of {wanted} do not divide the last dimension ({last}); using groups "
    "of {size}.",
    "per_tensor_only": "{strategy} calibration works per tensor only (as in TensorRT), so "
    "per-{granularity} quantization uses min-max here.",
    "narrow_bits": "A narrow range needs at least 2 bits (at 1 bit only code 0 would be left).",
}
"""What fitting changed, as the page says it (``text.fit.<reason>`` in the catalogue); the
library's :class:`quantviz.fit.Adjustment` gives the reason and the values."""


def note(change: Adjustment, shape: tuple[int, ...], granularity: str, t: Tr = EN) -> str:
    """What fitting changed, in ``t``'s language (``granularity``: the one the fitting kept).
    A change the page never makes (a number format's own blocks: the page fits formats
    itself) is said in the library's own words."""
    reason = change.reason
    if reason not in FIT_NOTES:
        return change.message
    fields: dict[str, object] = {}  # "narrow_bits" has none
    if reason == "needs_rows":
        fields = {"granularity": t(f"text.granularity.{change.was}", str(change.was)),
                  "ndim": len(shape)}  # fmt: skip
    elif reason == "no_axis":
        fields = {"axis": change.was}
    elif reason == "group_size":
        fields = {"wanted": change.was, "last": shape[-1], "size": change.now}
    elif reason == "per_tensor_only":
        fields = {"strategy": strategy_label(str(change.was), t),
                  "granularity": t(f"text.granularity.{granularity}", granularity)}  # fmt: skip
    return t(f"text.fit.{reason}", FIT_NOTES[reason], **fields)


def manual_bounds(low: float, high: float) -> tuple[float, float]:
    """Ends of the manual range slider: the data's range widened by half its width each side,
    so that "too wide: coarse steps" can be felt as well as "too narrow: clipping"."""
    span = high - low
    if not span > 0:
        span = max(abs(low), 1.0)
    return clean_float(low - span / 2), clean_float(high + span / 2)


def fit(s: Settings, shape: tuple[int, ...], low: float, high: float) -> Fitted:
    """``s`` made valid for a tensor of ``shape`` whose values span ``[low, high]``."""
    kwargs, changes = fit_settings(shape, **quantize_kwargs(s))
    updates = {}
    granularity = str(kwargs.get("granularity", "tensor"))
    if not s.applies("granularity"):  # a format's own blocks: the setting keeps its value
        granularity = s["granularity"]
    notes = [note(c, shape, granularity, Tr(s["lang"])) for c in changes]
    for change in changes:
        updates[_SETTING_OF.get(change.setting, change.setting)] = change.now
    if "group_size" in kwargs and s.applies("group_size"):  # not a format's own blocks
        updates["group_size"] = kwargs["group_size"]
    lo_end, hi_end = manual_bounds(low, high)
    chosen = s["manual_range"] or (low, high)
    lo = min(max(chosen[0], lo_end), hi_end)
    hi = min(max(chosen[1], lo_end), hi_end)
    if not lo < hi:
        lo, hi = (low, high) if high > low else (lo_end, hi_end)
    updates["manual_range"] = (clean_float(lo), clean_float(hi))
    fitted = s.replace(**updates)
    granularities = qv.GRANULARITIES if len(shape) >= 2 else ("tensor",)
    options = {
        "granularity": granularities,
        "axis": tuple(range(max(len(shape), 1))),
        "group_size": group_sizes(shape[-1]) if len(shape) >= 2 else (),
        "strategy": tuple(
            st.name for st in qv.strategies() if fitted["granularity"] in st.granularities
        ),
    }
    return Fitted(fitted, notes, options, (lo_end, hi_end))
