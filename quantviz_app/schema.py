"""Every setting of the page, declared once.

A :class:`Setting` says everything about one choice: its key (the widget's key in
the session and, by default, its name in a shared link), type, default, valid
values, label, help, which widget shows it, when it matters, and what it passes to
``qv.quantize``. Everything else derives from :data:`SETTINGS`:

* :class:`Settings`, the immutable value of all settings (a cache key);
* :func:`parse_link` / :func:`to_link`, a shared link's query and back, with one
  plain sentence for every value a link gets wrong;
* :func:`quantize_kwargs`, the keyword arguments of ``qv.quantize``;
* the widgets (:mod:`quantviz_app.widgets`), the presets (:mod:`quantviz_app.presets`).

Adding a setting is one entry in :data:`SETTINGS`. The distributions' and the range
strategies' numeric knobs come from the library's own :class:`quantviz.Param`
declarations, so they are declared there once too.

Pure Python: no streamlit, so a link can be checked in a test or a notebook.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import quantviz as qv
from quantviz.io import MAX_NAME_CHARS
from quantviz.models.transformer.bert import BertConfig, linear_names
from quantviz.models.transformer.layerwise import ALPHAS
from quantviz_app.i18n import LANGUAGES, Message, Tr
from quantviz_app.lessonfile import all_lessons
from quantviz_app.names import DIST_LABELS, FORMAT_LABELS, STRATEGY_LABELS
from quantviz_app.rooms import ROOMS

Value = Any
Predicate = Callable[["Settings"], bool]


def _always(_: Settings) -> bool:
    return True


@dataclass(frozen=True)
class Setting:
    """One setting of the page.

    Attributes
    ----------
    key : str
        Its name: the key of its value in :class:`Settings` and in the session,
        the widget's key, and by default its name in a link.
    kind : str
        ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` (one of ``options``),
        ``"choices"`` (a tuple of ``options``), ``"text"`` or ``"range"`` (a pair
        ``(low, high)`` of floats, written to a link as two parameters).
    default : object
        The value when nothing says otherwise (``None`` for a range: the data's).
    label, help : str
        What the widget says, and its tooltip.
    options : tuple
        The valid values of a choice, in the order shown.
    option_labels : mapping
        How each option is shown (defaults to the option itself).
    low, high, step : float
        The valid range of a number and the widget's step.
    widget : str or None
        ``"slider"``, ``"select_slider"``, ``"segmented"``, ``"radio"``,
        ``"selectbox"``, ``"toggle"``, ``"number"``, ``"multiselect"``,
        ``"range_slider"``, ``"text_input"``; None for a setting only a link or a button
        sets.
    url : str, tuple or None
        Its name in a link (a pair for a range); None: never in a link.
    pinned : bool
        Always written to a link, even at its default, so the link keeps its
        meaning if a default changes (the data and the main choices).
    applies : callable
        ``applies(settings)``: whether the setting matters for these settings
        (shown, passed on, written to a link). A link value that does not apply
        is ignored silently.
    quantize : callable or None
        ``quantize(value)``: the ``qv.quantize`` keyword arguments it gives.
    aliases : mapping
        Link parameters of earlier versions: name → {their value: this value}.
    group : str
        ``"data"``, ``"quantization"``, ``"view"`` or ``"page"``: where the
        widget sits, and a name a link's ``hide=`` can use for all of them.
    link_options, link_refusal : tuple, str
        The options a link may carry, when fewer than ``options``, and the
        sentence that says why another one is refused (an upload cannot travel
        in a link).
    max_chars : int
        The longest text a ``"text"`` setting takes (a tensor's name: any name the
        file readers accept, :data:`quantviz.io.MAX_NAME_CHARS`).
    """

    key: str
    kind: str
    default: Value
    label: str
    help: str = ""
    options: tuple = ()
    option_labels: Mapping[str, str] = field(default_factory=dict)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    widget: str | None = None
    url: str | tuple[str, str] | None = ""
    pinned: bool = False
    applies: Predicate = _always
    quantize: Callable[[Value], dict] | None = None
    aliases: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    group: str = "quantization"
    link_options: tuple = ()
    link_refusal: str = ""
    max_chars: int = 500

    def __post_init__(self) -> None:
        if self.url == "":
            object.__setattr__(self, "url", self.key)

    @property
    def url_keys(self) -> tuple[str, ...]:
        """The link parameters this setting reads and writes."""
        if self.url is None:
            return ()
        return self.url if isinstance(self.url, tuple) else (self.url,)

    def show(self, value: Value) -> str:
        """How an option is shown in a widget."""
        return str(self.option_labels.get(value, value))

    # ----------------------------------------------------------- checking --

    def check(self, value: Value) -> Value:
        """``value`` as this setting's type, or ``ValueError`` saying what is valid."""
        if self.kind == "bool":
            if isinstance(value, str):
                return _parse_bool(value)
            return bool(value)
        if self.kind == "int":
            return _whole(value, int(self.low), int(self.high))
        if self.kind == "float":
            number = _number(value, self.low, self.high)
            # a slider's float is cleaned to 10 digits; the default stays exact
            return self.default if number == clean_float(self.default) else number
        if self.kind == "choice":
            for option in self.options:  # a link's "1000" is the option 1000, its "1" is 1.0
                if value == option or str(value) == str(option) or _same_number(value, option):
                    return option
            raise Invalid("text.valid.one_of", "one of {options}",
                          options=", ".join(map(str, self.options)))  # fmt: skip
        if self.kind == "choices":
            items = value.split(",") if isinstance(value, str) else list(value)
            items = [str(v).strip() for v in items if str(v).strip()]
            bad = [v for v in items if v not in self.options]
            if bad:
                names = list(map(str, self.options))
                shown = ", ".join(names) if len(names) <= 8 else ", ".join(names[:6]) + ", …"
                raise Invalid("text.valid.list_of",
                              "a comma-separated list of {shown} ('{bad}' is not one)",
                              shown=shown, bad=bad[0][:40])  # fmt: skip
            return tuple(dict.fromkeys(items))
        if self.kind == "range":
            if value is None:
                return None
            low, high = (_number(v) for v in value)
            if not low < high:
                raise Invalid("text.valid.range", "two numbers, the first smaller")
            return (low, high)
        if self.kind == "text":
            text = str(value)
            if not 1 <= len(text) <= self.max_chars:
                raise Invalid("text.valid.text", "a name of 1 to {most} characters",
                              most=f"{self.max_chars:,}")  # fmt: skip
            return text
        raise AssertionError(self.kind)

    # --------------------------------------------------------------- links --

    def read(self, query: Mapping[str, str]) -> Value:
        """This setting's value from a link's ``query`` (KeyError if the link has none)."""
        if self.kind == "range":
            lo_key, hi_key = self.url_keys
            if lo_key not in query and hi_key not in query:
                raise KeyError(self.key)
            return self.check((query.get(lo_key, "nan"), query.get(hi_key, "nan")))
        name = self.url_keys[0]
        value = self.check(query[name])
        if self.link_options and value not in self.link_options:
            raise Refused(Message(f"setting.{self.key}.refusal", self.link_refusal))
        return value

    def write(self, value: Value) -> dict[str, str]:
        """This setting's link parameters for ``value``."""
        if self.kind == "range":
            if value is None:
                return {}
            return dict(zip(self.url_keys, (_text(v) for v in value), strict=True))
        if self.kind == "choices":
            return {self.url_keys[0]: ",".join(value)}
        return {self.url_keys[0]: _text(value)}


class Invalid(ValueError):
    """A value a setting cannot take; its :class:`Message` says what is valid (``str()``:
    the English)."""

    def __init__(self, key: str, english: str, **fields: object) -> None:
        self.message = Message(key, english, fields)
        super().__init__(str(self.message))


class Refused(ValueError):
    """A link value that is valid on the page but cannot come from a link (its message is
    the whole sentence, a :class:`Message`)."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(str(message))


# -------------------------------------------------------- value helpers --

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Invalid("text.valid.bool", "true or false")


def _whole(value: Value, low: int, high: int) -> int:
    def invalid() -> Invalid:
        return Invalid("text.valid.whole", "a whole number from {low} to {high}",
                       low=f"{low:,}", high=f"{high:,}")  # fmt: skip

    if isinstance(value, bool):
        raise invalid()
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise invalid() from None
    if not (math.isfinite(number) and number.is_integer() and low <= number <= high):
        raise invalid()
    return int(number)


def _number(value: Value, low: float | None = None, high: float | None = None) -> float:
    def invalid() -> Invalid:
        if low is None:
            return Invalid("text.valid.finite", "a finite number")
        return Invalid("text.valid.number", "a number from {low} to {high}",
                       low=_text(float(low)), high=_text(float(high)))  # fmt: skip

    if isinstance(value, bool):
        raise invalid()
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise invalid() from None
    if not math.isfinite(number) or (low is not None and not low <= number <= high):
        raise invalid()
    return clean_float(number)


def _same_number(value: Value, option: Value) -> bool:
    """Whether a link's text (``"1"``, ``"0.80"``) is a numeric option (``1.0``, ``0.8``)."""
    if isinstance(option, bool) or not isinstance(option, int | float):
        return False
    try:
        return float(str(value).strip()) == option
    except ValueError:
        return False


def clean_float(value: float) -> float:
    """A slider's float rounded to 10 significant digits (``0.1 + 0.2`` → ``0.3``)."""
    return float(f"{float(value):.10g}")


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# ------------------------------------------------------------- settings --

SCHEMES = ("asymmetric", "symmetric", "narrow")
SAMPLE_SIZES = (1_000, 10_000, 100_000, 1_000_000)
MAX_SEED = 2**32 - 1
VIEWS = ("main", "class")
LESSONS = ("none", *(lesson.id for lesson in all_lessons()))
LESSON_TITLES = {"none": "none", **{lesson.id: lesson.title for lesson in all_lessons()}}
SOURCES = ("synthetic", "sample", "model", "file")
MODEL_TENSOR_DEFAULT = "conv2.weight"
SAMPLE_TENSOR_DEFAULT = "encoder.layer.0.intermediate.dense.weight"
INTEGER_LAYERS = ("conv1", "conv2", "fc1", "fc2")  # the digits CNN's layers (the Integers room)
TRANSFORMER = "Transformer"  # the room of MiniLM-L6's activations and methods
MINILM_LINEARS = linear_names(BertConfig())  # the 36 Linears of MiniLM-L6 (BERT's shape)
MINILM_LINEAR_DEFAULT = SAMPLE_TENSOR_DEFAULT  # the FFN input of layer 0: channel 99 at 28.5

_DISTRIBUTIONS = {d.name: d for d in qv.distributions()}
_STRATEGIES = {s.name: s for s in qv.strategies()}
_FORMATS = {f.name: f for f in qv.formats()}


def integer_grid(s: Settings) -> bool:
    """True when the page shows the integer grid (its bits, scheme, strategy, rounding)."""
    return s["format"] == "int"


def own_granularity(s: Settings) -> bool:
    """True when the granularity is the user's to choose: the integer grid and the element
    floats, binary and ternary. MX, NVFP4 and GGML take their fixed blocks; NF4 takes the
    flattened blocks of 64 that bitsandbytes stores."""
    if integer_grid(s):
        return True
    fmt = _FORMATS[s["format"]]
    return fmt.block_size is None and not fmt.flattened


def _int_only(applies: Predicate) -> Predicate:
    return lambda s: integer_grid(s) and applies(s)


def _when(key: str, *values: Value) -> Predicate:
    return lambda s: s[key] in values


def _synthetic(s: Settings) -> bool:
    return s["source"] == "synthetic"


def _from_param(p: qv.Param, key: str, *, applies: Predicate, group: str, quantize=None) -> Setting:
    """A setting for a library parameter (a distribution's or a strategy's knob)."""
    if p.integer:
        return Setting(
            key, "int", int(p.default), p.name, p.description, low=p.low, high=p.high,
            step=1, widget="slider", url=p.name, applies=applies, group=group,
            quantize=quantize,
        )  # fmt: skip
    step = 10.0 ** math.floor(math.log10((p.high - p.low) / 5000))
    return Setting(
        key, "float", p.default, p.name, p.description, low=p.low, high=p.high, step=step,
        widget="slider", url=p.name, applies=applies, group=group, quantize=quantize,
    )  # fmt: skip


def _distribution_settings() -> list[Setting]:
    out = []
    for d in _DISTRIBUTIONS.values():
        for p in d.params:
            out.append(
                _from_param(
                    p,
                    f"{d.name}.{p.name}",
                    group="data",
                    applies=lambda s, name=d.name: _synthetic(s) and s["dist"] == name,
                )
            )
    return out


def _strategy_settings() -> list[Setting]:
    out = []
    for strategy in _STRATEGIES.values():
        for p in strategy.params:
            out.append(
                _from_param(
                    p,
                    p.name,
                    group="quantization",
                    applies=_int_only(lambda s, name=strategy.name: s["strategy"] == name),
                    quantize=lambda v, name=p.name: {name: v},
                )
            )
    return out


def _scheme_kwargs(scheme: str) -> dict:
    return {"symmetric": scheme != "asymmetric", "narrow_range": scheme == "narrow"}


SETTINGS: tuple[Setting, ...] = (
    # ---- the data --------------------------------------------------------
    Setting(
        "source",
        "choice",
        "synthetic",
        "Data",
        "A synthetic distribution, real MiniLM-L6 weights shipped with quantviz, the digits "
        "CNN trained here (the Accuracy room's model), or your file.",
        options=SOURCES,
        widget="radio",
        group="data",
        link_options=("synthetic", "sample", "model"),
        link_refusal="An uploaded file cannot travel in a link: upload it again.",
        option_labels={
            "synthetic": "Synthetic distribution",
            "sample": "MiniLM-L6 (real)",
            "model": "Digits CNN (trained here)",
            "file": "Your file",
        },
    ),
    Setting(
        "dist",
        "choice",
        "laplace",
        "Distribution",
        "Synthetic weights; each shape teaches one thing.",
        options=tuple(_DISTRIBUTIONS),
        widget="selectbox",
        applies=_synthetic,
        pinned=True,
        option_labels=DIST_LABELS,
        group="data",
    ),
    *_distribution_settings(),
    Setting(
        "n",
        "choice",
        100_000,
        "Sample size n",
        "How many values to draw.",
        options=SAMPLE_SIZES,
        widget="select_slider",
        applies=_synthetic,
        pinned=True,
        option_labels={n: f"{n:,}" for n in SAMPLE_SIZES},
        group="data",
    ),
    Setting(
        "seed",
        "int",
        0,
        "Seed",
        "The same seed always draws the same values; + draws a new sample.",
        low=0,
        high=MAX_SEED,
        step=1,
        widget="number",
        pinned=True,
        group="data",
        applies=lambda s: _synthetic(s) or (s["rounding"] == "stochastic" and integer_grid(s)),
    ),
    Setting(
        "tensor",
        "text",
        SAMPLE_TENSOR_DEFAULT,
        "Tensor",
        "Which tensor of the file to show.",
        widget="selectbox",
        applies=_when("source", "sample"),
        pinned=True,
        group="data",
        max_chars=MAX_NAME_CHARS,
    ),
    Setting(
        "model_tensor",
        "text",
        MODEL_TENSOR_DEFAULT,
        "Layer",
        "Which weight of the digits CNN to show (the Accuracy room runs the whole network).",
        widget="selectbox",
        url="layer",
        applies=_when("source", "model"),
        pinned=True,
        group="data",
        max_chars=MAX_NAME_CHARS,
    ),
    Setting(
        "file_tensor",
        "text",
        "",
        "Tensor",
        "Which tensor of your file to show.",
        widget="selectbox",
        url=None,
        applies=_when("source", "file"),
        group="data",
        max_chars=MAX_NAME_CHARS,
    ),
    # ---- the quantization -------------------------------------------------
    Setting(
        "format",
        "choice",
        "int",
        "Number format",
        "INT: the integer grid the settings below describe. The others store each value in "
        "a small float, a codebook or llama.cpp's blocks, with their own bits and scales.",
        options=("int", *_FORMATS),
        option_labels={"int": "INT (integer grid)", **{f: FORMAT_LABELS[f] for f in _FORMATS}},
        widget="selectbox",
        quantize=lambda v: {} if v == "int" else {"format": v},
    ),
    Setting(
        "bits",
        "int",
        4,
        "Bit width b",
        "2^b levels, 2^b − 1 steps between the lowest and the highest.",
        low=1,
        high=qv.quantizer.MAX_BITS,
        step=1,
        widget="slider",
        pinned=True,
        applies=integer_grid,
        quantize=lambda v: {"bits": v},
    ),
    Setting(
        "scheme",
        "choice",
        "asymmetric",
        "Scheme",
        "Asymmetric: codes 0 … 2^b − 1 and a zero point. Symmetric: codes −2^(b−1) … "
        "2^(b−1) − 1, zero point 0. Narrow: symmetric without the lowest code (TensorRT).",
        options=SCHEMES,
        widget="selectbox",
        pinned=True,
        applies=integer_grid,
        quantize=_scheme_kwargs,
        option_labels={
            "asymmetric": "asymmetric (zero point)",
            "symmetric": "symmetric",
            "narrow": "symmetric, narrow range",
        },
        aliases={
            "symmetric": {"true": "symmetric", "false": "asymmetric"},
            "narrow": {"true": "narrow"},
        },
    ),
    Setting(
        "strategy",
        "choice",
        "minmax",
        "Range strategy",
        "How the clipping range [ℓ, h] is chosen from the values.",
        options=tuple(_STRATEGIES),
        widget="selectbox",
        pinned=True,
        option_labels=STRATEGY_LABELS,
        applies=integer_grid,
        quantize=lambda v: {"strategy": v},
    ),
    *_strategy_settings(),
    Setting(
        "manual_range",
        "range",
        None,
        "Clipping range [ℓ, h]",
        "Too narrow: many values clipped. Too wide: coarse steps.",
        widget="range_slider",
        url=("low", "high"),
        applies=_int_only(_when("strategy", "manual")),
        quantize=lambda v: {} if v is None else {"low": v[0], "high": v[1]},
    ),
    Setting(
        "granularity",
        "choice",
        "tensor",
        "One scale per",
        "Granularity: which values share one scale and zero point.",
        options=qv.GRANULARITIES,
        option_labels={"tensor": "tensor", "channel": "channel (row)", "group": "group"},
        widget="selectbox",
        pinned=True,
        applies=own_granularity,
        quantize=lambda v: {"granularity": v},
    ),
    Setting(
        "axis",
        "int",
        0,
        "Channel axis",
        "Each slice along this axis gets its own scale.",
        low=0,
        high=7,
        step=1,
        widget="selectbox",
        applies=lambda s: own_granularity(s) and s["granularity"] == "channel",
        quantize=lambda v: {"axis": v},
    ),
    Setting(
        "group_size",
        "int",
        128,
        "Group size",
        "Consecutive values of the last axis that share one scale.",
        low=1,
        high=2**31,
        step=1,
        widget="selectbox",
        applies=lambda s: own_granularity(s) and s["granularity"] == "group",
        quantize=lambda v: {"group_size": v},
    ),
    Setting(
        "rounding",
        "choice",
        "nearest",
        "Rounding",
        "Nearest: half to even, as PyTorch. Stochastic: up with a probability equal to the "
        "fraction of a step above the level below (the nearer level is the likelier), so "
        "unbiased on average.",
        options=qv.quantizer.ROUNDINGS,
        option_labels={"nearest": "nearest", "stochastic": "stochastic"},
        widget="segmented",
        applies=integer_grid,
        quantize=lambda v: {"rounding": v},
    ),
    # ---- the views ----------------------------------------------------------
    Setting(
        "log",
        "bool",
        False,
        "Log counts",
        "Show rare values: tails and clipped mass.",
        widget="toggle",
        group="view",
    ),
    Setting(
        "compare",
        "choices",
        ("minmax", "percentile", "aciq_laplace"),
        "Strategies to compare",
        "Each strategy's error at every bit width from 1 to 16.",
        options=tuple(n for n in _STRATEGIES if n != "manual"),
        widget="multiselect",
        option_labels=STRATEGY_LABELS,
        group="view",
    ),
    Setting(
        "room",
        "choice",
        "Trade-off",
        "Room",
        "The view below the histograms.",
        options=tuple(room.key for room in ROOMS),  # the rooms' registry
        group="view",
    ),
    Setting(
        "block",
        "int",
        0,
        "Block",
        "Which block to open: 1 is the first; 0 opens the one with the largest error.",
        low=0,
        high=2**31,
        step=1,
        widget="number",
        applies=lambda s: not integer_grid(s) and s["room"] == "Block",
        group="view",
    ),
    Setting(
        "prune",
        "int",
        50,
        "Weights removed, %",
        "The smallest weights of the digits CNN are set to zero, then the rest are quantized.",
        low=0,
        high=90,
        step=10,
        widget="slider",
        applies=_when("room", "Accuracy"),
        group="view",
    ),
    Setting(
        "prune_scope",
        "choice",
        "layer",
        "Pruning",
        "Each layer loses the same share of its weights, or one threshold for the whole model.",
        options=("layer", "global"),
        option_labels={"layer": "each layer alike", "global": "one threshold for the model"},
        widget="radio",
        applies=_when("room", "Accuracy"),
        group="view",
    ),
    Setting(
        "max_drop",
        "choice",
        1,
        "Accuracy you may lose (points)",
        "The fewest-bits search keeps the accuracy within this many points of float32.",
        options=(0.5, 1, 2, 5),
        widget="select_slider",
        applies=_when("room", "Accuracy"),
        group="view",
    ),
    Setting(
        "int_layer",
        "choice",
        "conv2",
        "Layer",
        "Which layer of the digits CNN to follow through the integer pipeline.",
        options=INTEGER_LAYERS,
        widget="segmented",
        applies=_when("room", "Integers"),
        group="view",
    ),
    Setting(
        "digit",
        "int",
        0,
        "Test digit",
        "Which of the 540 test digits goes through the layer (0 is the first).",
        low=0,
        high=539,
        step=1,
        widget="number",
        applies=_when("room", "Integers"),
        group="view",
    ),
    Setting(
        "qat_epochs",
        "choice",
        3,
        "Epochs",
        "How many passes over the 1,257 training digits the fine-tune makes (about a second each).",
        options=(1, 2, 3, 5),
        widget="select_slider",
        applies=_when("room", "Train for it"),
        group="view",
    ),
    # ---- the Transformer room (a lesson step and a link set them) ------------------
    Setting(
        "linear",
        "choice",
        MINILM_LINEAR_DEFAULT,
        "Linear layer",
        "One of MiniLM-L6's 36 Linear layers: its input's channels, SmoothQuant on it, and "
        "the rounding methods on its weight.",
        options=MINILM_LINEARS,
        widget="selectbox",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    Setting(
        "act_bits",
        "choice",
        6,
        "Activation bits",
        "Every Linear's input on an integer grid of this many bits (weights 8 bits per channel).",
        options=(6, 8),
        widget="segmented",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    Setting(
        "alpha",
        "choice",
        0.8,
        "SmoothQuant's α",
        "How much of each input channel's range moves into the weight: s_j = max|X_j|^α / "
        "max|W_j|^(1−α). Off: no smoothing.",
        options=("off", *ALPHAS),
        widget="select_slider",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    Setting(
        "smooth_scope",
        "choice",
        "all",
        "Smooth",
        "Every Linear input (a simulation: the GELU output's division cannot be folded "
        "anywhere), or only the inputs a LayerNorm feeds, whose division folds into its γ "
        "and β (what a deployment can ship).",
        options=("all", "layernorm"),
        option_labels={
            "all": "every input (simulation)",
            "layernorm": "LayerNorm-fed only (deployable)",
        },
        widget="radio",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    Setting(
        "weight_bits",
        "int",
        4,
        "Weight bits",
        "The bits of every Linear weight, one scale per output channel.",
        low=2,
        high=8,
        step=1,
        widget="slider",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    Setting(
        "method",
        "choice",
        "gptq",
        "Rounding",
        "RTN rounds each weight to its nearest level; GPTQ chooses each rounding for the "
        "layer's output; AWQ scales up the weight columns that meet large inputs first.",
        options=("rtn", "gptq", "awq"),
        option_labels={"rtn": "RTN", "gptq": "GPTQ", "awq": "AWQ"},
        widget="segmented",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    Setting(
        "weight_scales",
        "choice",
        "channel",
        "Weight scales",
        "The model's curves against bits: one scale per output channel, or one per group of "
        "32 weights along the input (a float32 scale and a zero point for every 32 weights: "
        "1.1 to 1.25 bits more per weight).",
        options=("channel", "g32"),
        option_labels={"channel": "per channel", "g32": "per group of 32"},
        widget="radio",
        applies=_when("room", TRANSFORMER),
        group="view",
    ),
    # ---- the worked example ------------------------------------------------------
    Setting(
        "values",
        "text",
        "1.2, 2.3, 3.4, 4.5, 5.6",
        "Values",
        "Up to 16 numbers, separated by commas. The default is the article's example.",
        widget="text_input",
        applies=_when("lesson", "worked-example"),
        group="view",
    ),
    Setting(
        "follow",
        "int",
        1,
        "Follow value",
        "Walk one value through every step of the formula.",
        low=1,
        high=16,
        step=1,
        widget="slider",
        applies=_when("lesson", "worked-example"),
        group="view",
    ),
    # ---- the page --------------------------------------------------------------
    Setting(
        "lang",
        "choice",
        "en",
        "Language",
        "English or 简体中文; a link carries it (lang=zh).",
        options=tuple(LANGUAGES),
        option_labels=LANGUAGES,
        widget="segmented",
        group="page",
    ),
    Setting(
        "lesson",
        "choice",
        "none",
        "Lesson",
        "A lesson walks through one idea, step by step (quantviz_app/lessons/).",
        options=LESSONS,
        option_labels=LESSON_TITLES,
        group="page",
    ),
    Setting(
        "step",
        "int",
        1,
        "Step",
        "The step of the lesson.",
        low=1,
        high=50,
        pinned=True,
        applies=lambda s: s["lesson"] != "none",
        group="page",
    ),
    Setting(
        "course",
        "bool",
        False,
        "Course",
        "The course's page: every lesson in order, with its length and what it needs "
        "(quantviz_app/lessons/course.toml); a link opens it with course=1.",
        group="page",
    ),
    Setting(
        "view",
        "choice",
        "main",
        "View",
        "main: every view; class: one screen for a projector.",
        options=VIEWS,
        group="page",
    ),
    Setting(
        "hide",
        "choices",
        (),
        "Hidden controls",
        "Controls a teacher's link hides: setting names, or data / quantization / view.",
        options=(),
        group="page",
    ),
)
"""Every setting, in the order a link is read and the controls are drawn."""

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
PAGE_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS if s.group == "page")
"""The page's own settings (language, view, hidden controls, lesson and step): a scene or a
lesson step sets everything else and leaves these as they are."""
HIDEABLE: tuple[str, ...] = (
    "data", "quantization", "view", "presets",
    *(s.key for s in SETTINGS if s.widget is not None),
)  # fmt: skip
"""What a link's ``hide=`` can name: a group of controls, the presets, or one setting."""
BY_KEY["hide"] = dataclasses.replace(BY_KEY["hide"], options=HIDEABLE)
SETTINGS = tuple(BY_KEY.values())


class Settings(Mapping):
    """The value of every setting: immutable, hashable (a cache key), read as ``s["bits"]``.

    Attribute access works for keys that are names (``s.bits``). Build one with
    ``Settings()`` (the defaults) or ``Settings.of(mapping)`` (checked), and change it
    with :meth:`replace`.
    """

    __slots__ = ("_items", "_values")

    def __init__(self, values: Mapping[str, Value] | None = None) -> None:
        merged = {s.key: s.default for s in SETTINGS}
        if values:
            unknown = set(values) - set(merged)
            if unknown:
                raise KeyError(f"no such setting: {sorted(unknown)[0]}")
            merged.update(values)
        object.__setattr__(self, "_values", merged)
        object.__setattr__(self, "_items", tuple(merged.items()))

    @classmethod
    def of(cls, values: Mapping[str, Value]) -> Settings:
        """Settings from ``values`` (setting key → value), each checked (``ValueError``)."""
        return cls({k: BY_KEY[k].check(v) for k, v in values.items()})

    def __getitem__(self, key: str) -> Value:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> Value:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Value) -> None:
        raise AttributeError("Settings are immutable: use .replace(...)")

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._items == other._items

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._items if v != BY_KEY[k].default}
        return f"Settings({changed})"

    def replace(self, **changes: Value) -> Settings:
        """A copy with some settings changed (``replace(**{"a.b": 1})`` for dotted keys)."""
        return Settings({**self._values, **changes})

    def applies(self, key: str) -> bool:
        """Whether the setting ``key`` matters under these settings."""
        return BY_KEY[key].applies(self)

    def differs(self, other: Settings) -> list[str]:
        """Keys whose values differ from ``other``'s."""
        return [k for k, v in self._items if other[k] != v]


def option_label(key: str, value: Value, t: Tr) -> str:
    """How ``value`` of the setting ``key`` is shown, in ``t``'s language."""
    return t.option(key, value, BY_KEY[key].show(value))


def format_name(name: str, t: Tr) -> str:
    """A number format's name without its source, for titles: ``Q4_0``, not ``Q4_0
    (llama.cpp)``."""
    return re.split(r" \(|（", option_label("format", name, t))[0]


def quantize_kwargs(s: Settings) -> dict:
    """The keyword arguments of ``qv.quantize`` for these settings (``bits`` included)."""
    kwargs: dict = {}
    for setting in SETTINGS:
        if setting.quantize is not None and setting.applies(s):
            kwargs.update(setting.quantize(s[setting.key]))
    if s["rounding"] == "stochastic" and s.applies("rounding"):
        kwargs["seed"] = s["seed"]
    return kwargs


def distribution_params(s: Settings) -> dict[str, float]:
    """The chosen distribution's parameters, as keywords of ``qv.sample``."""
    prefix = f"{s['dist']}."
    return {k.removeprefix(prefix): v for k, v in s.items() if k.startswith(prefix)}


# ----------------------------------------------------------------- links --


def _bad_value(keys: tuple[str, ...], flat: Mapping[str, str], exc: ValueError) -> Message:
    """``"bits must be a whole number from 1 to 16; the link says 'abc'."``, as a message."""
    valid = exc.message if isinstance(exc, Invalid) else str(exc)
    if len(keys) == 1:
        return Message("text.link.must_be", "{name} must be {valid}; the link says '{said}'.",
                       {"name": keys[0], "valid": valid, "said": flat[keys[0]][:40]})  # fmt: skip
    first, second = keys
    return Message(
        "text.link.must_be_two",
        "{first} and {second} must be {valid}; the link says {first}='{a}' and {second}='{b}'.",
        {"first": first, "second": second, "valid": valid,
         "a": flat.get(first, "")[:40], "b": flat.get(second, "")[:40]},
    )  # fmt: skip


def parse_link(query: Mapping[str, object]) -> tuple[Settings, list[Message]]:
    """Settings from a link's query, and one sentence for every value it gets wrong.

    ``query`` maps names to strings (or lists of strings: the last counts, as in
    ``st.query_params``). Settings are read in :data:`SETTINGS` order, each only if
    it applies to the settings the link gives (a distribution's parameter only for that
    distribution, the seed only for a synthetic tensor or stochastic rounding). A bad
    value keeps the default and adds a note such as
    ``"bits must be a whole number from 1 to 16; the link says 'abc'."`` (a
    :class:`~quantviz_app.i18n.Message`: ``str()`` is the English). Unknown names are
    ignored. Never raises.
    """
    flat: dict[str, str] = {}
    for name, value in query.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        flat[str(name)] = str(value)
    values: dict[str, Value] = {}
    problems: dict[str, str] = {}
    for setting in SETTINGS:
        if not setting.url_keys:
            continue
        for old, mapping in setting.aliases.items():
            if old in flat and setting.url_keys[0] not in flat and flat[old] in mapping:
                values[setting.key] = mapping[flat[old]]
        try:
            values[setting.key] = setting.read(flat)
        except KeyError:
            continue
        except Refused as exc:
            problems[setting.key] = exc.message
        except ValueError as exc:
            problems[setting.key] = _bad_value(setting.url_keys, flat, exc)
    # What applies depends on what was read (a parameter of the chosen distribution,
    # the seed of stochastic rounding): keep only the values and the problems of
    # settings that apply to the settings the link gives.
    s = Settings(values)
    s = Settings({k: v for k, v in values.items() if s.applies(k)})
    notes = [text for key, text in problems.items() if s.applies(key)]
    return s, notes


def to_link(s: Settings) -> dict[str, str]:
    """The query of a link that restores ``s``: settings that apply and differ from their
    default, and the pinned ones (the data and the main choices) always."""
    query: dict[str, str] = {}
    for setting in SETTINGS:
        if not setting.url_keys or not setting.applies(s):
            continue
        value = s[setting.key]
        if setting.key == "source" and value == "file":
            continue  # an upload cannot travel in a link
        if setting.pinned or value != setting.default:
            query.update(setting.write(value))
    return query
