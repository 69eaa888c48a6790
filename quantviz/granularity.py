"""Granularity: which values share one scale and zero point.

Every granularity is the same operation on a 2-D view of the tensor: one *row*
per scale. Per tensor there is one row; per channel a row per slice along
``axis`` (PyTorch's ``PerChannelMinMaxObserver``: output channels are rows of a
Linear layer's weight, ``axis=0``); per group a row per contiguous block of
``group_size`` values along the last axis (as GGML and bitsandbytes do, with
blocks of 32, 64 or 128).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError

GRANULARITIES = ("tensor", "channel", "group")
DEFAULT_GROUP_SIZE = 128


@dataclass(frozen=True)
class Layout:
    """How a tensor of ``shape`` is cut into rows that each get their own grid.

    ``param_shape`` is the shape of the scale / zero-point arrays the user sees:
    ``()`` per tensor, ``(shape[axis],)`` per channel, ``shape[:-1] + (shape[-1] //
    group_size,)`` per group.
    """

    granularity: str
    shape: tuple[int, ...]
    axis: int | None = None
    group_size: int | None = None

    @property
    def param_shape(self) -> tuple[int, ...]:
        if self.granularity == "tensor":
            return ()
        if self.granularity == "channel":
            return (self.shape[self.axis],)
        return (*self.shape[:-1], self.shape[-1] // self.group_size)

    @property
    def n_rows(self) -> int:
        return int(np.prod(self.param_shape, dtype=np.int64))

    def to_rows(self, x: np.ndarray) -> np.ndarray:
        """The 2-D ``(n_rows, row_length)`` view (a copy only when ``axis`` is not first)."""
        if self.granularity == "channel":
            return np.moveaxis(x, self.axis, 0).reshape(self.n_rows, -1)
        return x.reshape(self.n_rows, -1)

    def from_rows(self, rows: np.ndarray) -> np.ndarray:
        """Undo :meth:`to_rows`: back to the tensor's own shape."""
        if self.granularity == "channel":
            moved = (self.shape[self.axis], *np.delete(self.shape, self.axis))
            return np.moveaxis(rows.reshape(moved), 0, self.axis)
        return rows.reshape(self.shape)

    def to_params(self, per_row: np.ndarray) -> np.ndarray:
        """Shape one value per row as the user sees the scales (``param_shape``)."""
        return np.asarray(per_row).reshape(self.param_shape)


def layout(
    shape: tuple[int, ...],
    granularity: str = "tensor",
    *,
    axis: int = 0,
    group_size: int | None = None,
) -> Layout:
    """Validate a granularity against a tensor's shape and return its :class:`Layout`.

    Raises
    ------
    InputError
        Unknown granularity, an axis the tensor does not have, or a group size
        that is not a positive divisor of the last dimension.
    """
    shape = tuple(int(s) for s in shape)
    if granularity == "tensor":
        return Layout("tensor", shape)
    if granularity == "channel":
        if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
            raise InputError(f"axis must be a whole number, not {axis!r}.")
        if not -len(shape) <= axis < len(shape):
            raise InputError(
                f"axis {axis} does not exist in a tensor of shape {shape} "
                f"(valid: {-len(shape)} to {len(shape) - 1}).",
                kind="no_axis",
                fields={"axis": axis, "shape": str(shape), "low": -len(shape),
                        "high": len(shape) - 1},
            )  # fmt: skip
        return Layout("channel", shape, axis=int(axis) % len(shape))
    if granularity == "group":
        size = DEFAULT_GROUP_SIZE if group_size is None else group_size
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise InputError(f"group_size must be a positive whole number, not {group_size!r}.")
        last = shape[-1]
        if last % size:
            raise InputError(
                f"group_size {size} does not divide the last dimension ({last}) of a tensor of "
                f"shape {shape}; choose a divisor of {last}.",
                kind="group_size",
                fields={"size": size, "last": last, "shape": str(shape)},
            )
        return Layout("group", shape, group_size=int(size))
    raise InputError(f"granularity must be one of {GRANULARITIES}, not {granularity!r}.")
