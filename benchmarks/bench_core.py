"""Time the quantviz core against PyTorch on the same data, in the same run.

    python benchmarks/bench_core.py            # print the tables
    python benchmarks/bench_core.py --write    # and put them in docs/BENCHMARKS.md

1. quantize + dequantize + all metrics (``qv.quantize``) per tensor, 8-bit
   asymmetric, for every range strategy, on 1M and 10M float32 normal weights,
   next to PyTorch's ``MinMaxObserver`` + ``fake_quantize_per_tensor_affine`` +
   MSE on the same array.
2. Calibration alone (data → clipping range) for the histogram strategies, next
   to PyTorch's ``HistogramObserver`` (forward + ``calculate_qparams``).

Each time is the median of several runs after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import quantviz as qv
from quantviz.granularity import layout
from quantviz.pipeline import WORKERS
from quantviz.ranges import clipping_range

try:
    import torch
    from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver
except ImportError:  # the table then has no torch column
    torch = None

from report import machine, write_section

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()

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
            f"{WORKERS} threads (numpy releases the GIL).",
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
        t = median_time(
            lambda: torch_histogram_calibration(torch.from_numpy(x10)), max(1, args.repeats // 2)
        )
        lines.append(
            f"| torch HistogramObserver (forward + calculate_qparams) | {1e3 * t:.0f} | — |"
        )
    lines += [
        "",
        "PyTorch's HistogramObserver stops its greedy search at the first increase of the "
        "error; quantviz's `mse` searches a log grid of both ends, refines it, and checks "
        "the winner against min-max on the real values, so it costs more but is never worse "
        "than min-max (tests/test_properties.py).",
    ]
    versions = f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    body = (
        "\n".join(lines) + f"\n\nMachine: {machine()}; {versions}. Median of {args.repeats} runs.\n"
    )
    print(body)
    if args.write:
        write_section("Core: quantize, calibrate, measure", body)


if __name__ == "__main__":
    main()
