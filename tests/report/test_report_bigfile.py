"""A checkpoint far larger than the memory the scan takes: ``quantviz report`` reads it a
tensor at a time (memory-mapped), so its peak resident size stays well below the file's.

The file (640 MB of float32 safetensors) is written sparsely: the header, two tensors of
random values and holes of zeros for the other 38, so writing it takes well under a second
and it takes little disk. The report runs in a fresh Python process, which prints its own
peak resident size (``VmHWM`` in ``/proc/self/status``) at the end.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROWS, COLS, N_TENSORS = 2048, 2048, 40  # 40 tensors of 16 MB: 640 MB of data
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the peak resident size from /proc"
)
RANDOM = {"layer.7.weight": 0.02, "layer.31.weight": 1.0}  # tensors with values (their scale)


def write_sparse_safetensors(path: Path) -> int:
    """Write the file; return its size in bytes. Tensors not in RANDOM are all zeros."""
    n_bytes = ROWS * COLS * 4
    header = {
        f"layer.{i}.weight": {
            "dtype": "F32",
            "shape": [ROWS, COLS],
            "data_offsets": [i * n_bytes, (i + 1) * n_bytes],
        }
        for i in range(N_TENSORS)
    }
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    start = 8 + len(text)
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, scale in RANDOM.items():
            i = int(name.split(".")[1])
            f.seek(start + i * n_bytes)
            f.write((rng.standard_normal((ROWS, COLS), dtype=np.float32) * scale).tobytes())
        f.truncate(start + N_TENSORS * n_bytes)
    return start + N_TENSORS * n_bytes


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child would report the
# resident size of the (forked) test process if that was larger.
CHILD = """
import sys
from quantviz_report.cli import main
status = main(["report", sys.argv[1], "--bits", "8", "--out", sys.argv[2], "--quiet",
               "--histograms", "1"])
with open("/proc/self/status") as f:
    peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
print(status, peak_kb)
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("big")
    path = folder / "big.safetensors"
    size = write_sparse_safetensors(path)
    yield path, size
    path.unlink()


def test_a_file_larger_than_the_memory_used_is_scanned(big_file, tmp_path):
    path, size = big_file
    assert size > 671_088_640  # 640 MB of data, and the header
    out = tmp_path / "report"
    # One BLAS thread: on a busy 2-core machine OpenBLAS's threaded dot products (the error
    # sums) take three times as long; this test is about memory, not speed.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(out)],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    status, peak_kb = map(int, done.stdout.split())
    assert status == 0
    peak = peak_kb * 1024
    # The whole file is 640 MB; the scan holds one 16 MB tensor (and one histogram's arrays).
    assert peak < 0.5 * size, f"peak resident size {peak / 2**20:.0f} MB"
    table = pd.read_csv(out / "model_table.csv")
    assert len(table) == N_TENSORS
    assert (table["values"] == ROWS * COLS).all()
    # zeros are stored exactly; the two random tensors are not
    lossy = table[table["mse"] > 0]
    assert list(lossy["tensor"]) == ["layer.7.weight", "layer.31.weight"]
    summary = (out / "summary.md").read_text()
    assert "Tensors quantized | 40 of 40 float tensors" in summary
