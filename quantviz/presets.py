"""Presets for class: one click sets up a scene that teaches one thing.

Each preset is a set of app settings (the names of :class:`quantviz.appstate.Settings`
and of the distribution's parameters, as in a shared link) plus the sentence
the teacher wants the room to remember. Settings a preset does not name take
their defaults, so a preset always shows the same picture.

>>> from quantviz.presets import PRESETS, settings_of
>>> s = settings_of(PRESETS[1])
>>> s.dist, s.bits, s.strategy
('outliers', 4, 'minmax')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from quantviz.appstate import Settings, with_dist, with_scheme


@dataclass(frozen=True)
class Preset:
    """A named scene for class.

    Attributes
    ----------
    key : str
        Identifier (stable; used for widget keys).
    title : str
        Button text.
    lesson : str
        The sentence to say out loud, shown prominently when the preset is active.
    settings : Mapping
        Read-only (the presets are shared by every session). Settings that
        differ from the defaults: ``dist`` and its parameters by
        name, ``bits``, ``scheme`` (``"asymmetric"``, ``"symmetric"``,
        ``"narrow"``), ``strategy``, ``percentile``, ``n_sigma``,
        ``granularity``, ``axis``, ``group_size``, ``rounding``, ``log``.
    """

    key: str
    title: str
    lesson: str
    settings: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))


def _preset(key: str, title: str, lesson: str, **settings: Any) -> Preset:
    return Preset(key, title, lesson, MappingProxyType(settings))


PRESETS: tuple[Preset, ...] = (
    _preset(
        "eight_bits",
        "8 bits is nearly lossless",
        "With 256 levels the quantized histogram looks just like the original: "
        "the error is a thin layer of rounding noise, about 35 dB below the signal.",
        dist="laplace",
        bits=8,
        strategy="minmax",
    ),
    _preset(
        "one_outlier",
        "One outlier ruins 4-bit min-max",
        "A single value at 20 standard deviations stretches the min-max range for "
        "everybody: the bell curve collapses onto a handful of the 16 levels.",
        dist="outliers",
        fraction=0.00001,
        magnitude=20.0,
        bits=4,
        strategy="minmax",
    ),
    _preset(
        "clip_heavy_tails",
        "Clipping helps heavy tails",
        "Heavy tails make min-max spend its levels on empty space. Clipping the "
        "rarest 0.1 % of values gives every other value finer steps: "
        "compare the SQNR with min-max in the trade-off view.",
        dist="student_t",
        bits=4,
        strategy="percentile",
        percentile=99.9,
        compare=("minmax", "percentile", "aciq_laplace"),
    ),
    _preset(
        "per_channel",
        "Per-channel rescues a layer with uneven rows",
        "One scale for the whole matrix is set by its largest row, and small rows "
        "fall on a few levels. One scale per row (output channel) fits each row.",
        dist="layer",
        bits=4,
        strategy="minmax",
        granularity="channel",
        axis=0,
    ),
    _preset(
        "two_bits",
        "2 bits: four levels, and where they land",
        "Two bits give four levels, three steps apart. Because 0.0 must be a level, "
        "the grid shifts and its top level sits beyond the data: watch which levels "
        "the values actually use.",
        dist="normal",
        bits=2,
        strategy="minmax",
    ),
    _preset(
        "symmetric_positive",
        "Symmetric wastes half the codes on all-positive data",
        "All values are positive, but a symmetric grid keeps half its codes for "
        "negative numbers: only about half the levels are used. Switch to asymmetric.",
        dist="lognormal",
        bits=4,
        scheme="symmetric",
        strategy="minmax",
    ),
)
"""The presets, in the order the app shows them."""

_DIST_PARAM_EXCLUDED = {
    "dist",
    "bits",
    "scheme",
    "strategy",
    "percentile",
    "n_sigma",
    "granularity",
    "axis",
    "group_size",
    "rounding",
    "log",
    "compare",
}


def settings_of(preset: Preset) -> Settings:
    """The full :class:`Settings` a preset stands for: its own, and defaults for the rest.

    Sample size and seed are reset too (100,000 values, seed 0), so the lesson
    sentence always matches the picture.
    """
    given = dict(preset.settings)
    dist_params = {k: v for k, v in given.items() if k not in _DIST_PARAM_EXCLUDED}
    s = with_dist(Settings(), given.get("dist", "laplace"), dist_params)
    s = with_scheme(s, given.get("scheme", "asymmetric"))
    fields = {k: v for k, v in given.items() if k in _DIST_PARAM_EXCLUDED - {"dist", "scheme"}}
    return replace(s, **fields)


def get_preset(key: str) -> Preset:
    """The preset called ``key`` (KeyError if there is none)."""
    for p in PRESETS:
        if p.key == key:
            return p
    raise KeyError(key)
