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
    ``"per tensor"`` to the mean squared error of each channel under that result;
    ``channels`` the channel numbers when the entries are groups (:meth:`envelope`).
    """

    axis: int
    low: np.ndarray
    high: np.ndarray
    mse: Mapping[str, np.ndarray]
    channels: np.ndarray | None = None

    @property
    def index(self) -> np.ndarray:
        """The channel number of each entry (the first of its group after :meth:`envelope`)."""
        return np.arange(self.low.size) if self.channels is None else self.channels

    @property
    def n_channels(self) -> int:
        """Entries (channels, or groups of channels after :meth:`envelope`)."""
        return int(self.low.size)

    def total_mse(self, label: str) -> float:
        """The whole tensor's MSE under ``label`` (mean of the channels' MSE: equal sizes)."""
        return float(np.mean(self.mse[label]))

    def envelope(self, max_channels: int) -> ChannelStats:
        """At most ``max_channels`` channels to draw: all of them, or groups of ``k``
        consecutive channels, each shown by its widest range and its worst MSE, so no
        bad channel disappears from view. ``channels`` says where each group starts."""
        n = self.n_channels
        k = max(1, -(-n // max_channels))
        if k == 1:
            return self
        starts = np.arange(0, n, k)
        return ChannelStats(
            self.axis,
            np.minimum.reduceat(self.low, starts),
            np.maximum.reduceat(self.high, starts),
            {label: np.maximum.reduceat(m, starts) for label, m in self.mse.items()},
            starts,
        )

    def amax_ratio(self) -> float:
        """Largest over smallest channel ``max |x|``: how uneven the channels are."""
        amax = np.maximum(np.abs(self.low), np.abs(self.high))
        smallest = float(np.min(amax))
        return float(np.max(amax)) / smallest if smallest > 0 else float("inf")


def channel_stats(x: np.ndarray, axis: int, results: Mapping[str, QuantResult]) -> ChannelStats:
    """Per-channel min, max and, for each labelled result, per-channel MSE."""
    channels = layout(np.shape(x), "channel", axis=axis)
    rows = channels.to_rows(x)
    step = max(1, _SLICE // max(rows.shape[1], 1))  # whole channels, about _SLICE values
    mse = {}
    for label, r in results.items():
        x_hat = channels.to_rows(r.dequantized)
        sse = np.empty(rows.shape[0])
        for i in range(0, rows.shape[0], step):  # cache-sized slices: no tensor-sized temporaries
            err = np.subtract(x_hat[i : i + step], rows[i : i + step]).astype(np.float64)
            sse[i : i + step] = np.einsum("ij,ij->i", err, err)
        mse[label] = sse / rows.shape[1]
    return ChannelStats(axis, rows.min(axis=1), rows.max(axis=1), mse)


_SLICE = 1 << 16
