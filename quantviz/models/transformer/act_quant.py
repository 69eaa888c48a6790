"""Quantizing a Linear's input: one grid per tensor, per text, per token or per channel.

>>> import numpy as np
>>> x = np.array([[[0.0, 1.0, 2.0, 3.0], [0.0, 10.0, 20.0, 30.0]]], dtype=np.float32)
>>> mask = np.ones((1, 2), dtype=bool)                  # one text of two tokens
>>> per_text(ActivationSpec(bits=2, mode="dynamic"))(x, mask)[0, 0].tolist()
[0.0, 0.0, 0.0, 0.0]
>>> per_token(ActivationSpec(bits=2, mode="per_token"))(x, mask)[0, 0].tolist()
[0.0, 1.0, 2.0, 3.0]

(One 2-bit grid for the text steps by 10 and the small token vanishes; a grid per token
keeps it.)

The input ``x`` ``(texts, tokens, channels)`` of every Linear is fake-quantized (codes
``clamp(round(x/s) + z, qmin, qmax)``, then ``(codes − z)·s``, as
:func:`quantviz.quantizer.quantize_codes`) on a grid chosen by ``mode``:

* ``"static"``: one grid per Linear input, calibrated once on the calibration texts'
  float activations (PyTorch's prepare → calibrate → convert); min-max over every
  calibration token, or another range strategy on a fixed sample of calibration tokens;
* ``"dynamic"``: one grid per text, from that text's own tokens at run time (PyTorch's
  ``quantize_dynamic`` computes one range per batch; a batch here is one text);
* ``"per_token"``: one grid per token, from that token's own channels at run time (the
  LLM.int8()/SmoothQuant "per-token" scales: an integer matmul can still apply them, one
  per output row);
* ``"per_channel"``: one static grid per input channel, calibrated. No integer matmul can
  apply a scale per input channel (it sits inside the sum); shown because it is what
  SmoothQuant approximates.

Padding never sets a range. The grid is affine (codes 0 … 2^b − 1) by default, as
PyTorch's quint8 activations; ``symmetric=True`` gives codes −2^(b−1) … 2^(b−1) − 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.models.evaluate import ActivationSpec as GridSpec
from quantviz.models.transformer.bert import InputQuantizer
from quantviz.quantizer import F32, dequantize, qparams, quantize_codes
from quantviz.ranges import clipping_range

ACTIVATION_MODES = ("static", "dynamic", "per_token", "per_channel")


@dataclass(frozen=True)
class ActivationSpec:
    """How every Linear's input is quantized (see :func:`quantviz.evaluate`'s
    ``activations``): ``bits``, ``mode``, range ``strategy`` (with its ``params``),
    ``symmetric``."""

    bits: int = 8
    mode: str = "static"
    strategy: str = "minmax"
    symmetric: bool = False
    params: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, spec: object) -> ActivationSpec | None:
        """Check a user's ``activations`` dict (None: activations stay float32)."""
        if spec is None:
            return None
        mode = "static"
        if isinstance(spec, Mapping):  # (anything else: GridSpec says what it should be)
            spec = dict(spec)
            mode = spec.pop("mode", "static")
            if mode not in ACTIVATION_MODES:
                raise InputError(
                    f'activations["mode"] must be one of {", ".join(ACTIVATION_MODES)}; '
                    f"not {mode!r}."
                )
            if "batch" in spec:
                raise InputError(
                    'activations["batch"] is for the digits CNN; here "dynamic" gives each '
                    "text its own range."
                )
        common = GridSpec.of(spec)  # bits, strategy, symmetric and its parameters
        out = cls(common.bits, str(mode), common.strategy, common.symmetric, common.params)
        out.ranges(np.zeros((1, 2), dtype=F32))  # the strategy's parameter values, checked now
        return out

    def ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The strategy's clipping range of each row of ``rows``."""
        if self.strategy == "minmax":
            return rows.min(axis=1), rows.max(axis=1)
        return clipping_range(
            rows, self.strategy, bits=self.bits, symmetric=self.symmetric, **dict(self.params)
        )


def fake_quant(
    x: np.ndarray, low: np.ndarray, high: np.ndarray, bits: int, symmetric: bool
) -> np.ndarray:
    """``x`` on the grid of ``[low, high]`` (both broadcast against ``x``), dequantized."""
    qp = qparams(low, high, bits, symmetric=symmetric)
    codes, _ = quantize_codes(x, qp.scale, qp.zero_point, qp.qmin, qp.qmax)
    return dequantize(codes, qp.scale, qp.zero_point)


def fixed(spec: ActivationSpec, low: np.ndarray, high: np.ndarray) -> InputQuantizer:
    """A calibrated grid: one range (static) or one per input channel (per_channel)."""
    low, high = np.asarray(low, dtype=F32), np.asarray(high, dtype=F32)
    qp = qparams(low, high, spec.bits, symmetric=spec.symmetric)

    def quantize(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        codes, _ = quantize_codes(x, qp.scale, qp.zero_point, qp.qmin, qp.qmax)
        return dequantize(codes, qp.scale, qp.zero_point)

    return quantize


def per_text(spec: ActivationSpec) -> InputQuantizer:
    """Dynamic: each text's grid from its own tokens (padding excluded)."""

    def quantize(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        if spec.strategy == "minmax":
            m = mask[..., None]
            low = np.where(m, x, np.inf).min(axis=(1, 2))
            high = np.where(m, x, -np.inf).max(axis=(1, 2))
        else:
            pairs = [spec.ranges(x[i][mask[i]].reshape(1, -1)) for i in range(n)]
            low = np.concatenate([p[0] for p in pairs])
            high = np.concatenate([p[1] for p in pairs])
        shape = (n, 1, 1)
        return fake_quant(x, low.reshape(shape), high.reshape(shape), spec.bits, spec.symmetric)

    return quantize


def per_token(spec: ActivationSpec) -> InputQuantizer:
    """Per token: each token's grid from its own channels."""

    def quantize(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1])
        low, high = spec.ranges(rows)
        shape = (*x.shape[:-1], 1)
        return fake_quant(x, low.reshape(shape), high.reshape(shape), spec.bits, spec.symmetric)

    return quantize
