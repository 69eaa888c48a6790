"""Named numeric parameters with a valid range: one description for the API and the sliders.

Distributions and range strategies both describe their knobs with :class:`Param`,
so the app can build a control for each and the API can refuse a bad value with
the same sentence.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError


@dataclass(frozen=True)
class Param:
    """One numeric parameter, with the range a slider may use.

    Attributes
    ----------
    name : str
        Keyword accepted by the function that owns the parameter.
    default : float
        Value used when the parameter is not given.
    low, high : float
        Inclusive range of valid values.
    description : str
        One line for a student.
    integer : bool
        True if only whole numbers are valid.
    """

    name: str
    default: float
    low: float
    high: float
    description: str
    integer: bool = False


def check_params(
    owner: str, params: tuple[Param, ...], given: Mapping[str, object]
) -> dict[str, float]:
    """Validate ``given`` against ``params`` and fill in defaults.

    ``owner`` names what the parameters belong to in messages, e.g.
    ``"distribution 'normal'"``. Raises :class:`InputError` for an unknown name,
    a value that is not a finite number, one outside ``[low, high]``, or a
    fraction where a whole number is needed.
    """
    specs = {p.name: p for p in params}
    unknown = [k for k in given if k not in specs]
    if unknown:
        valid = ", ".join(specs) if specs else "none"
        raise InputError(
            f"The {owner} has no parameter {unknown[0]!r}. Its parameters are: {valid}."
        )
    values: dict[str, float] = {}
    for p in params:
        value = given.get(p.name, p.default)
        where = f"Parameter {p.name!r} of the {owner}"
        valid = f"between {p.low:g} and {p.high:g}"
        if not isinstance(value, numbers.Real) or isinstance(value, bool | np.bool_):
            raise InputError(f"{where} must be a number {valid} (got {value!r}).")
        number = float(value)
        if not math.isfinite(number) or not p.low <= number <= p.high:
            raise InputError(f"{where} must be {valid} (got {value!r}).")
        if p.integer:
            if not number.is_integer():
                raise InputError(f"{where} must be a whole number {valid} (got {value!r}).")
            values[p.name] = int(number)
        else:
            values[p.name] = number
    return values
