"""Time the quantviz core against PyTorch on the same data, in the same run.

    python benchmarks/bench_core.py            # print the tables
    python benchmarks/bench_core.py --write    # and put them in docs/BENCHMARKS.md

1. quantize + dequantize + all metrics (``qv.quantize``) per tensor, 8-bit
   asymmetric, for every range strategy, on 1M and 10M float32 normal weights,
   next to PyTorch's ``MinMaxObserver`` + ``fake_quantize_per_tensor_affine`` +
   MSE on the same array.
2. Calibration alone (data → clipping range) for the histogram strategies, next
   to PyTorch's ``HistogramObserver`` (forward + ``calculate_qparams``).
3. ``strategy="mse"`` end to end (``qv.quantize``) per channel and per group on
   weight-shaped matrices (384×1536, 1536×384, a 30522×384 embedding with groups
   of 128 and 32) and per tensor (100k and 10M values), at 2, 4 and 8 bits,
   asymmetric and symmetric, against the targets in the table.

Each time is the median of several runs after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

import quantviz as qv
from quantviz.granularity import layout
from quantviz.pipeline import WORKERS
from quantviz.ranges import clipping_range
from quantviz.ranges.search import WORKERS as SEARCH_WORKERS

try:
    import torch
    from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver
except ImportError:  # the table then has no torch column
    torch = None

from report import load_note, machine, write_section

STRATEGIES = ["minmax", "percentile", "mse", "entropy", "sigma", "aciq_laplace"]


def median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_fake_quant_mse(x: torch.Tensor) -> float:
    obs = MinMaxObserver(dtype=torch.quint8, quant_min=0, quant_max=255)
    obs(x)
    scale, zp = obs.calculate_qparams()
    y = torch.fake_quantize_per_tensor_affine(x, scale.item(), zp.item(), 0, 255)
    return torch.mean((y - x) ** 2).item()


def torch_histogram_calibration(x: torch.Tensor) -> tuple:
    obs = HistogramObserver(dtype=torch.quint8, quant_min=0, quant_max=255)
    obs(x)
    return obs.calculate_qparams()


def alternate(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median time of each function, timed in turn in each round (after one warm-up each),
    so that a machine busy with other work slows them alike."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def calibration_against_torch(x: np.ndarray, rows: np.ndarray, repeats: int) -> list[str]:
    """quantviz's MSE calibration and PyTorch's HistogramObserver on the same 10M values,
    timed alternately: the two table rows, the ratio against its target, and each one's MSE."""
    xt = torch.from_numpy(x)
    ours, theirs = alternate(
        [
            lambda: clipping_range(rows, "mse", bits=8, symmetric=False),
            lambda: torch_histogram_calibration(xt),
        ],
        repeats,
    )
    mse_ours = qv.quantize(x, 8, strategy="mse")
    scale, zero_point = torch_histogram_calibration(xt)
    fq = torch.fake_quantize_per_tensor_affine(xt, float(scale), int(zero_point), 0, 255)
    mse_torch = float(((fq.double() - xt.double()) ** 2).mean())
    ratio = ours / theirs
    return [
        f"| torch HistogramObserver (forward + calculate_qparams) | {1e3 * theirs:.0f} | — |",
        "",
        f"quantviz mse (asymmetric) against torch's HistogramObserver, timed alternately in one "
        f"run (median of {repeats}): {1e3 * ours:.0f} ms against {1e3 * theirs:.0f} ms, "
        f"**{ratio:.2f}×** (target ≤ 1.0×: {'met' if ratio <= 1.0 else '**missed**'}); "
        f"MSE on the 10M values {mse_ours.metrics['mse']:.4e} against "
        f"{mse_torch:.4e} ({mse_ours.metrics['mse'] / mse_torch:.4f}× torch's).",
    ]


#: (label, shape or size, quantize keywords, target in seconds) of the MSE-search table.
MSE_CASES = [
    ("per channel, 384×1536", (384, 1536), {"granularity": "channel"}, 0.3),
    ("per channel, 1536×384", (1536, 384), {"granularity": "channel"}, 0.3),
    ("per channel, 30522×384", (30522, 384), {"granularity": "channel"}, 1.5),
    ("groups of 128, 30522×384", (30522, 384), {"granularity": "group", "group_size": 128}, 1.5),
    ("groups of 32, 30522×384", (30522, 384), {"granularity": "group", "group_size": 32}, 1.5),
    ("per tensor, 100k", (100_000,), {}, 0.06),
    ("per tensor, 10M", (10_000_000,), {}, 0.5),
]


def mse_search_table(repeats: int) -> list[str]:
    """``qv.quantize(strategy="mse")`` per channel, per group and per tensor: the time (ms),
    and the MSE it reaches as a share of min-max's (what the search buys)."""
    rng = np.random.default_rng(0)
    settings = [(bits, sym) for bits in (2, 4, 8) for sym in (False, True)]
    header = [
        "| case | " + " | ".join(f"{b}-bit {'s' if sym else 'a'}" for b, sym in settings),
        "|---|" + "---:|" * len(settings),
    ]
    times, shares = [], []
    for label, shape, kw, target in MSE_CASES:
        w = (rng.standard_normal(shape) * 0.05).astype(np.float32)
        n = max(1, repeats // 2) if w.size > 2_000_000 else repeats
        cells, ratios = [], []
        for b, sym in settings:

            def search(w=w, b=b, s=sym, kw=kw) -> qv.QuantResult:
                return qv.quantize(w, b, symmetric=s, strategy="mse", **kw)

            cells.append(median_time(search, n))
            minmax = qv.quantize(w, b, symmetric=sym, arrays=False, **kw).metrics["mse"]
            ratios.append(search().metrics["mse"] / minmax)
        times.append(
            f"| {label} | "
            + " | ".join(f"{1e3 * t:.0f}" for t in cells)
            + f" | ≤ {1e3 * target:.0f} |"
        )
        shares.append(f"| {label} | " + " | ".join(f"{r:.4f}" for r in ratios) + " |")
    return [
        "### MSE search, end to end (qv.quantize, strategy='mse'), ms",
        "",
        "a = asymmetric, s = symmetric; weights drawn from N(0, 0.05²).",
        "",
        header[0] + " | target |",
        header[1] + "---:|",
        *times,
        "",
        "The MSE each search reaches, as a share of min-max's MSE (lower is better; 1 = min-max "
        "kept):",
        "",
        header[0] + " |",
        header[1],
        *shares,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]

    sizes = [1_000_000, 10_000_000]
    data = {n: qv.sample("normal", n=n, seed=0) for n in sizes}
    lines = [
        "### quantize + dequantize + metrics, per tensor, 8-bit asymmetric (ms)",
        "",
        "| strategy | " + " | ".join(f"{n // 1_000_000}M values" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for name in STRATEGIES:
        cells = [
            median_time(lambda x=data[n], s=name: qv.quantize(x, 8, strategy=s), args.repeats)
            for n in sizes
        ]
        lines.append(f"| {name} | " + " | ".join(f"{1e3 * t:.0f}" for t in cells) + " |")
    minmax_10m = median_time(lambda: qv.quantize(data[sizes[-1]], 8), args.repeats)
    if torch is not None:
        tensors = {n: torch.from_numpy(data[n]) for n in sizes}
        cells = [
            median_time(lambda t=tensors[n]: torch_fake_quant_mse(t), args.repeats) for n in sizes
        ]
        lines.append(
            "| **torch** MinMaxObserver + fake_quantize + MSE | "
            + " | ".join(f"{1e3 * t:.0f}" for t in cells)
            + " |"
        )
        ratio = minmax_10m / cells[-1]
        lines += [
            "",
            f"minmax at 10M: **{ratio:.2f}×** torch's time (target ≤ 2×); "
            f"torch uses {torch.get_num_threads()} threads; quantviz runs its blocks on "
            f"{WORKERS} thread{'s' if WORKERS > 1 else ''} (quantviz.pipeline.WORKERS) and its "
            f"range searches on {SEARCH_WORKERS} (quantviz.ranges.search.WORKERS).",
        ]

    lines += [
        "",
        "### Calibration alone: data → clipping range, 10M values, 8 bits (ms)",
        "",
        "| method | time | target |",
        "|---|---:|---|",
    ]
    x10 = data[sizes[-1]]
    rows = layout(x10.shape).to_rows(x10)
    for name in ("mse", "entropy"):
        for sym in (False, True):
            t = median_time(
                lambda n=name, s=sym: clipping_range(rows, n, bits=8, symmetric=s), args.repeats
            )
            scheme = "symmetric" if sym else "asymmetric"
            lines.append(f"| quantviz {name} ({scheme}) | {1e3 * t:.0f} | < 500 |")
    if torch is not None:
        lines += calibration_against_torch(x10, rows, max(args.repeats, 9))
    lines += [
        "",
        "PyTorch's HistogramObserver stops its greedy search at the first increase of the "
        "error; quantviz's `mse` counts the values once in 16,384 bins (summed by 8: the "
        "same 2048-bin histogram), searches its range coarse to fine (shrink factors, "
        "golden-section search, each end, and at ≤ 4 bits the zero point) on the "
        "histogram's closed-form error, and checks the winner against min-max: by bounds "
        "on both exact errors from the 16,384 bins where they settle it (here), else on "
        "the real values, so it is never worse than min-max (tests/library/test_properties.py).",
    ]
    lines += ["", *mse_search_table(args.repeats)]
    versions = f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    body = (
        "\n".join(lines) + f"\n\nMachine: {machine()}; {versions}. Median of {args.repeats} runs. "
        f"{load_note(load_start)}\n\n"
        "Reproduce: `.venv/bin/python benchmarks/bench_core.py --write`.\n"
    )
    print(body)
    if args.write:
        write_section("Core: quantize, calibrate, measure", body)


if __name__ == "__main__":
    main()
