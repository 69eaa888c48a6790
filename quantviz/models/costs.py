"""What one inference costs, float32 against int8: multiply-adds and bytes moved, per layer.

>>> import quantviz as qv
>>> t = qv.inference_costs("digits-cnn").table
>>> int(t["macs"].sum()), int(t["float32_bytes"].sum()), int(t["int8_bytes"].sum())
(91776, 58704, 16008)

"Quantization adds computation" (the seed article) counts the quantize and dequantize steps
of a *simulation*. An integer engine does the same multiply-adds as float, each on 8-bit
instead of 32-bit operands, and adds only the requantization of each output value (one
multiply, a shift, the zero point, a clamp) and the quantization of the input image; the
zero point's cross terms cost nothing at run time with symmetric weights (they fold into the
bias, :func:`quantviz.models.integer_stages.zero_point_terms`).

Counted per example, each layer reading its weights and bias once and its input once and
writing its output once (after ReLU and pooling: a runtime that fuses them; ONNX Runtime
writes the convolution's output before pooling, which :attr:`InferenceCosts.table`'s
``unpooled_outputs`` shows):

* ``macs``: multiply-adds, ``outputs × inputs per output`` (conv: ``h·w·out · in·k·k``);
* float32: weights and biases 4 bytes each, activations 4 bytes;
* int8: weights 1 byte, biases 4 (int32), one float32 weight scale per output channel, one
  requantization multiplier per output channel (4 bytes, M0 as an int32; its shift fits in
  a byte, counted in it), activations 1 byte;
* ``extra_ops``: what integers add: one requantization per output value before pooling
  (multiply, shift, add zero point, clamp: counted as one), and for the first layer the
  quantization of the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantviz.models.zoo import Model, load_model

COLUMNS = (
    "layer", "macs", "weights", "inputs", "outputs", "unpooled_outputs", "float32_bytes",
    "int8_bytes", "extra_ops",
)  # fmt: skip


@dataclass(frozen=True)
class InferenceCosts:
    """Per-layer costs of one inference (:data:`COLUMNS`) and the totals.

    ``table`` has one row per layer: ``macs``, ``weights`` (count), ``inputs`` and
    ``outputs`` (activation values read and written), ``unpooled_outputs`` (before
    pooling), ``float32_bytes`` and ``int8_bytes`` moved (weights, biases, scales,
    multipliers, activations), ``extra_ops`` (what integers add).
    """

    table: pd.DataFrame

    @property
    def macs(self) -> int:
        return int(self.table["macs"].sum())

    @property
    def float32_bytes(self) -> int:
        return int(self.table["float32_bytes"].sum())

    @property
    def int8_bytes(self) -> int:
        return int(self.table["int8_bytes"].sum())

    @property
    def extra_ops(self) -> int:
        return int(self.table["extra_ops"].sum())

    @property
    def bytes_ratio(self) -> float:
        """float32 bytes moved over int8 bytes moved."""
        return self.float32_bytes / self.int8_bytes

    @property
    def extra_fraction(self) -> float:
        """What integers add, as a fraction of the multiply-adds both do."""
        return self.extra_ops / self.macs


def inference_costs(model: Model | str = "digits-cnn") -> InferenceCosts:
    """Multiply-adds and bytes moved for one example, float32 against int8 (see the module)."""
    m = model if isinstance(model, Model) else load_model(model)
    shape = m.x_test.shape[1:]
    rows = []
    for i, layer in enumerate(m.layers):
        n_in = int(np.prod(shape))
        out_ch = layer.weight.shape[0]
        per_output = int(np.prod(layer.weight.shape[1:]))
        if layer.kind == "conv":
            h, w = shape[1], shape[2]
            unpooled = out_ch * h * w
            pool = int(layer.pool or 1)
            shape = (out_ch, h // pool, w // pool)
        else:
            unpooled = out_ch
            shape = (out_ch,)
        n_out = int(np.prod(shape))
        weights = int(layer.weight.size)
        biases = int(layer.bias.size)
        last = i == len(m.layers) - 1
        float_bytes = 4 * (weights + biases + n_in + n_out)
        # int8: codes, int32 bias, a float32 scale and an int32 multiplier per output channel;
        # the last layer writes float32 logits and needs no multiplier
        int_bytes = weights + 4 * biases + 4 * out_ch + (0 if last else 4 * out_ch)
        int_bytes += n_in + (4 * n_out if last else n_out)
        extra = unpooled + (n_in if i == 0 else 0)
        rows.append({
            "layer": layer.name, "macs": unpooled * per_output, "weights": weights,
            "inputs": n_in, "outputs": n_out, "unpooled_outputs": unpooled,
            "float32_bytes": float_bytes, "int8_bytes": int_bytes, "extra_ops": extra,
        })  # fmt: skip
    return InferenceCosts(pd.DataFrame(rows, columns=list(COLUMNS)))
