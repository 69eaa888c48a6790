"""Scan a checkpoint several GB large with ``quantviz report`` under an address-space limit.

    .venv/bin/python benchmarks/bench_report_bigfile.py --gb 6 --limit-gb 1.5 [--keep]

Writes a float32 safetensors file of ``--gb`` GB (random values: 128 MB matrices like an
LLM's, plus small vectors and one bias of odd length), then runs
``python -m quantviz_report report FILE --bits 4 --granularity channel --quiet`` in a
child process whose address space is capped at ``--limit-gb`` (``RLIMIT_AS``: every map of
the file counts, so reading the whole file at once, even memory-mapped, would fail), and
prints the scan's wall time and the child's peak resident size (``VmHWM``). The file
is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS, COLS = 4096, 8192  # 128 MB of float32

# The child's own peak resident size: VmHWM of its address space (ru_maxrss would also count
# this parent's resident size, which Linux carries over fork and exec).
CHILD = """
import sys
from quantviz_report.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as f:
    print(next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")))
sys.exit(status)
"""


def write_file(path: Path, gb: float) -> tuple[int, int]:
    """Write the checkpoint; return (bytes, tensors)."""
    n_big = max(1, round(gb * 2**30 / (ROWS * COLS * 4)))
    shapes: dict[str, list[int]] = {}
    for i in range(n_big):
        shapes[f"layers.{i}.weight"] = [ROWS, COLS]
        shapes[f"layers.{i}.norm"] = [COLS]
    shapes["head.bias"] = [1001]
    header, offset = {}, 0
    for name, shape in shapes.items():
        n = int(np.prod(shape)) * 4
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    rng = np.random.default_rng(0)
    block = rng.standard_normal((ROWS, COLS), dtype=np.float32)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for i, (_name, shape) in enumerate(shapes.items()):
            if shape == [ROWS, COLS]:
                scaled = block * np.float32(0.02 * (1 + i % 7))
                scaled[i % ROWS, i % COLS] = 1.5  # one outlier per matrix
                f.write(scaled.tobytes())
            else:
                f.write(rng.standard_normal(shape, dtype=np.float32).tobytes())
    return path.stat().st_size, len(shapes)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--gb", type=float, default=6.0)
    p.add_argument("--limit-gb", type=float, default=1.5)
    p.add_argument("--dir", default=tempfile.gettempdir())
    p.add_argument("--keep", action="store_true")
    p.add_argument("--args", default="--bits 4 --granularity channel")
    args = p.parse_args()
    path = Path(args.dir) / "quantviz-big.safetensors"
    out = Path(args.dir) / "quantviz-big-report"
    start = time.perf_counter()
    size, n = write_file(path, args.gb)
    took = time.perf_counter() - start
    print(f"wrote {path}: {size / 2**30:.2f} GB, {n} tensors in {took:.1f} s")
    limit = int(args.limit_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cli = ["report", str(path), *args.args.split(), "--out", str(out), "--quiet"]
    command = [sys.executable, "-c", CHILD, *cli]
    try:
        start = time.perf_counter()
        done = subprocess.run(command, preexec_fn=cap, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        peak = int(done.stdout.split()[-1]) * 1024 if done.stdout.strip() else 0
        print(
            f"exit {done.returncode}; {wall:.1f} s; peak RSS {peak / 2**20:.0f} MB; "
            f"address space capped at {args.limit_gb} GB; file {size / 2**30:.2f} GB"
        )
        if done.returncode:
            print(done.stderr[-2000:])
        else:
            print((out / "summary.md").read_text().split("## SQNR")[0])
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
