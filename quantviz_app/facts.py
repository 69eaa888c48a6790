"""Facts: the named numbers a lesson can show and ask about, for the data on screen.

Each fact is computed by the core (``qv.quantize`` through the tensor's cache) at the
page's settings, or at a variant of them (one more bit, another strategy), so a
question's answer is always the one for the data the student is looking at. A lesson
file names them (``answer = "scale"``, ``{scale}`` in a text); :data:`FACTS` lists
them with what they mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import quantviz as qv
from quantviz.fit import fit_settings
from quantviz_app.data import Data
from quantviz_app.format import db, num, percent
from quantviz_app.i18n import Tr
from quantviz_app.schema import Settings, quantize_kwargs

Value = float | str
TARGETS_DB = (20, 30, 40)  # the SQNR targets "fewest bits" facts exist for


@dataclass(frozen=True)
class Fact:
    """A named quantity: what it means, its unit (``""``, ``"dB"``, ``"%"``, ``"int"``,
    ``"text"``) and how the core computes it from the settings and the tensor."""

    name: str
    meaning: str
    unit: str
    compute: Callable[[Settings, Data], Value]

    def shown(self, value: Value) -> str:
        """The value as a student reads it."""
        if isinstance(value, str):
            return value
        if self.unit == "dB":
            return db(value)
        if self.unit == "%":
            return percent(value / 100)
        if self.unit == "int":
            return f"{int(value):,}"
        return num(value)


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
            "the SQNR with the 99.9th-percentile range",
            "dB",
            _sqnr(strategy="percentile", percentile=99.9),
        ),
        Fact(
            "clipping_gain_db",
            "99.9th-percentile range over min-max, in SQNR",
            "dB",
            lambda s, d: (
                _sqnr(strategy="percentile", percentile=99.9)(s, d) - _sqnr(strategy="minmax")(s, d)
            ),
        ),
        Fact(
            "clipping_direction",
            "up, down or same: the SQNR with a 99.9th-percentile range",
            "text",
            _direction_of(
                lambda s, d: (
                    _sqnr(strategy="percentile", percentile=99.9)(s, d)
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

# The MiniLM lessons' facts, from the Transformer room (a module of their own: they read the
# room's data steps, not the tensor on screen).
from quantviz_app.facts_transformer import TRANSFORMER_FACTS  # noqa: E402

FACTS.update({f.name: f for f in TRANSFORMER_FACTS})


def value(name: str, s: Settings, data: Data) -> Value:
    """The fact ``name`` for the data on screen (``KeyError`` for an unknown name)."""
    v = FACTS[name].compute(s, data)
    return v if isinstance(v, str) else float(v)


def shown(name: str, s: Settings, data: Data) -> str:
    """The fact as a student reads it (``–`` where it does not exist, e.g. NaN)."""
    v = value(name, s, data)
    if isinstance(v, float) and not math.isfinite(v):
        return "–"
    return FACTS[name].shown(v)
