"""Quantization-aware training (QAT) of the shipped digits CNN at 2, 3 and 4 bits.

Post-training quantization (PTQ) rounds the trained weights once; at 2 bits per tensor the
digits CNN drops from 98.1 % to 20.6 %. QAT fine-tunes the float weights with the rounding
in the forward pass, so the network learns weights that survive it. The rounding's true
gradient is zero almost everywhere (a staircase), so the backward pass uses the
straight-through estimator (STE, Bengio et al. 2013): the gradient of ``x̂ = q(x)`` is taken
as 1 inside the grid's range and 0 outside.

Two ways of choosing the grid while training, each per tensor and per output channel:

* ``ste``: the grid PTQ uses (asymmetric min-max, PyTorch's observer formula, recomputed
  from the current weights at every step, no gradient through it), as PyTorch's
  ``FakeQuantize`` with a ``MinMaxObserver`` does. The result is evaluated by
  ``qv.evaluate`` on the fine-tuned weights with the same settings as PTQ.
* ``lsq``: Learned Step Size Quantization (Esser et al., 2020): symmetric signed codes
  ``−2^(b−1) … 2^(b−1) − 1``, the step ``s`` a trained parameter (initial
  ``2·mean|w| / √qmax``), its gradient ``round(w/s) − w/s`` inside the range and ``qmin`` or
  ``qmax`` outside, scaled by ``g = 1/√(N·qmax)``.

Activations stay float32 (weights-only quantization, as the PTQ numbers it is compared with).
Training: the 1,257 training images of ``scripts/train_digits.py``'s split (seed 0), Adam
lr 1e-3, cosine schedule, 30 epochs, batches of 64, seed 0, one thread, deterministic
algorithms: the same torch build gives the same numbers.

Writes (``assets/models/qat/``, and the training images in ``assets/models/``):

* ``digits-cnn-qat.json``: PTQ (min-max and MSE ranges) and QAT (STE, LSQ) test accuracy for
  each bit width and granularity, the training settings, and a short check run (one epoch)
  that the tests repeat;
* ``digits-cnn-qat.safetensors``: each QAT model as it is deployed: per layer the weight
  codes (``<method>-<bits>-<granularity>.<layer>.codes``, uint8 for ``ste``, int8 for
  ``lsq``), ``.scale`` and ``.zero_point`` (one per output channel), and the fine-tuned
  float32 ``.bias``;
* ``digits-train.npz``: the 1,257 training images and labels (uint8), so that the library's
  own numpy fine-tune (``quantviz.models.qat``) runs without scikit-learn.

Run (CPU, about a minute)::

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python scripts/train_qat.py
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_digits import SEED, DigitsCNN, as_input, splits

import quantviz as qv
from quantviz.models.qat import accuracy, deployed_model

OUT = Path(__file__).resolve().parents[1] / "assets" / "models"
QAT_OUT = OUT / "qat"  # not beside the shipped models' JSON files: qv.models() lists those
BITS = (2, 3, 4)
GRANULARITIES = ("tensor", "channel")
METHODS = ("ste", "lsq")
EPOCHS = 30
BATCH = 64
LR = 1e-3
CHECK = {"method": "ste", "bits": 2, "granularity": "tensor", "epochs": 1}
LAYERS = ("conv1", "conv2", "fc1", "fc2")


def minmax_grid(w: torch.Tensor, bits: int, per_channel: bool) -> tuple[torch.Tensor, ...]:
    """The asymmetric min-max grid (PyTorch's observer formula, float32): scale, zero point."""
    rows = w.detach().reshape(w.shape[0], -1) if per_channel else w.detach().reshape(1, -1)
    lo = torch.clamp(rows.min(dim=1).values, max=0.0)
    hi = torch.clamp(rows.max(dim=1).values, min=0.0)
    qmax = 2**bits - 1
    scale = torch.clamp((hi - lo) / qmax, min=torch.finfo(torch.float32).eps)
    zero_point = torch.clamp(-torch.round(lo / scale), 0, qmax).to(torch.int32)
    return scale, zero_point


def fake_quant_ste(w: torch.Tensor, bits: int, per_channel: bool) -> torch.Tensor:
    scale, zp = minmax_grid(w, bits, per_channel)
    if per_channel:
        return torch.fake_quantize_per_channel_affine(w, scale, zp, 0, 0, 2**bits - 1)
    return torch.fake_quantize_per_tensor_affine(w, float(scale), int(zp), 0, 2**bits - 1)


def fake_quant_lsq(w: torch.Tensor, s: torch.Tensor, bits: int) -> torch.Tensor:
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    g = 1.0 / math.sqrt(w.numel() / s.numel() * qmax)
    s = (s - s * g).detach() + s * g  # the value of s, the gradient scaled by g
    s = s.reshape((-1,) + (1,) * (w.dim() - 1))
    v = torch.clamp(w / s, qmin, qmax)
    v = (torch.round(v) - v).detach() + v  # round in the forward pass, identity backward
    return v * s


class QATNet(nn.Module):
    """The digits CNN whose weights are fake-quantized in every forward pass."""

    def __init__(self, base: DigitsCNN, method: str, bits: int, per_channel: bool) -> None:
        super().__init__()
        self.net, self.method, self.bits, self.per_channel = base, method, bits, per_channel
        self.steps = nn.ParameterDict()
        if method == "lsq":
            qmax = 2 ** (bits - 1) - 1
            for name in LAYERS:
                w = getattr(base, name).weight.detach()
                rows = w.reshape(w.shape[0], -1) if per_channel else w.reshape(1, -1)
                self.steps[name] = nn.Parameter(2 * rows.abs().mean(dim=1) / math.sqrt(qmax))

    def quantized(self, name: str) -> torch.Tensor:
        w = getattr(self.net, name).weight
        if self.method == "ste":
            return fake_quant_ste(w, self.bits, self.per_channel)
        return fake_quant_lsq(w, self.steps[name], self.bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = nn.functional
        n = self.net
        x = f.max_pool2d(
            torch.relu(f.conv2d(x, self.quantized("conv1"), n.conv1.bias, padding=1)), 2
        )
        x = f.max_pool2d(
            torch.relu(f.conv2d(x, self.quantized("conv2"), n.conv2.bias, padding=1)), 2
        )
        x = torch.relu(f.linear(x.flatten(1), self.quantized("fc1"), n.fc1.bias))
        return f.linear(x, self.quantized("fc2"), n.fc2.bias)

    def deployed(self) -> dict[str, np.ndarray]:
        """Per layer: integer codes, scale and zero point per output channel, float bias."""
        out = {}
        for name in LAYERS:
            w = getattr(self.net, name).weight.detach()
            n_out = w.shape[0]
            if self.method == "ste":
                scale, zp = minmax_grid(w, self.bits, self.per_channel)
                s = scale.reshape((-1,) + (1,) * (w.dim() - 1))
                z = zp.reshape(s.shape)
                codes = torch.clamp(torch.round(w * (1 / s)) + z, 0, 2**self.bits - 1).to(
                    torch.uint8
                )
            else:
                qmin, qmax = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
                scale = self.steps[name].detach()
                s = scale.reshape((-1,) + (1,) * (w.dim() - 1))
                codes = torch.clamp(torch.round(w / s), qmin, qmax).to(torch.int8)
                zp = torch.zeros_like(scale, dtype=torch.int32)
            out[f"{name}.codes"] = codes.numpy()
            out[f"{name}.scale"] = np.broadcast_to(scale.numpy(), (n_out,)).astype(np.float32)
            out[f"{name}.zero_point"] = np.broadcast_to(zp.numpy(), (n_out,)).astype(np.int32)
            out[f"{name}.bias"] = getattr(self.net, name).bias.detach().numpy().copy()
        return out


def float_model() -> DigitsCNN:
    model = DigitsCNN()
    weights = qv.load_weights(OUT / "digits-cnn.safetensors")
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    return model


def fine_tune(data: dict, method: str, bits: int, granularity: str, epochs: int) -> QATNet:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    net = QATNet(float_model(), method, bits, granularity == "channel")
    x, y = as_input(data["x_train"]), torch.from_numpy(data["y_train"].astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(x), generator=gen).split(BATCH):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
        sched.step()
    return net.eval()


def deployed_accuracy(deployed: dict[str, np.ndarray]) -> float:
    """The test accuracy of a deployed QAT model, computed by the library (numpy)."""
    return accuracy(deployed_model(deployed))


def main() -> None:
    data = splits()
    base = qv.load_model("digits-cnn")
    rows, tensors = [], {}
    t0 = time.time()
    for bits in BITS:
        for granularity in GRANULARITIES:
            ptq = {
                s: qv.evaluate(base, bits=bits, granularity=granularity, strategy=s,
                               layer_accuracy=False).accuracy
                for s in ("minmax", "mse")
            }  # fmt: skip
            row = {"bits": bits, "granularity": granularity, "ptq_minmax": ptq["minmax"],
                   "ptq_mse": ptq["mse"]}  # fmt: skip
            for method in METHODS:
                net = fine_tune(data, method, bits, granularity, EPOCHS)
                deployed = net.deployed()
                with torch.no_grad():
                    pred = net(as_input(data["x_test"])).argmax(1).numpy()
                torch_acc = float((pred == data["y_test"]).mean())
                acc = deployed_accuracy(deployed)
                assert abs(acc - torch_acc) <= 1 / 540, (acc, torch_acc)
                row[f"qat_{method}"] = acc
                key = f"{method}-{bits}-{granularity}"
                tensors.update({f"{key}.{k}": torch.from_numpy(np.ascontiguousarray(v))
                                for k, v in deployed.items()})  # fmt: skip
                print(f"{key}: PTQ min-max {ptq['minmax']:.4f}, MSE {ptq['mse']:.4f}; "
                      f"QAT {acc:.4f} (torch {torch_acc:.4f})", flush=True)  # fmt: skip
            rows.append(row)
    check_net = fine_tune(data, CHECK["method"], CHECK["bits"], CHECK["granularity"],
                          CHECK["epochs"])  # fmt: skip
    check = {**CHECK, "accuracy": deployed_accuracy(check_net.deployed())}
    QAT_OUT.mkdir(exist_ok=True)
    save_file(tensors, QAT_OUT / "digits-cnn-qat.safetensors",
              metadata={"script": "scripts/train_qat.py", "license": "CC BY 4.0"})  # fmt: skip
    (QAT_OUT / "digits-cnn-qat.safetensors").chmod(0o644)
    np.savez_compressed(OUT / "digits-train.npz", x_train=data["x_train"],
                        y_train=data["y_train"])  # fmt: skip
    results = {
        "model": "digits-cnn",
        "weights": "digits-cnn-qat.safetensors",
        "what": "test accuracy (540 digits) with the weights quantized, activations float32; "
        "PTQ: qv.evaluate with asymmetric min-max or MSE ranges; QAT: the fine-tuned "
        "model's deployed codes (ste: asymmetric min-max grid, lsq: learned steps, symmetric)",
        "float_accuracy": base.float_accuracy_recorded,
        "rows": rows,
        "check": check,
        "training": f"from the float weights; Adam lr {LR}, cosine schedule, {EPOCHS} epochs, "
        f"batches of {BATCH}, seed {SEED}, 1 thread, deterministic; torch {torch.__version__} CPU",
        "seconds": round(time.time() - t0, 1),
        "provenance": "scripts/train_qat.py on the UCI digits split of scripts/train_digits.py",
        "license": "CC BY 4.0",
    }
    (QAT_OUT / "digits-cnn-qat.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
