"""How long one accuracy evaluation of the shipped digits model takes (issue 10).

``qv.evaluate(model, ...)`` on the 540 test digits: every weight tensor quantized with
``qv.quantize``, then the numpy forward pass (im2col convolutions). Target: one evaluation
of the whole test set ≤ 50 ms, so the page can recompute it on every slider move. The
model is opened and its float activations computed once before timing (the page keeps
them); each timed call quantizes the weights again. Static activation ranges are
calibrated once per setting and kept, so their row is the warm cost; the first call
at a new setting adds the calibration (measured separately).

Usage (not part of pytest)::

    .venv/bin/python benchmarks/bench_evaluate.py [--repeats N] [--write]

``--write`` replaces the "## Model accuracy: one evaluation" section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine, publish  # noqa: E402

import quantviz as qv  # noqa: E402
from quantviz.models.forward import float_inputs  # noqa: E402

SECTION_TITLE = "Model accuracy: one evaluation"
TARGET_MS = 50.0


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median and fastest time of ``fn`` in ms."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times), 1e3 * min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    m = qv.load_model("digits-cnn")
    qv.evaluate(m, bits=8, layer_accuracy=False)  # float activations, once

    one = {"layer_accuracy": False}
    settings = [
        ("8-bit weights, per tensor", {"bits": 8}),
        ("4-bit weights, per channel, symmetric",
         {"bits": 4, "granularity": "channel", "symmetric": True}),
        ("4-bit weights, MSE ranges per channel",
         {"bits": 4, "granularity": "channel", "strategy": "mse"}),
        ("mxfp4 weights", {"format": "mxfp4"}),
        ("8-bit weights + 8-bit static activations (ranges kept)",
         {"bits": 8, "activations": {"bits": 8}}),
        ("8-bit weights + 8-bit dynamic activations (per example)",
         {"bits": 8, "activations": {"bits": 8, "mode": "dynamic"}}),
        ("8-bit weights, half pruned", {"bits": 8, "prune": 0.5}),
    ]  # fmt: skip
    cases = [("float forward pass only", lambda: float_inputs(m.layers, m.x_test), True)]
    cases += [(label, lambda kw=kw: qv.evaluate(m, **kw, **one), True) for label, kw in settings]
    cases.append(
        ("4-bit weights + the per-layer table (4 more partial passes)",
         lambda: qv.evaluate(m, bits=4), False)
    )  # fmt: skip
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    lines = [
        f"`qv.evaluate` on the digits CNN's 540 test images (`benchmarks/bench_evaluate.py`), "
        f"median and fastest of {args.repeats} runs; `OPENBLAS_NUM_THREADS={threads}`. "
        f"Target: one evaluation ≤ {TARGET_MS:g} ms.",
        "",
        "| what | median ms | fastest ms | target |",
        "|---|---:|---:|---|",
    ]
    worst = 0.0
    for label, fn, counts in cases:
        med, best = timed(fn, args.repeats)
        if counts:
            worst = max(worst, med)
        met = ("met" if med <= TARGET_MS else "**missed**") if counts else "—"
        lines.append(f"| {label} | {med:.1f} | {best:.1f} | {met} |")

    def calibrate() -> None:
        m._memo.clear()  # the float activations and every kept range
        qv.evaluate(m, bits=8, activations={"bits": 8, "strategy": "mse"}, **one)

    cal_med, cal_best = timed(calibrate, max(3, args.repeats // 4))
    steps = []
    t0 = time.perf_counter()
    r = qv.fewest_bits(m, max_drop=0.01, on_step=steps.append)
    search = time.perf_counter() - t0
    lines += [
        "",
        f"Slowest single evaluation: {worst:.1f} ms — target ≤ {TARGET_MS:g} ms: "
        f"{'met' if worst <= TARGET_MS else 'missed'}.",
        "",
        f"Cold start of a static MSE calibration (float activations of the test and "
        f"calibration sets, four MSE range searches, then one evaluation): median "
        f"{cal_med:.0f} ms, fastest {cal_best:.0f} ms.",
        "",
        f"`qv.fewest_bits(max_drop=0.01)`: {len(steps)} steps in {search:.2f} s "
        f"({1e3 * search / len(steps):.0f} ms a step), answer {r.per_layer}, "
        f"{r.bits_per_weight:.2f} bits per weight, accuracy {r.accuracy:.4f} "
        f"(float {r.float_accuracy:.4f}).",
        "",
        f"Machine: {machine()}.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_evaluate.py --write`.",
    ]
    return publish(SECTION_TITLE, "\n".join(lines), write=args.write)


if __name__ == "__main__":
    sys.exit(main())
