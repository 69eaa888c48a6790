"""The Transformer room's facts: what the MiniLM lessons show and ask about.

Each fact reads the room's own data steps (:mod:`quantviz_app.rooms.transformer`) at the
step's settings (``linear``, ``act_bits``, ``alpha``, ``smooth_scope``, ``weight_bits``), so a
lesson's answer is the number the room shows once the question is answered. They do not
depend on the tensor on screen. :mod:`quantviz_app.facts` adds them to its ``FACTS``.
"""

from __future__ import annotations

from collections.abc import Callable

from quantviz_app.fact import Fact
from quantviz_app.rooms import transformer as tf
from quantviz_app.schema import Settings

SENTENCE = tf.SENTENCE  # the grids' sentence in the lessons (the room's default)
SQ_ALPHAS = (0.25, 0.5, 0.8)  # the α a SmoothQuant question offers


def _top(field: str) -> Callable[[Settings, object], float | str]:
    return lambda s, d: tf.top_channels(s["linear"]).iloc[0][field]


def _grid_db(mode: str) -> Callable[[Settings, object], float]:
    def compute(s: Settings, d: object) -> float:
        results = tf.grids(s["linear"], SENTENCE, int(s["act_bits"]))
        return float(results[mode].metrics["sqnr_db"])

    return compute


def _ratio_bucket(s: Settings, d: object) -> str:
    """How far the largest channel stands out: ``x1_5``, ``x4`` or ``x15``."""
    times = float(tf.top_channels(s["linear"]).iloc[0]["times_median"])
    return "x15" if times > 9 else ("x4" if times > 2.5 else "x1_5")


def _token_direction(s: Settings, d: object) -> str:
    gain = _grid_db("token")(s, d) - _grid_db("tensor")(s, d)
    return "same" if abs(gain) < 0.05 else ("up" if gain > 0 else "down")


def _sq_layer(column: str, alpha: float | None) -> Callable[[Settings, object], float]:
    return lambda s, d: float(tf.smooth_row(s["linear"], int(s["act_bits"]), alpha)[column])


def _sq_weight_direction(s: Settings, d: object) -> str:
    change = _sq_layer("weight_sqnr_db", 0.8)(s, d) - _sq_layer("weight_sqnr_db", None)(s, d)
    return "same" if abs(change) < 0.05 else ("up" if change > 0 else "down")


def _model_cosine(alpha: float | None, scope: str = "all") -> Callable[[Settings, object], float]:
    def compute(s: Settings, d: object) -> float:
        return float(tf.scores(tf.smooth_settings(int(s["act_bits"]), alpha, scope))["cosine"])

    return compute


def _best_alpha(s: Settings, d: object) -> str:
    cosines = {a: _model_cosine(a)(s, d) for a in SQ_ALPHAS}
    return str(max(cosines, key=cosines.get))


def _scope_relation(s: Settings, d: object) -> str:
    change = _model_cosine(0.8, "layernorm")(s, d) - _model_cosine(0.8)(s, d)
    return "same" if abs(change) < 5e-4 else ("above" if change > 0 else "below")


def _method(method: str, column: str) -> Callable[[Settings, object], float]:
    """``column`` of ``method`` on the step's Linear at its weight bits, in % for errors."""

    def compute(s: Settings, d: object) -> float:
        value = float(tf.method_row(s["linear"], int(s["weight_bits"]), method)[column])
        return 100 * value if column.endswith("error") else value

    return compute


def _gptq_relation(column: str) -> Callable[[Settings, object], str]:
    def compute(s: Settings, d: object) -> str:
        change = _method("gptq", column)(s, d) - _method("rtn", column)(s, d)
        return "same" if abs(change) < 1e-6 else ("above" if change > 0 else "below")

    return compute


def _output_ratio(s: Settings, d: object) -> float:
    return _method("rtn", "output_error")(s, d) / _method("gptq", "output_error")(s, d)


def _model(method: str, key: str) -> Callable[[Settings, object], float]:
    def compute(s: Settings, d: object) -> float:
        found = tf.scores(tf.model_settings(int(s["weight_bits"]), method))
        return 100 * found[key] if key == "accuracy" else found[key]

    return compute


def _model_relation(s: Settings, d: object) -> str:
    change = _model("gptq", "accuracy")(s, d) - _model("rtn", "accuracy")(s, d)
    return "same" if abs(change) < 1e-9 else ("above" if change > 0 else "below")


TRANSFORMER_FACTS: tuple[Fact, ...] = (
    # the outlier channel (lesson 20)
    Fact("tf_channel", "the input channel with the largest max |x|", "int", _top("channel")),
    Fact("tf_channel_absmax", "that channel's max |x|", "", _top("absmax")),
    Fact("tf_channel_token", "the token carrying it", "text", _top("token")),
    Fact("tf_channel_times", "its max |x| over the median channel's", "", _top("times_median")),
    Fact("tf_channel_bucket", "how far it stands out: x1_5, x4 or x15", "text", _ratio_bucket),
    Fact(
        "tf_layers_led",
        "in how many layers it leads",
        "int",
        lambda s, d: tf.layers_led(s["linear"]),
    ),
    Fact(
        "tf_median_absmax",
        "the median channel's max |x|",
        "",
        lambda s, d: tf.pre.maxima_of(s["linear"]).median,
    ),
    Fact("tf_grid_tensor_db", "the sentence's input on one grid, SQNR", "dB", _grid_db("tensor")),
    Fact("tf_grid_token_db", "one grid per token, SQNR", "dB", _grid_db("token")),
    Fact("tf_grid_channel_db", "one grid per channel, SQNR", "dB", _grid_db("channel")),
    Fact(
        "tf_token_direction",
        "per token against per tensor: up, down or same",
        "text",
        _token_direction,
    ),
    # SmoothQuant (lesson 21)
    Fact(
        "tf_sq_act_off_db", "the input's SQNR, not smoothed", "dB", _sq_layer("act_sqnr_db", None)
    ),
    Fact("tf_sq_act_08_db", "the input's SQNR at α 0.8", "dB", _sq_layer("act_sqnr_db", 0.8)),
    Fact(
        "tf_sq_weight_off_db",
        "the weight's SQNR, not smoothed",
        "dB",
        _sq_layer("weight_sqnr_db", None),
    ),
    Fact(
        "tf_sq_weight_08_db", "the weight's SQNR at α 0.8", "dB", _sq_layer("weight_sqnr_db", 0.8)
    ),
    Fact(
        "tf_sq_weight_direction",
        "the weight's SQNR at α 0.8: up, down or same",
        "text",
        _sq_weight_direction,
    ),
    Fact("tf_cosine_off", "the model's cosine, not smoothed", "", _model_cosine(None)),
    Fact("tf_cosine_025", "the model's cosine at α 0.25", "", _model_cosine(0.25)),
    Fact("tf_cosine_05", "the model's cosine at α 0.5", "", _model_cosine(0.5)),
    Fact("tf_cosine_08", "the model's cosine at α 0.8", "", _model_cosine(0.8)),
    Fact(
        "tf_cosine_08_layernorm",
        "at α 0.8, LayerNorm-fed inputs only",
        "",
        _model_cosine(0.8, "layernorm"),
    ),
    Fact(
        "tf_best_alpha", "the best of α 0.25, 0.5, 0.8 for the model's cosine", "text", _best_alpha
    ),
    Fact(
        "tf_scope_relation",
        "LayerNorm-fed only against every input: above, below, same",
        "text",
        _scope_relation,
    ),
    # error-aware rounding (lesson 22)
    Fact("tf_rtn_weight_error", "RTN's weight error, %", "%", _method("rtn", "weight_error")),
    Fact("tf_gptq_weight_error", "GPTQ's weight error, %", "%", _method("gptq", "weight_error")),
    Fact("tf_rtn_output_error", "RTN's output error, %", "%", _method("rtn", "output_error")),
    Fact("tf_gptq_output_error", "GPTQ's output error, %", "%", _method("gptq", "output_error")),
    Fact(
        "tf_gptq_weight_relation",
        "GPTQ's weight error against RTN's",
        "text",
        _gptq_relation("weight_error"),
    ),
    Fact(
        "tf_gptq_output_relation",
        "GPTQ's output error against RTN's",
        "text",
        _gptq_relation("output_error"),
    ),
    Fact("tf_output_ratio", "RTN's output error over GPTQ's", "", _output_ratio),
    Fact("tf_rtn_accuracy", "the model's accuracy@1 by RTN, %", "%", _model("rtn", "accuracy")),
    Fact("tf_gptq_accuracy", "the model's accuracy@1 by GPTQ, %", "%", _model("gptq", "accuracy")),
    Fact("tf_rtn_cosine", "the model's cosine by RTN", "", _model("rtn", "cosine")),
    Fact("tf_gptq_cosine", "the model's cosine by GPTQ", "", _model("gptq", "cosine")),
    Fact("tf_model_relation", "GPTQ's accuracy against RTN's", "text", _model_relation),
    Fact(
        "tf_float_accuracy",
        "the float model's accuracy@1, %",
        "%",
        lambda s, d: 100 * tf.pre.float_scores()["accuracy"],
    ),
)
"""The MiniLM facts (names start with ``tf_``)."""
