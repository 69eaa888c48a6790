"""Train the shipped model: a small CNN on the UCI handwritten digits (8×8 images, 10 classes).

Provenance and licence
----------------------
Data: "Optical Recognition of Handwritten Digits" (E. Alpaydin and C. Kaynak, 1998), UCI
Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0. The copy
used is the test part (1,797 images, 8×8 pixels, each pixel a count 0–16) that
scikit-learn bundles as ``sklearn.datasets.load_digits``: nothing is downloaded.
The trained weights and the saved test/calibration images are derived from it and
shared under the same licence (CC BY 4.0, credit the authors above).

What it writes (``assets/models/``)
-----------------------------------
* ``digits-cnn.safetensors``: the float32 weights in PyTorch layout (``conv1.weight``
  (16, 1, 3, 3), ``conv1.bias``, ``conv2.weight`` (32, 16, 3, 3), ``conv2.bias``,
  ``fc1.weight`` (64, 128), ``fc1.bias``, ``fc2.weight`` (10, 64), ``fc2.bias``);
* ``digits-data.npz``: ``x_test`` (540, 8, 8) and ``x_calib`` (256, 8, 8) as uint8 pixel
  counts 0–16, ``y_test`` / ``y_calib`` uint8 labels (load with ``allow_pickle=False``);
* ``digits-cnn.json``: the architecture, the float test accuracy measured here, the
  seed, the split and the provenance.

The split: a stratified 30 % of the 1,797 images (540) is held out as the test set;
the other 1,257 train the network. The calibration split (256 images, stratified) is
taken from the training images, as post-training quantization calibrates on training
data; it is only used to choose static activation ranges.

Network (input: pixels / 16, so in [0, 1])::

    conv1 3×3, 1→16, padding 1 → ReLU → max-pool 2   (16×4×4)
    conv2 3×3, 16→32, padding 1 → ReLU → max-pool 2  (32×2×2)
    flatten (128) → fc1 128→64 → ReLU → fc2 64→10 (logits)

Run (CPU, about ten seconds; the same seed gives the same weights on the same torch build:
the tensors are byte-identical between runs, only the order of the three metadata keys in
the safetensors header may change)::

    .venv/bin/pip install scikit-learn   # training only: the ``train`` extra
    .venv/bin/python scripts/train_digits.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

SEED = 0
TEST_SIZE = 540
CALIB_SIZE = 256
EPOCHS = 60
BATCH = 64
OUT = Path(__file__).resolve().parents[1] / "assets" / "models"

LAYERS = [
    {"name": "conv1", "kind": "conv", "in": 1, "out": 16, "kernel": 3, "padding": 1,
     "relu": True, "pool": 2},
    {"name": "conv2", "kind": "conv", "in": 16, "out": 32, "kernel": 3, "padding": 1,
     "relu": True, "pool": 2},
    {"name": "fc1", "kind": "dense", "in": 128, "out": 64, "relu": True, "pool": None},
    {"name": "fc2", "kind": "dense", "in": 64, "out": 10, "relu": False, "pool": None},
]  # fmt: skip


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(128, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def splits() -> dict[str, np.ndarray]:
    # imported here: scripts/train_qat.py's network and inputs need no scikit-learn
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.uint8)  # counts 0..16
    labels = digits.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_SIZE, stratify=labels, random_state=SEED
    )
    _, x_calib, _, y_calib = train_test_split(
        x_train, y_train, test_size=CALIB_SIZE, stratify=y_train, random_state=SEED
    )
    return {
        "x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
        "x_calib": x_calib, "y_calib": y_calib,
    }  # fmt: skip


def as_input(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images.astype(np.float32) / 16.0)[:, None]


def train(data: dict[str, np.ndarray]) -> DigitsCNN:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    model = DigitsCNN()
    x, y = as_input(data["x_train"]), torch.from_numpy(data["y_train"].astype(np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(BATCH):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        sched.step()
    return model.eval()


def accuracy(model: DigitsCNN, images: np.ndarray, labels: np.ndarray) -> tuple[int, float]:
    with torch.no_grad():
        pred = model(as_input(images)).argmax(1).numpy()
    correct = int((pred == labels).sum())
    return correct, correct / len(labels)


def main() -> None:
    data = splits()
    model = train(data)
    correct, acc = accuracy(model, data["x_test"], data["y_test"])
    OUT.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, OUT / "digits-cnn.safetensors",
              metadata={"source": "UCI optical digits via sklearn.datasets.load_digits",
                        "license": "CC BY 4.0", "script": "scripts/train_digits.py"})  # fmt: skip
    (OUT / "digits-cnn.safetensors").chmod(0o644)  # safetensors writes 0600
    np.savez_compressed(
        OUT / "digits-data.npz",
        **{k: data[k] for k in ("x_test", "y_test", "x_calib", "y_calib")},
    )
    sidecar = {
        "name": "digits-cnn",
        "title": "Handwritten digits CNN (8×8)",
        "weights": "digits-cnn.safetensors",
        "data": "digits-data.npz",
        "input": {"shape": [1, 8, 8], "pixel_max": 16, "scaling": "pixels / 16, in [0, 1]"},
        "layers": LAYERS,
        "classes": list(range(10)),
        "float_test_accuracy": acc,
        "float_test_correct": correct,
        "test_size": len(data["y_test"]),
        "calibration_size": len(data["y_calib"]),
        "train_size": len(data["y_train"]),
        "seed": SEED,
        "training": f"Adam lr 3e-3, weight decay 1e-4, cosine schedule, {EPOCHS} epochs, "
        f"batches of {BATCH}, torch {torch.__version__} CPU",
        "provenance": "UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak, 1998; "
        "doi:10.24432/C50P49), the 1,797-image copy bundled by scikit-learn "
        "(sklearn.datasets.load_digits); trained by scripts/train_digits.py",
        "license": "CC BY 4.0",
    }
    (OUT / "digits-cnn.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    print(f"float test accuracy {correct}/{len(data['y_test'])} = {acc:.4f}")


if __name__ == "__main__":
    main()
