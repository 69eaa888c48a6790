"""Channel by channel: how the rows of a weight matrix differ, and what each grid costs them.

Output channels are rows of a Linear layer's weight (``axis=0``); the rows are cut
exactly as per-channel quantization cuts them (:mod:`quantviz.granularity`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantviz.granularity import layout
from quantviz.pipeline import QuantResult


@dataclass(frozen=True)
class ChannelStats:
    """Per-channel view of a tensor along ``axis``.

    ``low``/``high`` are each channel's min and max; ``mse`` maps a label such as
    ``"per tensor"`` to the mean squared error of each channel under that result.
    """

    axis: int
    low: np.ndarray
    high: np.ndarray
    mse: Mapping[str, np.ndarray]

    @property
    def n_channels(self) -> int:
        return int(self.low.size)

    def total_mse(self, label: str) -> float:
        """The whole tensor's MSE under ``label`` (mean of the channels' MSE: equal sizes)."""
        return float(np.mean(self.mse[label]))

    def amax_ratio(self) -> float:
        """Largest over smallest channel ``max |x|``: how uneven the channels are."""
        amax = np.maximum(np.abs(self.low), np.abs(self.high))
        smallest = float(np.min(amax))
        return float(np.max(amax)) / smallest if smallest > 0 else float("inf")


def channel_stats(x: np.ndarray, axis: int, results: Mapping[str, QuantResult]) -> ChannelStats:
    """Per-channel min, max and, for each labelled result, per-channel MSE."""
    channels = layout(np.shape(x), "channel", axis=axis)
    rows = channels.to_rows(x)
    mse = {}
    for label, r in results.items():
        err = np.subtract(channels.to_rows(r.dequantized), rows, dtype=np.float32)
        mse[label] = np.einsum("ij,ij->i", err, err, dtype=np.float64) / rows.shape[1]
    return ChannelStats(axis, rows.min(axis=1), rows.max(axis=1), mse)
