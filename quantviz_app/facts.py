"""Facts: the named numbers a lesson can show and ask about, for the data on screen.

Each fact is computed by the core (``qv.quantize`` through the tensor's cache) at the
page's settings, or at a variant of them (one more bit, another strategy, another number
format), so a question's answer is always the one for the data the student is looking
at. The network's facts (``model_…``, ``act_…``, ``prune_…``, ``seeds_…``) are the
digits CNN's at the page's settings (:func:`quantviz.evaluate`, shared with the Accuracy
room's cache). A lesson file names them (``answer = "scale"``, ``{scale}`` in a text);
:data:`FACTS` lists them with what they mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

import quantviz as qv
from quantviz.fit import fit_settings
from quantviz.models.calibration import StaticGrid, static_grid
from quantviz.models.evaluate import bias_codes, quantize_layer
from quantviz_app.chip_facts import CHIP_FACTS
from quantviz_app.data import Data, shared_store
from quantviz_app.fact import Fact, Value
from quantviz_app.facts_transformer import TRANSFORMER_FACTS
from quantviz_app.format import db, num
from quantviz_app.i18n import Tr
from quantviz_app.rooms import accuracy as room
from quantviz_app.schema import Settings, quantize_kwargs

TARGETS_DB = (18, 20, 30, 40)  # the SQNR targets "fewest bits" facts exist for
CENTRAL = 99.9  # the percentile range of the outliers lesson: the central 99.9 % of the values


def result(s: Settings, data: Data, **change: object) -> qv.QuantResult:
    """The quantization at ``s`` (with ``change`` to its settings), fitted to the tensor."""
    kwargs, _ = fit_settings(data.shape, **quantize_kwargs(s.replace(**change) if change else s))
    return data.quantized(kwargs, arrays=False)


def _metric(key: str, **change: object) -> Callable[[Settings, Data], float]:
    return lambda s, data: float(result(s, data, **change).metrics[key])


def _sqnr(**change: object) -> Callable[[Settings, Data], float]:
    return _metric("sqnr_db", **change)


def _next_bit(s: Settings, data: Data) -> float:
    return _sqnr(bits=min(s["bits"] + 1, 16))(s, data)


def _direction_of(gain: Callable[[Settings, Data], float]) -> Callable[[Settings, Data], str]:
    """``"up"``, ``"down"`` or ``"same"`` (within 0.05 dB) for an SQNR difference."""

    def direction(s: Settings, data: Data) -> str:
        g = gain(s, data)
        return "same" if abs(g) < 0.05 else ("up" if g > 0 else "down")

    return direction


def _relation(difference_db: float) -> str:
    """``"below"``, ``"same"`` (within 0.5 dB) or ``"above"``."""
    return "same" if abs(difference_db) < 0.5 else ("above" if difference_db > 0 else "below")


def fewest_bits(s: Settings, data: Data, target_db: float) -> int:
    """The fewest bits (1–16) whose SQNR reaches ``target_db`` with the other settings as
    on screen; 17 if even 16 bits do not."""
    for bits in range(1, 17):
        if _sqnr(bits=bits)(s, data) >= target_db:
            return bits
    return 17


def bits_search(s: Settings, data: Data, target_db: float) -> str:
    """The search for :func:`fewest_bits` as it runs, one bit width per line (Markdown)."""
    lines = []
    for bits in range(1, 17):
        sqnr = _sqnr(bits=bits)(s, data)
        met = sqnr >= target_db
        t = Tr(s["lang"])
        line = t(
            "text.fact.search_line", "- {bits}: {sqnr}", bits=t.count(bits, "bit"), sqnr=db(sqnr)
        )
        lines.append(line + (" ✓" if met else ""))
        if met:
            break
    return "\n".join(lines)


def _grid(attr: str) -> Callable[[Settings, Data], float]:
    return lambda s, data: float(getattr(result(s, data), attr))


def _article_step(s: Settings, data: Data) -> float:
    return (data.high - data.low) / s["bits"]


def _uniform_db(s: Settings, data: Data) -> float:
    return float(qv.sqnr_uniform_db([s["bits"]])[0])


# ---- the grid against evenly spread values (the bits-and-error lesson) ----------------


def _spread_db(s: Settings, data: Data) -> float:
    """10·log10(12 · mean x² / R²), R = h − ℓ: where the tensor's SQNR sits against
    evenly spread values over the same range, once rounding noise is s²/12 (the two
    curves then run parallel, this far apart)."""
    r = result(s, data)
    width = float(r.high) - float(r.low)
    power = float(r.metrics["signal_power"])
    return 10 * math.log10(12 * power / width**2) if width > 0 and power > 0 else math.nan


def _range_sigmas(s: Settings, data: Data) -> float:
    """How many standard deviations the grid's range h − ℓ spans."""
    r = result(s, data)
    std = float(data.memo("std", compute=lambda: float(np.std(data.x, dtype=np.float64))))
    return (float(r.high) - float(r.low)) / std if std > 0 else math.nan


def _high_in_codes(s: Settings, data: Data) -> float:
    """Where x/s + z sends the range's high end h: qmax (the grid maps [ℓ, h] onto the
    codes by itself; no normalization step)."""
    r = result(s, data)
    return float(r.high) / float(r.scale) + float(r.zero_point)


# ---- number formats ---------------------------------------------------------------

FORMATS_4BIT = {  # the 4-bit formats the number-formats lesson compares, as the page sets them
    "int4": {"format": "int", "bits": 4, "scheme": "symmetric", "granularity": "tensor"},
    "fp4": {"format": "fp4_e2m1", "granularity": "tensor"},
    "nf4": {"format": "nf4"},
    "mxfp4": {"format": "mxfp4"},
}


def _format_metric(name: str, key: str) -> Callable[[Settings, Data], float]:
    return lambda s, d: float(result(s, d, **FORMATS_4BIT[name]).metrics[key])


def _better(a: str, b: str) -> Callable[[Settings, Data], str]:
    """``a``, ``b`` or ``"same"`` (within 0.05 dB): which 4-bit format keeps more SQNR."""

    def which(s: Settings, data: Data) -> str:
        g = _format_metric(a, "sqnr_db")(s, data) - _format_metric(b, "sqnr_db")(s, data)
        return "same" if abs(g) < 0.05 else (a if g > 0 else b)

    return which


# ---- the digits CNN at the page's settings (the Accuracy room's cache) --------------


def _kwargs(s: Settings, **change: object) -> dict:
    return quantize_kwargs(s.replace(**change) if change else s)


def _evaluation(s: Settings, **change: object) -> qv.Evaluation:
    return room.current(room.model_settings(_kwargs(s, **change))[0])


def _model_memo(what: str, key: tuple, compute: Callable[[], object]) -> object:
    return shared_store().get(("facts", room.MODEL, what, *key), compute)


def _evaluated(s: Settings, **options: object) -> qv.Evaluation:
    """The model at the page's settings with ``options`` of :func:`quantviz.evaluate`
    (``prune``, ``bits``, …), without the per-layer table."""
    kwargs = {**_kwargs(s), **options}
    key = room.freeze(kwargs)
    return _model_memo("evaluate", key, lambda: qv.evaluate(room.MODEL, layer_accuracy=False,
                                                            **kwargs))  # fmt: skip


def _noise(s: Settings) -> float:
    """The test set's noise: the standard error of the float accuracy (a fraction)."""
    r = _evaluation(s)
    return qv.accuracy_standard_error(r.float_accuracy, len(r.predictions))


def _accuracy_direction(s: Settings, data: Data) -> str:
    """``"within"`` the test set's noise of float, or ``"drops"`` / ``"rises"`` beyond it."""
    r = _evaluation(s)
    change = r.accuracy - r.float_accuracy
    return "within" if abs(change) <= _noise(s) else ("rises" if change > 0 else "drops")


def _layer_drops(s: Settings) -> dict[str, float]:
    """Each layer's accuracy lost (points) when only it is quantized."""
    table = _evaluation(s).per_layer
    return {str(k): 100 * float(v) for k, v in zip(table["layer"], table["drop"], strict=True)}


def _drops_text(s: Settings, data: Data) -> str:
    t = Tr(s["lang"])
    return t("text.list_separator", ", ").join(
        f"{layer} {num(round(v, 1) + 0.0, 3)}" for layer, v in _layer_drops(s).items()
    )


def _fewest_uniform(s: Settings) -> tuple[int, qv.Evaluation]:
    """The fewest bits, the same for every layer (8 down to 2), whose accuracy stays within
    ``max_drop`` points of float; and that evaluation."""
    drop = float(s["max_drop"]) / 100
    best = 8, _evaluated(s, bits=8)
    for bits in range(7, 1, -1):
        r = _evaluated(s, bits=bits)
        if r.accuracy < r.float_accuracy - drop - 1e-12:
            break
        best = bits, r
    return best


def _mixed(s: Settings) -> qv.FewestBits:
    """The greedy search's bits per layer within ``max_drop`` points (the Accuracy room's)."""
    rest = room.model_settings(_kwargs(s))[1]
    drop = float(s["max_drop"])
    return _model_memo("fewest", (rest, drop), lambda: qv.fewest_bits(
        room.MODEL, max_drop=drop / 100, **dict(rest)))  # fmt: skip


def _mixed_or_uniform(s: Settings, data: Data) -> str:
    """``"mixed"`` if the search's bits per layer store fewer bits per weight than the
    fewest uniform bits within the same drop, ``"uniform"`` if more, else ``"same"``."""
    mixed = _mixed(s).bits_per_weight
    uniform = _fewest_uniform(s)[1].bits_per_weight
    return "same" if abs(mixed - uniform) < 0.005 else ("mixed" if mixed < uniform else "uniform")


def _pruned(s: Settings, **change: object) -> qv.Evaluation:
    """The model with the page's share pruned (``prune``, per layer or global)."""
    s = s.replace(**change) if change else s
    return _evaluated(s, prune=s["prune"] / 100, prune_scope=s["prune_scope"])


def _prune_or_half_bits(s: Settings, data: Data) -> str:
    """Pruned at these bits, or half the bits and nothing pruned: ``"half_bits"`` if that is
    smaller and at least as accurate, ``"pruned"`` if the pruned one is, else ``"neither"``."""
    pruned, half = _pruned(s), _evaluated(s, bits=max(s["bits"] // 2, 1))
    if half.bits_per_weight <= pruned.bits_per_weight and half.accuracy >= pruned.accuracy:
        return "half_bits"
    if pruned.bits_per_weight <= half.bits_per_weight and pruned.accuracy >= half.accuracy:
        return "pruned"
    return "neither"


def _spread(s: Settings) -> qv.Spread:
    return room.spread(room.model_settings(_kwargs(s, rounding="stochastic"))[0])


def _nearest_vs_seeds(s: Settings, data: Data) -> str:
    """``"above"`` every seed's accuracy, ``"below"`` every one, or ``"within"`` them."""
    nearest, sp = _evaluated(s, rounding="nearest").accuracy, _spread(s)
    return "above" if nearest > sp.high else ("below" if nearest < sp.low else "within")


def _layer(s: Settings) -> str:
    """The layer whose weight the page shows (``fc1`` for ``fc1.weight``)."""
    return str(s["model_tensor"]).rsplit(".", 1)[0]


def _input_grid(s: Settings) -> StaticGrid:
    layer, bits = _layer(s), s["bits"]
    return _model_memo("static", (layer, bits), lambda: static_grid(room.MODEL, layer, bits))


def _dynamic_vs_static(s: Settings, data: Data) -> str:
    """``"finer"``, ``"coarser"`` or ``"same"``: the median test example's own (dynamic)
    step against the static one."""
    g = _input_grid(s)
    median = float(np.median(g.dynamic_scales))
    return "same" if math.isclose(median, g.scale, rel_tol=1e-3) else (
        "finer" if median < g.scale else "coarser")  # fmt: skip


def _bias(s: Settings) -> tuple[float, float, float]:
    """The shown layer's largest bias b (in size), its output channel's weight step s_w and
    its int32 code on s_w · s_x (the static input step) at the page's settings."""
    layer = qv.load_model(room.MODEL).layer(_layer(s))
    i = int(np.argmax(np.abs(layer.bias)))
    q = quantize_layer(layer.weight, dict(room.model_settings(_kwargs(s))[0]))
    if q.out_scales is None:  # groups or a number format: the bias stays float32
        return float(layer.bias[i]), math.nan, math.nan
    codes, _ = bias_codes(layer.bias, q.out_scales, np.float32(_input_grid(s).scale))
    return float(layer.bias[i]), float(q.out_scales[i]), float(codes[i]) + 0.0


FACTS: dict[str, Fact] = {
    f.name: f
    for f in [
        Fact("bits", "the bit width b", "int", lambda s, d: s["bits"]),
        Fact("levels", "the number of levels, 2^b", "int", lambda s, d: 2 ** s["bits"]),
        Fact(
            "gaps",
            "the steps between the end levels, 2^b − 1",
            "int",
            lambda s, d: 2 ** s["bits"] - 1,
        ),
        Fact("data_min", "the smallest value", "", lambda s, d: d.low),
        Fact("data_max", "the largest value", "", lambda s, d: d.high),
        Fact("data_range", "max − min of the values", "", lambda s, d: d.high - d.low),
        Fact("low", "the range's low end ℓ (widened to include 0)", "", _grid("low")),
        Fact("high", "the range's high end h", "", _grid("high")),
        Fact(
            "grid_range",
            "h − ℓ",
            "",
            lambda s, d: float(result(s, d).high) - float(result(s, d).low),
        ),
        Fact("scale", "the step size s", "", _grid("scale")),
        Fact("top_level", "the value of the top code, (qmax − z)·s", "", _grid("grid_high")),
        Fact("zero_point", "the zero point z (the code of 0.0)", "int", _grid("zero_point")),
        Fact("qmin", "the smallest code", "int", lambda s, d: result(s, d).qmin),
        Fact("qmax", "the largest code", "int", lambda s, d: result(s, d).qmax),
        Fact("levels_used", "levels that hold at least one value", "int", _metric("levels_used")),
        Fact("sqnr_db", "the SQNR on screen", "dB", _sqnr()),
        Fact("mse", "the mean squared error", "", _metric("mse")),
        Fact("mse_rounding", "the MSE of the values inside the grid", "", _metric("mse_rounding")),
        Fact("mse_clipping", "the MSE of the clipped values", "", _metric("mse_clipping")),
        Fact(
            "rounding_noise",
            "s²/12, the rounding MSE of evenly spread values",
            "",
            lambda s, d: float(result(s, d).scale) ** 2 / 12,
        ),
        Fact("max_error", "the largest |x̂ − x|", "", _metric("max_error")),
        Fact(
            "clipped_percent",
            "the share of values clipped",
            "%",
            lambda s, d: 100 * float(result(s, d).metrics["clipped_fraction"]),
        ),
        Fact("article_step", "the article's step, (max − min) / b", "", _article_step),
        Fact(
            "article_step_ratio",
            "the article's step over the right one",
            "",
            lambda s, d: _article_step(s, d) / float(result(s, d).scale),
        ),
        Fact(
            "uniform_sqnr_db",
            "the SQNR of evenly spread values, 20·log10(2^b − 1)",
            "dB",
            _uniform_db,
        ),
        Fact(
            "vs_uniform",
            "below, same or above: the SQNR against evenly spread values'",
            "text",
            lambda s, d: _relation(_sqnr()(s, d) - _uniform_db(s, d)),
        ),
        Fact("sqnr_next_bit_db", "the SQNR with one more bit", "dB", _next_bit),
        Fact(
            "sqnr_gain_db",
            "what one more bit adds to the SQNR",
            "dB",
            lambda s, d: _next_bit(s, d) - _sqnr()(s, d),
        ),
        Fact(
            "next_bit_direction",
            "up, down or same: the SQNR with one more bit",
            "text",
            _direction_of(lambda s, d: _next_bit(s, d) - _sqnr()(s, d)),
        ),
        Fact("sqnr_minmax_db", "the SQNR with the min-max range", "dB", _sqnr(strategy="minmax")),
        Fact(
            "sqnr_percentile_db",
            "the SQNR with the range of the central 99.9 % (0.05th to 99.95th percentile)",
            "dB",
            _sqnr(strategy="percentile", percentile=CENTRAL),
        ),
        Fact(
            "clipping_gain_db",
            "the central 99.9 % range over min-max, in SQNR",
            "dB",
            lambda s, d: (
                _sqnr(strategy="percentile", percentile=CENTRAL)(s, d)
                - _sqnr(strategy="minmax")(s, d)
            ),
        ),
        Fact(
            "clipping_direction",
            "up, down or same: the SQNR with the central 99.9 % range",
            "text",
            _direction_of(
                lambda s, d: (
                    _sqnr(strategy="percentile", percentile=CENTRAL)(s, d)
                    - _sqnr(strategy="minmax")(s, d)
                )
            ),
        ),
        Fact(
            "sqnr_asymmetric_db",
            "the SQNR with an asymmetric grid",
            "dB",
            _sqnr(scheme="asymmetric"),
        ),
        Fact(
            "sqnr_symmetric_db", "the SQNR with a symmetric grid", "dB", _sqnr(scheme="symmetric")
        ),
        Fact(
            "symmetric_loss_db",
            "what a symmetric grid loses against an asymmetric one",
            "dB",
            lambda s, d: _sqnr(scheme="asymmetric")(s, d) - _sqnr(scheme="symmetric")(s, d),
        ),
        Fact(
            "levels_used_symmetric",
            "levels used by a symmetric grid",
            "int",
            _metric("levels_used", scheme="symmetric"),
        ),
        Fact(
            "levels_used_asymmetric",
            "levels used by an asymmetric grid",
            "int",
            _metric("levels_used", scheme="asymmetric"),
        ),
        Fact(
            "sqnr_per_tensor_db",
            "the SQNR with one grid for the tensor",
            "dB",
            _sqnr(granularity="tensor"),
        ),
        Fact(
            "sqnr_per_channel_db",
            "the SQNR with one grid per row",
            "dB",
            _sqnr(granularity="channel"),
        ),
        Fact(
            "per_channel_gain_db",
            "one grid per row over one per tensor, in SQNR",
            "dB",
            lambda s, d: _sqnr(granularity="channel")(s, d) - _sqnr(granularity="tensor")(s, d),
        ),
        Fact(
            "per_channel_direction",
            "up, down or same: the SQNR with one grid per row",
            "text",
            _direction_of(
                lambda s, d: _sqnr(granularity="channel")(s, d) - _sqnr(granularity="tensor")(s, d)
            ),
        ),
        *[
            Fact(
                f"fewest_bits_{t}db",
                f"the fewest bits that reach {t} dB",
                "int",
                lambda s, d, t=t: fewest_bits(s, d, t),
            )
            for t in TARGETS_DB
        ],
        *[
            Fact(
                f"bits_search_{t}db",
                f"the search for the fewest bits that reach {t} dB",
                "text",
                lambda s, d, t=t: bits_search(s, d, t),
            )
            for t in TARGETS_DB
        ],
        Fact(
            "norm_article_max",
            "where the article's (x − min)/(range/2) sends the max",
            "",
            lambda s, d: (d.high - d.low) / ((d.high - d.low) / 2) if d.high > d.low else 0.0,
        ),
        Fact(
            "norm_right_max",
            "where 2(x − min)/(max − min) − 1 sends the max",
            "",
            lambda s, d: 2 * (d.high - d.low) / (d.high - d.low) - 1 if d.high > d.low else 0.0,
        ),
    ]
}
"""Every fact, by name."""


COURSE_FACTS: tuple[Fact, ...] = (
    # the course's lessons from bits-and-error on (issue 21): a block of their own
    # ---- SQNR and the evenly spread reference ----
    Fact("signal_power", "mean x², the signal's power", "", _metric("signal_power")),
    Fact(
        "bits_per_weight",
        "bits per weight, scales and zero points included",
        "",
        _metric("bits_per_weight"),
    ),
    Fact(
        "uniform_gap_db",
        "how far the SQNR lies below that of evenly spread values, 20·log10(2^b − 1)",
        "dB",
        lambda s, d: _uniform_db(s, d) - _sqnr()(s, d),
    ),
    Fact(
        "spread_db",
        "10·log10(12 · mean x² / (h − ℓ)²): the parallel curves' offset",
        "dB",
        _spread_db,
    ),
    Fact("range_sigmas", "how many standard deviations h − ℓ spans", "", _range_sigmas),
    Fact("high_in_codes", "where x/s + z sends h", "", _high_in_codes),
    # ---- rounding ----
    Fact("sqnr_nearest_db", "the SQNR rounding to nearest", "dB", _sqnr(rounding="nearest")),
    Fact(
        "sqnr_stochastic_db",
        "the SQNR with stochastic rounding",
        "dB",
        _sqnr(rounding="stochastic"),
    ),
    Fact(
        "stochastic_loss_db",
        "what stochastic rounding loses against rounding to nearest, in SQNR",
        "dB",
        lambda s, d: _sqnr(rounding="nearest")(s, d) - _sqnr(rounding="stochastic")(s, d),
    ),
    Fact(
        "stochastic_direction",
        "up, down or same: the SQNR with stochastic rounding instead of nearest",
        "text",
        _direction_of(
            lambda s, d: _sqnr(rounding="stochastic")(s, d) - _sqnr(rounding="nearest")(s, d)
        ),
    ),
    # ---- 4-bit number formats ----
    *[
        Fact(
            f"sqnr_{name}_db",
            f"the SQNR stored as {name.upper()}",
            "dB",
            _format_metric(name, "sqnr_db"),
        )
        for name in FORMATS_4BIT
    ],
    *[
        Fact(
            f"bpw_{name}",
            f"{name.upper()}'s bits per weight, scales included",
            "",
            _format_metric(name, "bits_per_weight"),
        )
        for name in FORMATS_4BIT
    ],
    Fact(
        "int4_or_fp4",
        "int4, fp4 or same: which keeps more SQNR (one scale each)",
        "text",
        _better("int4", "fp4"),
    ),
    Fact(
        "nf4_or_mxfp4",
        "nf4, mxfp4 or same: which keeps more SQNR",
        "text",
        _better("nf4", "mxfp4"),
    ),
    # ---- the digits CNN ----
    Fact(
        "model_float_accuracy",
        "the float32 network's test accuracy",
        "%",
        lambda s, d: 100 * _evaluation(s).float_accuracy,
    ),
    Fact(
        "model_accuracy",
        "the quantized network's test accuracy",
        "%",
        lambda s, d: 100 * _evaluation(s).accuracy,
    ),
    Fact(
        "model_change",
        "quantized minus float accuracy, in points",
        "±points",
        lambda s, d: 100 * (_evaluation(s).accuracy - _evaluation(s).float_accuracy),
    ),
    Fact("model_examples", "the test digits", "int", lambda s, d: len(_evaluation(s).predictions)),
    Fact(
        "max_drop",
        "the accuracy the search may lose, in points",
        "points",
        lambda s, d: float(s["max_drop"]),
    ),
    Fact(
        "model_noise",
        "the test set's noise: the standard error of the accuracy, points",
        "points",
        lambda s, d: 100 * _noise(s),
    ),
    Fact(
        "model_direction",
        "within, drops or rises: the accuracy against float ± noise",
        "text",
        _accuracy_direction,
    ),
    Fact(
        "model_bits_per_weight",
        "the whole network's bits per weight",
        "",
        lambda s, d: _evaluation(s).bits_per_weight,
    ),
    Fact(
        "most_sensitive_layer",
        "the layer that loses most accuracy quantized alone",
        "text",
        lambda s, d: max(_layer_drops(s).items(), key=lambda kv: kv[1])[0],
    ),
    Fact(
        "most_sensitive_drop",
        "what that layer alone loses, in points",
        "points",
        lambda s, d: max(_layer_drops(s).values()),
    ),
    Fact("layer_drops", "each layer's accuracy lost alone, in points", "text", _drops_text),
    Fact(
        "fewest_uniform_bits",
        "the fewest bits for every layer within the allowed drop",
        "int",
        lambda s, d: _fewest_uniform(s)[0],
    ),
    Fact(
        "uniform_bpw",
        "bits per weight at those bits",
        "",
        lambda s, d: _fewest_uniform(s)[1].bits_per_weight,
    ),
    Fact(
        "uniform_accuracy",
        "the accuracy at those bits",
        "%",
        lambda s, d: 100 * _fewest_uniform(s)[1].accuracy,
    ),
    Fact(
        "mixed_bits",
        "the search's bits per layer",
        "text",
        lambda s, d: ", ".join(f"{k} {v}" for k, v in _mixed(s).per_layer.items()),
    ),
    Fact(
        "mixed_bpw",
        "bits per weight with the search's bits per layer",
        "",
        lambda s, d: _mixed(s).bits_per_weight,
    ),
    Fact(
        "mixed_accuracy",
        "the accuracy with the search's bits per layer",
        "%",
        lambda s, d: 100 * _mixed(s).accuracy,
    ),
    Fact(
        "mixed_or_uniform",
        "mixed, uniform or same: which stores fewer bits per weight",
        "text",
        _mixed_or_uniform,
    ),
    Fact("prune_percent", "the share of weights pruned", "int", lambda s, d: s["prune"]),
    Fact(
        "prune_fraction",
        "the share of weights pruned, as a fraction",
        "",
        lambda s, d: s["prune"] / 100,
    ),
    Fact(
        "pruned_bits_estimate",
        "(1 − p) · b + 1: the kept codes and the bitmap, per weight",
        "",
        lambda s, d: (1 - s["prune"] / 100) * s["bits"] + 1,
    ),
    Fact(
        "pruned_bpw",
        "bits per weight, pruned at the page's share",
        "",
        lambda s, d: _pruned(s).bits_per_weight,
    ),
    Fact(
        "pruned_accuracy",
        "the accuracy pruned at the page's share",
        "%",
        lambda s, d: 100 * _pruned(s).accuracy,
    ),
    Fact(
        "unpruned_bpw",
        "bits per weight, nothing pruned",
        "",
        lambda s, d: _evaluated(s).bits_per_weight,
    ),
    Fact(
        "unpruned_accuracy",
        "the accuracy, nothing pruned",
        "%",
        lambda s, d: 100 * _evaluated(s).accuracy,
    ),
    Fact(
        "prune_breakeven",
        "the share pruned at which the bitmap's 1 bit per weight is paid back: 1/b, in %",
        "",
        lambda s, d: 100 / s["bits"],
    ),
    Fact("half_bits", "half the bit width", "int", lambda s, d: max(s["bits"] // 2, 1)),
    Fact(
        "half_bits_bpw",
        "bits per weight at half the bits, nothing pruned",
        "",
        lambda s, d: _evaluated(s, bits=max(s["bits"] // 2, 1)).bits_per_weight,
    ),
    Fact(
        "half_bits_accuracy",
        "the accuracy at half the bits, nothing pruned",
        "%",
        lambda s, d: 100 * _evaluated(s, bits=max(s["bits"] // 2, 1)).accuracy,
    ),
    Fact(
        "prune_or_half_bits",
        "half_bits, pruned or neither: which is smaller and at least as accurate",
        "text",
        _prune_or_half_bits,
    ),
    Fact(
        "seeds_low",
        "the lowest accuracy of 10 stochastic-rounding seeds",
        "%",
        lambda s, d: 100 * _spread(s).low,
    ),
    Fact(
        "seeds_high",
        "the highest accuracy of 10 stochastic-rounding seeds",
        "%",
        lambda s, d: 100 * _spread(s).high,
    ),
    Fact(
        "seeds_std",
        "the seeds' standard deviation, in points",
        "points",
        lambda s, d: 100 * _spread(s).std,
    ),
    Fact(
        "nearest_accuracy",
        "the accuracy rounding to nearest",
        "%",
        lambda s, d: 100 * _evaluated(s, rounding="nearest").accuracy,
    ),
    Fact(
        "nearest_vs_seeds",
        "above, within or below: nearest against the seeds",
        "text",
        _nearest_vs_seeds,
    ),
    # ---- the shown layer's input: static and dynamic ranges ----
    Fact("act_layer", "the layer whose input is quantized", "text", lambda s, d: _layer(s)),
    Fact(
        "act_calibration",
        "how many examples calibrate the static range",
        "int",
        lambda s, d: _input_grid(s).calibration_examples,
    ),
    Fact(
        "act_low",
        "the input's calibrated range, low end ℓ",
        "",
        lambda s, d: _input_grid(s).low,
    ),
    Fact(
        "act_high",
        "the input's calibrated range, high end h",
        "",
        lambda s, d: _input_grid(s).high,
    ),
    Fact("act_scale", "the input's static step s_x", "", lambda s, d: _input_grid(s).scale),
    Fact(
        "act_zero_point",
        "the input's static zero point z_x",
        "int",
        lambda s, d: _input_grid(s).zero_point,
    ),
    Fact(
        "act_clip_high",
        "where the static grid starts to clip: h + s_x/2",
        "",
        lambda s, d: _input_grid(s).high + _input_grid(s).scale / 2,
    ),
    Fact(
        "act_test_high",
        "the largest input over the test set",
        "",
        lambda s, d: _input_grid(s).test_high,
    ),
    Fact("act_examples", "the test examples", "int", lambda s, d: _input_grid(s).examples),
    Fact(
        "act_examples_clipped",
        "test examples with an input the static grid clips",
        "int",
        lambda s, d: _input_grid(s).examples_clipped,
    ),
    Fact(
        "act_clipped_percent",
        "the share of test input values the static grid clips",
        "%",
        lambda s, d: 100 * _input_grid(s).clipped_fraction,
    ),
    Fact(
        "act_dynamic_median",
        "the median test example's own (dynamic) step",
        "",
        lambda s, d: float(np.median(_input_grid(s).dynamic_scales)),
    ),
    Fact(
        "act_dynamic_max",
        "the largest dynamic step of any test example",
        "",
        lambda s, d: float(np.max(_input_grid(s).dynamic_scales)),
    ),
    Fact(
        "dynamic_vs_static",
        "finer, coarser or same: the median dynamic step",
        "text",
        _dynamic_vs_static,
    ),
    Fact("bias", "the shown layer's largest bias b (in size)", "", lambda s, d: _bias(s)[0]),
    Fact(
        "bias_weight_scale",
        "its output channel's weight step s_w",
        "",
        lambda s, d: _bias(s)[1],
    ),
    Fact(
        "bias_scale",
        "the bias's step s_w · s_x",
        "",
        lambda s, d: _bias(s)[1] * _input_grid(s).scale,
    ),
    Fact(
        "bias_code",
        "the bias's int32 code, round(b / (s_w · s_x))",
        "",
        lambda s, d: _bias(s)[2],
    ),
)
"""The facts of the course's later lessons (the evenly spread reference, rounding, the 4-bit
formats, the digits CNN, a layer's input grid), kept apart from the first ones."""
# The later blocks, each a tuple of facts: the course's, the digits CNN in integers and QAT
# (chip_facts.py, through the Integers and Train for it rooms), MiniLM's (facts_transformer.py,
# through the Transformer room). One name, one fact: a block may not redefine another's.
for _block in (COURSE_FACTS, CHIP_FACTS, TRANSFORMER_FACTS):
    _new = {f.name: f for f in _block}
    assert not _new.keys() & FACTS.keys(), (
        f"facts named twice: {sorted(_new.keys() & FACTS.keys())}"
    )
    FACTS.update(_new)


def value(name: str, s: Settings, data: Data) -> Value:
    """The fact ``name`` for the data on screen (``KeyError`` for an unknown name)."""
    v = FACTS[name].compute(s, data)
    return v if isinstance(v, str) else float(v)


def shown(name: str, s: Settings, data: Data) -> str:
    """The fact as a student reads it (``–`` where it does not exist, e.g. NaN)."""
    v = value(name, s, data)
    if isinstance(v, float) and not math.isfinite(v):
        return "–"
    return FACTS[name].shown(v, Tr(s["lang"]))
