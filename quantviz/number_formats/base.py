"""What every number format is: a name, a family, an element width, a block rule, and an
``encode`` function from rows of values to the values it can store.

A format works on rows, as the integer grid does (:mod:`quantviz.granularity`): each row
of ``(n_rows, row_length)`` float32 values shares one scale (a tensor, a channel, a
group, or a block of a fixed size). ``encode`` returns an :class:`Encoded`: what each
value becomes (``dequantized``), the element code it is stored as, the scale of each
row as the file would store it (decoded to float32), and how many bits those scales
take. :func:`quantviz.number_formats.quantize_format` lays a tensor out in rows, calls
``encode`` and measures the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Encoded:
    """A format's answer for ``(n_rows, row_length)`` rows.

    Attributes
    ----------
    dequantized : np.ndarray
        float32, the rows' shape: the value each input becomes.
    codes : np.ndarray
        Integers, the rows' shape: the element each value is stored as (its index in
        the format's ``grid()``, or the integer the file stores, as the format says).
    scales : np.ndarray
        float32, one per row: the row's scale as stored, decoded (E8M0 as 2^e, fp16 as
        its float value, NVFP4's E4M3 block scale, …).
    scale_bits : int
        The bits all stored scales and per-row metadata take together (a per-tensor
        scale included), for bits per weight.
    offsets : np.ndarray or None
        float32, one per row, for formats whose value is ``grid[code] · scale + offset``
        (GGML's ``_1`` types store a minimum ``m``); None where the offset is 0.
    tensor_scale : float or None
        A second, per-tensor float32 scale by which every row's scale is multiplied
        (NVFP4's two levels: the value is ``grid[code] · scale · tensor_scale``); None
        for one-level formats.
    """

    dequantized: np.ndarray
    codes: np.ndarray
    scales: np.ndarray
    scale_bits: int
    offsets: np.ndarray | None = None
    tensor_scale: float | None = None


@dataclass(frozen=True)
class NumberFormat:
    """A number format.

    Attributes
    ----------
    name : str
        Its name in ``qv.quantize(x, format=name)``: ``"fp8_e4m3"``, ``"mxfp4"``, ``"nf4"``, ….
    family : str
        ``"float"`` (an element float with a float32 scale per tensor/channel/group),
        ``"mx"`` (OCP microscaling: blocks of 32 with a power-of-two scale), ``"nvfp4"``,
        ``"codebook"`` (NF4), ``"ggml"`` (llama.cpp blocks), ``"binary"`` (binary, ternary).
    element_bits : int
        Bits per stored element.
    block_size : int or None
        The fixed number of consecutive values that share a scale, or None when the
        granularity decides (tensor, channel, or a group of any size).
    default_block : int or None
        The block size used when none is asked for (``block_size`` when fixed).
    allowed_blocks : tuple of int
        Block sizes the format allows (empty: any that divides the row).
    description : str
        One line on what it is and where it comes from.
    reference : str
        The implementation the format is checked against.
    encode : callable
        ``encode(rows) -> Encoded`` for float32 rows of one block (or group) each.
    grid : callable
        ``grid()``: the element's representable values before scaling, sorted (for
        pictures), or an empty array where the grid depends on the block (ternary).
    flattened : bool
        True if its blocks run over the flattened tensor, the last one shorter (NF4, as
        bitsandbytes stores it), rather than along the last axis.
    element : str
        The element float an ml_dtypes type stores (``"e4m3"``, ``"e2m1"``, …; MXINT8's
        ``"int8"``), ``""`` for codebooks and integers.
    code_is_value : bool
        True if a code is the element's value itself (Q8_0's int8, ternary's −1/0/1);
        False if it is an index into ``grid()``.
    """

    name: str
    family: str
    element_bits: int
    block_size: int | None
    default_block: int | None
    allowed_blocks: tuple[int, ...]
    description: str
    reference: str
    encode: Callable[[np.ndarray], Encoded]
    grid: Callable[[], np.ndarray]
    flattened: bool = False
    element: str = ""
    code_is_value: bool = False
