"""Scenes for class: one click sets up a picture that teaches one thing.

A preset names the settings that make its picture (by their keys in
:data:`quantviz_app.schema.SETTINGS`; every other setting takes its default, so a
preset always shows the same picture) and the sentence the teacher wants the room
to remember. A link opens one with ``?preset=<key>``.

>>> settings_of(get_preset("one_outlier"))["bits"]
4
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from quantviz_app.schema import PAGE_KEYS, Settings


@dataclass(frozen=True)
class Preset:
    """A named scene: ``title`` (short, for its button), ``lesson`` (the sentence to say),
    ``settings`` (setting key → value; read-only, shared by every session)."""

    key: str
    title: str
    lesson: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))


PRESETS: tuple[Preset, ...] = (
    Preset(
        "eight_bits",
        "8 bits",
        "With 256 levels the quantized histogram looks just like the original: the error is "
        "a thin layer of rounding noise, about 35 dB below the signal.",
        {"dist": "laplace", "bits": 8},
    ),
    Preset(
        "one_outlier",
        "One outlier",
        "A single value at 20 standard deviations stretches the min-max range for everybody: "
        "the bell curve collapses onto a handful of the 16 levels.",
        {"dist": "outliers", "outliers.fraction": 0.00001, "outliers.magnitude": 20.0, "bits": 4},
    ),
    Preset(
        "clip_heavy_tails",
        "Heavy tails",
        "Heavy tails make min-max spend its levels on empty space. Clipping the rarest 0.1 % "
        "of the values gives all the others finer steps: switch the range strategy to min-max "
        "and watch the SQNR fall.",
        {"dist": "student_t", "bits": 4, "strategy": "percentile", "percentile": 99.9},
    ),
    Preset(
        "per_channel",
        "Per channel",
        "One scale for the whole matrix is set by its largest row, and small rows fall on a "
        "few levels. One scale per row (output channel) fits each row.",
        {"dist": "layer", "bits": 4, "granularity": "channel"},
    ),
    Preset(
        "two_bits",
        "2 bits",
        "Two bits give four levels, three steps from the lowest to the highest. Because the "
        "grid makes 0.0 a level (PyTorch's convention), it shifts and its top level sits "
        "beyond the data: watch which levels the values use.",
        {"dist": "normal", "bits": 2},
    ),
    Preset(
        "symmetric_positive",
        "Positive data",
        "All values are positive, but a symmetric grid keeps half its codes for negative "
        "numbers: only about half the levels are used. Switch to asymmetric.",
        {"dist": "lognormal", "bits": 4, "scheme": "symmetric"},
    ),
    # ---- formats people ship, on real MiniLM-L6 weights -------------------------------
    Preset(
        "fp8_per_tensor",
        "FP8 E4M3",
        "FP8 E4M3 with one scale for the whole matrix: its 253 levels crowd near 0 and spread "
        "out towards the ends, so the many small weights keep their precision — about 31 dB "
        "at 8 bits, where FP4 with one scale keeps only 5 dB.",
        {"source": "sample", "format": "fp8_e4m3"},
    ),
    Preset(
        "ocp_mxfp4",
        "OCP MXFP4",
        "MXFP4 gives every 32 weights one power-of-two scale: 4.25 bits per weight and 19 dB "
        "where FP4 with one scale keeps 5 dB. The scale is rounded down to a power of two, so a "
        "block's largest values can pass FP4's 6 and saturate: the quantized histogram's title "
        "counts them.",
        {"source": "sample", "format": "mxfp4"},
    ),
    Preset(
        "qlora_nf4",
        "QLoRA NF4",
        "NF4 puts its 16 values at a normal distribution's quantiles and scales each block of "
        "64 by its largest |value|. On these bell-shaped weights it keeps about 1 dB more "
        "than a symmetric INT4 grid per group of 64, at the same 4.5 bits per weight.",
        {"source": "sample", "format": "nf4"},
    ),
    Preset(
        "llama_q4_0",
        "llama.cpp Q4_0",
        "llama.cpp's Q4_0: 32 weights share an fp16 scale d = M/−8, where M is the value of "
        "largest magnitude, so M lands exactly on code 0. A value on the other side beyond 7·d "
        "saturates: the quantized histogram's title counts them.",
        {"source": "sample", "format": "q4_0"},
    ),
)
"""The presets, in the order the page shows them."""

_BY_KEY = {p.key: p for p in PRESETS}


def get_preset(key: str) -> Preset:
    """The preset called ``key`` (``KeyError`` if there is none)."""
    return _BY_KEY[key]


def settings_of(preset: Preset, base: Settings | None = None) -> Settings:
    """The settings a preset stands for: its own on top of the defaults.

    From ``base`` only the page's own settings are kept (``schema.PAGE_KEYS``: the language,
    the view and the hidden controls of a teacher's link), so the picture is always the same.
    """
    keep = {} if base is None else {k: base[k] for k in PAGE_KEYS}
    return Settings.of({**keep, **preset.settings})


SCENE = ("source", "dist", "format", "bits", "scheme", "strategy", "granularity")
"""Settings that make a scene besides those a preset names (they take their defaults)."""


def active_preset(s: Settings) -> Preset | None:
    """The preset whose scene is on screen: the settings it names, and :data:`SCENE`, as it
    set them."""
    for preset in PRESETS:
        wanted = settings_of(preset)
        if all(s[k] == wanted[k] for k in (*preset.settings, *SCENE)):
            return preset
    return None
