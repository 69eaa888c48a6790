"""The fewest bits that keep the accuracy: a per-layer bit-width search ("mixed precision").

>>> import quantviz as qv
>>> r = qv.fewest_bits("digits-cnn", max_drop=0.01)
>>> r.met, r.accuracy >= r.float_accuracy - 0.01
(True, True)

The search is **greedy** (not exhaustive, so not guaranteed to find the smallest model):
every layer starts at ``max_bits``; each round tries lowering each layer by one bit, keeps
the trials whose accuracy stays within ``max_drop`` of the float accuracy, and accepts
the one that saves the most stored bits per accuracy point lost
(``saved bits / (accuracy lost + 1/n_test)``; one test example's worth is added so that
a free saving is compared by size). It stops when no layer can go one bit lower.
Every trial is one :func:`quantviz.evaluate` of the test set (weights quantized with
the given settings; activations and pruning too if asked), so a round costs one
evaluation per layer; each layer's quantized weights are computed once per bit width,
and a trial that lowers layer ``k`` runs the test set from layer ``k`` on, taking the
inputs of the layers before it from the current answer's run (they are the same).

Note that the accuracy is measured on the test set itself: the answer meets the target
there by construction. A careful engineer would search on a separate validation split
and confirm on the test set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from quantviz.errors import InputError
from quantviz.models.evaluate import Evaluation, _session, evaluate
from quantviz.models.zoo import Model
from quantviz.quantizer import check_bits

TOLERANCE = 1e-12  # accuracies are k / n: compare them without float noise


@dataclass(frozen=True)
class SearchStep:
    """One trial of the search.

    Attributes
    ----------
    step : int
        0 for the start (every layer at ``max_bits``), then 1, 2, … per trial.
    round : int
        The round of the search (each round tries every layer once).
    layer : str or None
        The layer lowered by one bit in this trial (None at the start).
    bits : dict
        The bits of every layer in this trial.
    accuracy, bits_per_weight : float
        The trial's test accuracy (a fraction) and whole-model size per parameter.
    within_target : bool
        The accuracy stays within ``max_drop`` of the float accuracy.
    accepted : bool
        The trial became the search's current answer (the start always is).
    """

    step: int
    round: int
    layer: str | None
    bits: dict[str, int]
    accuracy: float
    bits_per_weight: float
    within_target: bool
    accepted: bool


@dataclass(frozen=True)
class FewestBits:
    """What :func:`fewest_bits` found.

    ``per_layer`` (bits by layer name) with ``settings`` is the answer:
    ``qv.evaluate(model, per_layer=r.per_layer, **r.settings)`` gives ``accuracy`` and
    ``bits_per_weight`` again (``evaluation`` is that result). ``target`` is
    ``float_accuracy − max_drop``; ``met`` is False only when even ``max_bits`` everywhere
    misses it. ``steps`` is the whole search, in order.
    """

    per_layer: dict[str, int]
    accuracy: float
    float_accuracy: float
    bits_per_weight: float
    max_drop: float
    target: float
    met: bool
    steps: tuple[SearchStep, ...]
    settings: dict = field(default_factory=dict)
    evaluation: Evaluation | None = None


def _check(max_drop: object, min_bits: object, max_bits: object, settings: dict) -> tuple:
    if isinstance(max_drop, bool) or not isinstance(max_drop, int | float):
        raise InputError(f"max_drop must be a fraction from 0 to 1, not {max_drop!r}.")
    if not 0 <= max_drop <= 1:
        raise InputError(
            f"max_drop must be a fraction from 0 to 1 (0.01 = one point); got {max_drop}."
        )
    lo, hi = check_bits(min_bits), check_bits(max_bits)
    if lo > hi:
        raise InputError(f"min_bits ({lo}) must not exceed max_bits ({hi}).")
    if settings.get("format", "int") != "int":
        raise InputError("fewest_bits searches integer bit widths; leave format out.")
    for key in ("bits", "per_layer"):
        if key in settings:
            raise InputError(f"fewest_bits chooses the bits itself; leave {key} out.")
    return float(max_drop), lo, hi


def fewest_bits_steps(
    model: Model | str,
    max_drop: float = 0.01,
    *,
    min_bits: int = 2,
    max_bits: int = 8,
    **settings: object,
) -> Iterator[SearchStep]:
    """The search of :func:`fewest_bits`, one :class:`SearchStep` per trial as it runs
    (for a page that draws the search while it goes)."""
    max_drop, min_bits, max_bits = _check(max_drop, min_bits, max_bits, settings)
    activations = settings.pop("activations", None)
    prune = settings.pop("prune", 0.0)
    prune_scope = settings.pop("prune_scope", "layer")
    settings.pop("layer_accuracy", None)
    session, base = _session(
        model, max_bits, per_layer=None, activations=activations, prune=prune,
        prune_scope=prune_scope, **settings,
    )  # fmt: skip
    names = session.model.layer_names
    n_params = session.model.n_weights + session.model.n_biases
    target = float((session.float_test[-1].argmax(1) == session.model.y_test).mean()) - max_drop
    one_example = 1.0 / len(session.model.y_test)

    def measure(
        bits: dict[str, int], start: int = 0, before: list[np.ndarray] | None = None
    ) -> tuple[float, float, list[np.ndarray]]:
        """Accuracy, size and the run's trace; the layers before ``start`` as in ``before``."""
        layer_settings = [{**base[i], "bits": bits[n]} for i, n in enumerate(names)]
        trace = session.trace(layer_settings, start, before)
        accuracy = float(np.mean(trace[-1].argmax(axis=1) == session.model.y_test))
        return accuracy, session.size_bits(layer_settings), trace

    current = dict.fromkeys(names, max_bits)
    acc, size, trace = measure(current)
    step = 0
    yield SearchStep(
        0, 0, None, dict(current), acc, size / n_params, acc >= target - TOLERANCE, True
    )
    if acc < target - TOLERANCE:
        return
    rnd = 0
    while True:
        rnd += 1
        best = None
        for k, name in enumerate(names):
            if current[name] <= min_bits:
                continue
            trial = {**current, name: current[name] - 1}
            t_acc, t_size, t_trace = measure(trial, k, trace)
            ok = t_acc >= target - TOLERANCE
            step += 1
            yield SearchStep(step, rnd, name, trial, t_acc, t_size / n_params, ok, False)
            if ok:
                score = (size - t_size) / (max(acc - t_acc, 0.0) + one_example)
                if best is None or score > best[0]:
                    best = (score, name, trial, t_acc, t_size, t_trace)
        if best is None:
            return
        _, name, current, acc, size, trace = best
        step += 1
        yield SearchStep(step, rnd, name, dict(current), acc, size / n_params, True, True)


def fewest_bits(
    model: Model | str,
    max_drop: float = 0.01,
    *,
    min_bits: int = 2,
    max_bits: int = 8,
    on_step: Callable[[SearchStep], None] | None = None,
    **settings: object,
) -> FewestBits:
    """The fewest bits per layer whose test accuracy stays within ``max_drop`` of float.

    Parameters
    ----------
    model : Model or str
    max_drop : float
        The accuracy you may lose, as a fraction (0.01 = one percentage point).
    min_bits, max_bits : int
        The bit widths searched (integer grids; default 2 to 8).
    on_step : callable, optional
        Called with every :class:`SearchStep` as the search runs.
    **settings :
        :func:`quantviz.evaluate`'s other settings (``symmetric``, ``strategy``,
        ``granularity``, ``activations``, ``prune``, …), the same for every trial.

    Returns
    -------
    FewestBits
        The greedy search's answer (see the module's note: greedy, so a smaller mix may
        exist), its accuracy and size, and every step.
    """
    steps = []
    for s in fewest_bits_steps(model, max_drop, min_bits=min_bits, max_bits=max_bits,
                               **dict(settings)):  # fmt: skip
        steps.append(s)
        if on_step is not None:
            on_step(s)
    answer = [s for s in steps if s.accepted][-1]
    again = evaluate(model, per_layer=answer.bits, **{**settings, "layer_accuracy": False})
    max_drop = float(max_drop)
    return FewestBits(
        per_layer=dict(answer.bits),
        accuracy=again.accuracy,
        float_accuracy=again.float_accuracy,
        bits_per_weight=again.bits_per_weight,
        max_drop=max_drop,
        target=again.float_accuracy - max_drop,
        met=steps[0].within_target,
        steps=tuple(steps),
        settings=dict(settings),
        evaluation=again,
    )
