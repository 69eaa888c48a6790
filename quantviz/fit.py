"""Fit quantization settings to a tensor: the one policy for settings that do not apply.

A setting chosen for one tensor may not fit another: a 1-D bias has no channels, a
group size may not divide a row, entropy calibration works per tensor only, a narrow
range needs two bits. :func:`fit_settings` changes such settings to the nearest ones
that do apply and says what it changed, so that a page, a table over a whole model
and a notebook all make the same choice.

>>> kwargs, changes = fit_settings((16,), bits=4, granularity="channel")
>>> kwargs["granularity"], [c.setting for c in changes]
('tensor', ['granularity'])
"""

from __future__ import annotations

from dataclasses import dataclass

from quantviz.granularity import DEFAULT_GROUP_SIZE
from quantviz.number_formats import FORMAT_NEUTRAL, get_format
from quantviz.ranges import get_strategy

FORMAT_DECIDES = {"bits": None, **FORMAT_NEUTRAL}
"""Integer-grid settings a number format decides itself, and their neutral values: fitting
drops them (noting any that asked for something else)."""


@dataclass(frozen=True)
class Adjustment:
    """One setting changed to fit the tensor.

    ``reason`` is a short code a page can translate (``"needs_rows"``, ``"no_axis"``,
    ``"group_size"``, ``"per_tensor_only"``, ``"narrow_bits"``); ``message`` says the
    same in one English sentence.
    """

    setting: str
    was: object
    now: object
    reason: str
    message: str


def group_sizes(last_dim: int) -> tuple[int, ...]:
    """The group sizes that fit a last dimension of ``last_dim`` values.

    Powers of two from 8 up that divide it (8, 16, 32, …, as GGML and bitsandbytes
    use); when none does (e.g. 30 columns), every divisor from 2 up; a last
    dimension of 1 gives ``(1,)``.

    >>> group_sizes(384)
    (8, 16, 32, 64, 128)
    >>> group_sizes(30)
    (2, 3, 5, 6, 10, 15, 30)
    """
    last_dim = int(last_dim)
    powers = tuple(g for g in (2**k for k in range(3, 31)) if g <= last_dim and last_dim % g == 0)
    if powers:
        return powers
    divisors = tuple(d for d in range(2, last_dim + 1) if last_dim % d == 0)
    return divisors or (1,)


def nearest_group_size(wanted: int | None, last_dim: int) -> int:
    """The offered group size (:func:`group_sizes`) closest to ``wanted`` from below.

    ``None`` asks for the default, 128. The largest offered size not above
    ``wanted``, else the smallest offered.
    """
    options = group_sizes(last_dim)
    wanted = DEFAULT_GROUP_SIZE if wanted is None else int(wanted)
    below = [g for g in options if g <= wanted]
    return max(below) if below else min(options)


def fit_settings(
    shape: tuple[int, ...], **kwargs: object
) -> tuple[dict[str, object], list[Adjustment]]:
    """``qv.quantize`` keywords changed as little as needed to apply to a tensor of ``shape``.

    * per channel or per group on a tensor without rows (0-D or 1-D) → per tensor;
    * a channel axis the tensor does not have → axis 0;
    * a group size that does not divide the last dimension → :func:`nearest_group_size`;
    * a strategy that does not support the granularity (entropy) → min-max;
    * a narrow range at 1 bit → 2 bits;
    * with a number ``format``: the integer grid's ``bits``, ``symmetric``, ``narrow_range``
      and ``strategy`` dropped; a block format's own blocks (MX 32, NVFP4 16, GGML 32);
      NF4's flat blocks of an allowed size; the other formats fitted like the grid.

    Returns the fitted keywords (a new dict; ``axis`` / ``group_size`` are kept only
    for the granularity that uses them) and one :class:`Adjustment` per change.
    """
    kw = dict(kwargs)
    changes: list[Adjustment] = []

    def change(setting: str, now: object, reason: str, message: str) -> None:
        changes.append(Adjustment(setting, kw.get(setting), now, reason, message))
        kw[setting] = now

    ndim = len(shape)
    if kw.get("format", "int") != "int":
        fmt = get_format(str(kw["format"]))
        for setting in FORMAT_DECIDES:  # a format chooses these itself
            same = setting == "bits" and kw.get("bits") == fmt.element_bits
            if setting in kw and kw[setting] != FORMAT_DECIDES[setting] and not same:
                change(
                    setting, FORMAT_DECIDES[setting], "format_decides",
                    f"{fmt.name} takes its scale from each block's largest |value| and its "
                    f"own {fmt.element_bits}-bit elements, so {setting} does not apply.",
                )  # fmt: skip
            kw.pop(setting, None)
        if fmt.block_size is not None:  # MX, NVFP4, GGML: their own blocks, always
            if kw.get("granularity") not in (None, "group") or kw.get("group_size") not in (
                None, fmt.block_size,
            ):  # fmt: skip
                change(
                    "granularity", "group", "format_blocks",
                    f"{fmt.name} stores blocks of {fmt.block_size} consecutive values; it takes "
                    f"no other granularity or group size.",
                )  # fmt: skip
            kw["granularity"], kw["group_size"] = "group", fmt.block_size
            kw.pop("axis", None)
            return kw, changes
        if fmt.flattened and kw.get("granularity", "group") == "group":  # NF4: flat blocks
            wanted = kw.get("group_size")
            size = fmt.default_block if wanted is None else int(wanted)
            if size not in fmt.allowed_blocks:
                size = max([b for b in fmt.allowed_blocks if b <= size] or [fmt.allowed_blocks[0]])
                change(
                    "group_size", size, "format_block_size",
                    f"{fmt.name} takes blocks of {', '.join(map(str, fmt.allowed_blocks))} "
                    f"values; using {size}.",
                )  # fmt: skip
            kw["granularity"], kw["group_size"] = "group", size
            kw.pop("axis", None)
            return kw, changes
    granularity = kw.get("granularity", "tensor")
    if granularity != "tensor" and ndim < 2:
        change(
            "granularity", "tensor", "needs_rows",
            f"Per-{granularity} quantization needs a tensor with rows (2-D or more); "
            f"this one is {ndim}-D, so it is quantized per tensor.",
        )  # fmt: skip
        granularity = "tensor"
    if granularity == "channel":
        axis = int(kw.get("axis", 0))
        if not -ndim <= axis < ndim:
            change("axis", 0, "no_axis", f"The tensor has no axis {axis}; using axis 0.")
    else:
        kw.pop("axis", None)
    if granularity == "group":
        wanted = kw.get("group_size")
        size = nearest_group_size(wanted, shape[-1])
        if wanted is not None and int(wanted) != size:
            change(
                "group_size", size, "group_size",
                f"Groups of {wanted} do not divide the last dimension ({shape[-1]}); "
                f"using groups of {size}.",
            )  # fmt: skip
        kw["group_size"] = size
    else:
        kw.pop("group_size", None)
    if kw.get("format", "int") != "int":
        return kw, changes
    strategy = get_strategy(str(kw.get("strategy", "minmax")))
    if granularity not in strategy.granularities:
        change(
            "strategy", "minmax", "per_tensor_only",
            f"The {strategy.name!r} strategy calibrates per tensor only (as in TensorRT), "
            f"so per-{granularity} quantization uses min-max here.",
        )  # fmt: skip
    if kw.get("narrow_range") and int(kw.get("bits", 8)) < 2:
        change(
            "bits", 2, "narrow_bits",
            "A narrow range needs at least 2 bits (at 1 bit only code 0 would be left).",
        )  # fmt: skip
    return kw, changes


def describe(changes: list[Adjustment] | tuple[Adjustment, ...]) -> str:
    """The changes as one short note (``""`` when nothing changed), for tables."""
    return " ".join(c.message for c in changes)


__all__ = [
    "Adjustment",
    "describe",
    "fit_settings",
    "group_sizes",
    "nearest_group_size",
]
