"""What the calibration text does at every Linear's input: ranges, outlier channels, Hessians.

>>> import quantviz as qv
>>> m = qv.load_model("minilm-l6")                        # doctest: +SKIP
>>> s = qv.activation_stats(m)                            # doctest: +SKIP
>>> top = s[s.layer == "encoder.layer.0.intermediate.dense.weight"].nlargest(1, "absmax")  # +SKIP
>>> top[["channel", "absmax", "times_median", "token", "position"]]   # doctest: +SKIP
      channel     absmax  times_median  token  position
1635       99  28.512697     14.798286  [CLS]         0

One pass of the float model over the calibration texts (separate from the evaluation
texts) collects, for each Linear **input** (the four of a layer: ``attention`` — the
layer's input, read by query, key and value; ``context`` — the attention heads' output,
read by attention.output.dense; ``ffn`` — read by intermediate.dense; ``gelu`` — read by
output.dense), over every real token (padding excluded):

* per channel: the minimum, maximum, ``absmax = max |x|``, ``mean |x|`` (AWQ's salience)
  and which token carries the absmax (text, position, id);
* the Gram matrix ``G = Σ_t x_t x_tᵀ`` (in × in, float64): a layer's output error
  ``‖ΔW·X‖² = trace(ΔW·G·ΔWᵀ)`` for any weight change ΔW, and GPTQ's Hessian ``H = 2G``;
* a fixed sample of token rows (``SAMPLE_TOKENS``, seed 0) for static range strategies
  that need the values themselves (percentile, MSE, …); min-max uses every token.

The pass takes a few seconds; its result is kept on the model (``calibration(model)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantviz.errors import InputError
from quantviz.models.transformer.bert import (
    INPUT_OF,
    LINEAR_KINDS,
    Batch,
    input_name,
    linear_name,
    split_name,
)
from quantviz.models.transformer.model import TransformerModel

SAMPLE_TOKENS = 2048
SAMPLE_SEED = 0

STATS_COLUMNS = (
    "layer", "input", "channel", "absmax", "times_median", "min", "max", "mean_abs",
    "token", "token_id", "position", "text", "source",
)  # fmt: skip
"""Columns of :func:`activation_stats`, in order."""


@dataclass(frozen=True, eq=False)
class InputStats:
    """The calibration statistics of one Linear input (see the module's docstring).

    ``linears`` are the weights that read this input; per-channel arrays have one entry per
    input channel; ``argmax_text`` indexes the model's calibration texts.
    """

    name: str
    linears: tuple[str, ...]
    tokens: int
    minimum: np.ndarray
    maximum: np.ndarray
    absmax: np.ndarray
    mean_abs: np.ndarray
    argmax_text: np.ndarray
    argmax_position: np.ndarray
    argmax_token: np.ndarray
    gram: np.ndarray
    sample: np.ndarray

    @property
    def channels(self) -> int:
        return int(self.absmax.size)


class _Collector:
    """The observer of the calibration pass: accumulates :class:`InputStats` per input."""

    def __init__(self, model: TransformerModel, sequences: list[list[int]]) -> None:
        self.model = model
        self.acc: dict[str, dict] = {}
        n_tokens = sum(len(s) for s in sequences)
        rng = np.random.default_rng(SAMPLE_SEED)
        picks = np.sort(rng.choice(n_tokens, size=min(SAMPLE_TOKENS, n_tokens), replace=False))
        starts = np.cumsum([0, *(len(s) for s in sequences)])
        self.sample_positions = [
            picks[(picks >= starts[i]) & (picks < starts[i + 1])] - starts[i]
            for i in range(len(sequences))
        ]

    def __call__(self, name: str, x: np.ndarray, batch: Batch) -> None:
        layer, kind = split_name(name)
        if kind in ("key", "value"):
            return  # the same input as query
        key = input_name(layer, kind)
        width = x.shape[-1]
        a = self.acc.get(key)
        if a is None:
            a = self.acc[key] = {
                "min": np.full(width, np.inf, dtype=np.float32),
                "max": np.full(width, -np.inf, dtype=np.float32),
                "absmax": np.full(width, -1.0, dtype=np.float32),
                "sum_abs": np.zeros(width),
                "text": np.zeros(width, dtype=np.int64),
                "pos": np.zeros(width, dtype=np.int64),
                "tok": np.zeros(width, dtype=np.int64),
                "gram": np.zeros((width, width)),
                "tokens": 0,
                "sample": {},
            }
        mask = batch.mask
        valid = x[mask]  # (tokens, width)
        a["tokens"] += valid.shape[0]
        np.minimum(a["min"], valid.min(axis=0), out=a["min"])
        np.maximum(a["max"], valid.max(axis=0), out=a["max"])
        mag = np.abs(valid)
        a["sum_abs"] += mag.sum(axis=0, dtype=np.float64)
        best = mag.argmax(axis=0)
        top = mag[best, np.arange(width)]
        better = top > a["absmax"]
        if better.any():
            rows, cols = np.nonzero(mask)  # the (row, position) of each valid token, in order
            a["absmax"][better] = top[better]
            a["text"][better] = batch.index[rows[best[better]]]
            a["pos"][better] = cols[best[better]]
            a["tok"][better] = batch.ids[rows[best[better]], cols[best[better]]]
        a["gram"] += (valid.T @ valid).astype(np.float64)
        for r, text in enumerate(batch.index):
            positions = self.sample_positions[text]
            if positions.size:
                a["sample"][int(text)] = x[r, positions]

    def result(self) -> dict[str, InputStats]:
        out = {}
        for key, a in self.acc.items():
            layer = int(key.split(".")[2])
            kind_of_input = key.split(".")[3]
            linears = tuple(
                linear_name(layer, k) for k in LINEAR_KINDS if INPUT_OF[k] == kind_of_input
            )
            sample = [a["sample"][t] for t in sorted(a["sample"])]
            out[key] = InputStats(
                name=key,
                linears=linears,
                tokens=int(a["tokens"]),
                minimum=a["min"],
                maximum=a["max"],
                absmax=a["absmax"],
                mean_abs=(a["sum_abs"] / max(a["tokens"], 1)).astype(np.float32),
                argmax_text=a["text"],
                argmax_position=a["pos"],
                argmax_token=a["tok"],
                gram=a["gram"],
                sample=np.concatenate(sample) if sample else np.zeros((0, a["min"].size)),
            )
        return out


def calibration(model: TransformerModel) -> dict[str, InputStats]:
    """Every Linear input's :class:`InputStats` on the calibration texts (kept on the model),
    keyed by input name (``encoder.layer.3.ffn``)."""
    memo = model._memo
    if "calibration" not in memo:
        sequences = model.tokenize(list(model.task.calibration))
        collector = _Collector(model, sequences)
        model.run(sequences, observe=collector)
        memo["calibration"] = collector.result()
    return memo["calibration"]


def stats_of(model: TransformerModel, linear: str) -> InputStats:
    """The :class:`InputStats` of the input that the Linear ``linear`` (a weight name) reads."""
    layer, kind = split_name(linear)
    return calibration(model)[input_name(layer, kind)]


def activation_stats(model: TransformerModel) -> pd.DataFrame:
    """One row per (Linear, input channel): how large that channel of its input gets.

    Columns (:data:`STATS_COLUMNS`): ``layer`` (the Linear's weight name, e.g.
    ``encoder.layer.3.intermediate.dense.weight``), ``input`` (its input's name: q, k and v
    share ``encoder.layer.3.attention``), ``channel``, ``absmax`` (max |x| over every
    calibration token), ``times_median`` (absmax over the median channel's absmax of the
    same input: 15 means an outlier channel 15× the typical one), ``min``, ``max``,
    ``mean_abs``, and the token that carries the absmax: ``token`` (its word piece),
    ``token_id``, ``position`` (0 is ``[CLS]``), ``text`` (its index in
    ``model.task.calibration``) and ``source`` (where that text comes from).
    """
    vocab = model.tokenizer.vocab
    sources = model.task.info.get("calibration_sources", ())
    frames = []
    for name in model.linear_names:
        s = stats_of(model, name)
        median = float(np.median(s.absmax))
        frames.append(
            pd.DataFrame(
                {
                    "layer": name,
                    "input": s.name,
                    "channel": np.arange(s.channels),
                    "absmax": s.absmax.astype(np.float64),
                    "times_median": s.absmax / median if median > 0 else np.nan,
                    "min": s.minimum.astype(np.float64),
                    "max": s.maximum.astype(np.float64),
                    "mean_abs": s.mean_abs.astype(np.float64),
                    "token": [vocab[i] for i in s.argmax_token],
                    "token_id": s.argmax_token,
                    "position": s.argmax_position,
                    "text": s.argmax_text,
                    "source": [sources[t] if t < len(sources) else "" for t in s.argmax_text],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(STATS_COLUMNS)]


def linear_input(model: TransformerModel, linear: str, texts: list[str]) -> list[np.ndarray]:
    """What the Linear ``linear`` (a weight name) receives in the float model for each text:
    one ``(tokens, in)`` float32 array per text (its own tokens, ``[CLS]`` first)."""
    if linear not in model.linear_names:
        raise InputError(f"{model.name} has no Linear {linear!r}.")
    sequences = model.tokenize(texts)
    out: list[np.ndarray | None] = [None] * len(sequences)

    def observe(name: str, x: np.ndarray, batch: Batch) -> None:
        if name == linear:
            for r, text in enumerate(batch.index):
                out[text] = x[r, batch.mask[r]].copy()

    model.run(sequences, observe=observe)
    return out  # type: ignore[return-value]
