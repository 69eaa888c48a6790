"""Record NVIDIA ModelOpt's entropy (KL) calibration results as a test fixture.

ModelOpt is too heavy to install in CI, so its answers are recorded once and
kept in ``tests/data/modelopt_entropy.json``; ``tests/library/test_ranges.py`` checks
``quantviz.ranges.entropy_threshold`` against them. Rerun to refresh:

    python -m venv /tmp/mo && /tmp/mo/bin/pip install nvidia-modelopt==0.47.0 \
        torch==2.13.0 requests huggingface_hub transformers
    /tmp/mo/bin/python scripts/record_modelopt_entropy.py

The histograms are of ``|x|`` with 2048 bins on ``[0, max |x|]``, as ModelOpt's
``HistogramCalibrator`` collects them (``torch.histc``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from modelopt import __version__ as modelopt_version
from modelopt.torch.quantization.calib.histogram import _compute_amax_entropy

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "modelopt_entropy.json"


def main() -> None:
    rng = np.random.default_rng(2026)
    data = {
        "normal": rng.standard_normal(200_000),
        "laplace": rng.laplace(size=200_000),
        "student_t3": rng.standard_t(3, size=200_000),
        "outliers": np.concatenate([rng.standard_normal(200_000), [40.0, -35.0]]),
        "relu_half_normal": np.abs(rng.standard_normal(200_000)),
    }
    cases = []
    for name, x in data.items():
        absx = torch.from_numpy(np.abs(x).astype(np.float32))
        hist = torch.histc(absx, bins=2048, min=0, max=float(absx.max()))
        edges = torch.linspace(0, float(absx.max()), 2049)
        unsigned = bool(x.min() >= 0)
        for bits in (4, 6, 8):
            amax = _compute_amax_entropy(hist.numpy().copy(), edges.numpy(), bits, unsigned)
            index = int(np.argmin(np.abs(edges.numpy() - float(amax))))
            cases.append(
                {
                    "data": name,
                    "bits": bits,
                    "unsigned": unsigned,
                    "hist": hist.numpy().astype(np.int64).tolist(),
                    "amax": float(amax),
                    "kept_bins": index,
                }
            )
    OUT.write_text(
        json.dumps(
            {
                "modelopt_version": modelopt_version,
                "torch_version": torch.__version__,
                "cases": cases,
            }
        )
    )
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
