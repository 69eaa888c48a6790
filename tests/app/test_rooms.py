"""The rooms below the lesson, as a teacher walks them (issue 16): what each one shows and
says, in both languages. Expected texts and numbers are written by hand."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    """Every Vega-Lite chart's spec on the page, in order."""
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def tradeoff_looks(at: AppTest) -> dict[str, tuple[str, list[int]]]:
    """The trade-off chart's strategies: label → (colour, dash)."""
    [spec] = [s for s in specs(at) if _is_tradeoff(s)]
    line = spec["layer"][0]["encoding"]
    colour, dash = line["color"]["scale"], line["strokeDash"]["scale"]
    return {
        name: (c, d)
        for name, c, d in zip(colour["domain"], colour["range"], dash["range"], strict=True)
    }


def _is_tradeoff(spec: dict) -> bool:
    """The trade-off is the one chart whose lines are told apart by their dash."""
    layers = spec.get("layer", [])
    return bool(layers) and "strokeDash" in layers[0].get("encoding", {})


def test_a_strategy_keeps_its_colour_and_dash_whatever_is_compared(open_app):
    at = open_app(n="1000")
    looks = tradeoff_looks(at)
    assert looks["Min-max"] == ("#0072B2", [1, 0])  # blue, solid
    assert looks["Percentile"] == ("#D55E00", [8, 4])
    at.multiselect(key="compare").set_value(["mse", "percentile"])
    looks = tradeoff_looks(rerun(at))
    assert list(looks)[:3] == ["MSE-optimal", "Percentile", "Min-max"]
    assert looks["Min-max"] == ("#0072B2", [1, 0])  # still blue and solid, drawn third
    assert looks["Percentile"] == ("#D55E00", [8, 4])
    assert looks["MSE-optimal"] == ("#009E73", [8, 3, 2, 3])
