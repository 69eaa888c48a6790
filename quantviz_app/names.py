"""The page's words for the library's names: what a range strategy and a distribution are
called on the page, what a distribution teaches, and how a number format is named.

The library keeps names, parameters and one line of documentation each
(``qv.strategies()``, ``qv.distributions()``, ``qv.formats()``); what a student reads on the
page is written here, in English, and in ``locale/zh.toml`` under
``setting.strategy.option.<name>``, ``setting.dist.option.<name>``, ``dist.<name>.lesson``
and ``setting.format.option.<name>``.
``tests/page/test_names.py`` checks that every name of the library has its words here.
"""

from __future__ import annotations

from quantviz_app.i18n import EN, Tr

STRATEGY_LABELS = {
    "minmax": "Min-max",
    "percentile": "Percentile",
    "mse": "MSE-optimal",
    "entropy": "Entropy (KL)",
    "sigma": "k sigma",
    "aciq_laplace": "ACIQ (Laplace)",
    "aciq_gaussian": "ACIQ (Gaussian)",
    "manual": "Manual",
}
"""How each range strategy is called on the page."""

DIST_LABELS = {
    "normal": "Normal (Gaussian)",
    "uniform": "Uniform",
    "laplace": "Laplace",
    "student_t": "Student's t (heavy tails)",
    "outliers": "Normal with outliers",
    "bimodal": "Bimodal",
    "lognormal": "Log-normal (all positive)",
    "layer": "Linear layer (uneven rows)",
}
"""How each synthetic distribution is called on the page."""

DIST_LESSONS = {
    "normal": (
        "The reference case. Min-max range is set by the few largest values, so many codes are "
        "spent on the nearly empty tails."
    ),
    "uniform": (
        "The ideal case for a uniform integer grid: every code is used about equally, and each "
        "extra bit gains about 6 dB of SQNR."
    ),
    "laplace": (
        "Most values crowd near 0 while a few reach far out: clipping the range (percentile, "
        "MSE) usually beats min-max here."
    ),
    "student_t": (
        "With heavy tails the largest value can be many times the typical one, so a min-max "
        "grid leaves most values on very few codes."
    ),
    "outliers": (
        "One outlier stretches the min-max range for everybody: the other values collapse onto "
        "a handful of codes unless the range is clipped."
    ),
    "bimodal": (
        "Codes that fall in the gap between the peaks are wasted; a uniform grid cannot follow "
        "where the values actually are."
    ),
    "lognormal": (
        "Like activations after ReLU: a symmetric grid wastes the negative half of its codes, "
        "while an asymmetric (affine) grid uses them all."
    ),
    "layer": (
        "One scale for the whole tensor is set by the largest row and crushes the small rows; "
        "per-channel quantization gives each row its own scale."
    ),
}
"""What each distribution teaches about quantization (the caption under the histograms)."""


FORMAT_LABELS = {
    "fp8_e4m3": "FP8 E4M3", "fp8_e5m2": "FP8 E5M2", "fp6_e2m3": "FP6 E2M3",
    "fp6_e3m2": "FP6 E3M2", "fp4_e2m1": "FP4 E2M1", "mxfp8_e4m3": "MXFP8 E4M3",
    "mxfp8_e5m2": "MXFP8 E5M2", "mxfp6_e2m3": "MXFP6 E2M3", "mxfp6_e3m2": "MXFP6 E3M2",
    "mxfp4": "MXFP4", "mxint8": "MXINT8", "nvfp4": "NVFP4", "nf4": "NF4 (QLoRA)",
    "nf4_double": "NF4 + double quant", "binary": "Binary (XNOR-Net)",
    "ternary": "Ternary (TWN)", "q8_0": "Q8_0 (llama.cpp)", "q4_0": "Q4_0 (llama.cpp)",
    "q4_1": "Q4_1 (llama.cpp)", "q5_0": "Q5_0 (llama.cpp)", "q5_1": "Q5_1 (llama.cpp)",
}  # fmt: skip
"""How each number format is named on the page."""


def strategy_label(name: str, t: Tr = EN) -> str:
    """``"Min-max"``: a range strategy's name on the page, in ``t``'s language."""
    return t.option("strategy", name, STRATEGY_LABELS[name])


def dist_label(name: str, t: Tr = EN) -> str:
    """``"Laplace"``: a distribution's name on the page, in ``t``'s language."""
    return t.option("dist", name, DIST_LABELS[name])


def dist_lesson(name: str, t: Tr = EN) -> str:
    """What the distribution ``name`` teaches, in ``t``'s language."""
    return t(f"dist.{name}.lesson", DIST_LESSONS[name])
