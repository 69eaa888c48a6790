"""A BERT encoder in numpy: token ids → contextual vectors → one sentence embedding.

The architecture of all-MiniLM-L6-v2 (Hugging Face ``BertModel`` + sentence-transformers'
mean pooling and normalisation), in float32 as PyTorch computes it on the CPU:

* **embeddings**: ``word[id] + position[i] + token_type[0]``, then LayerNorm;
* **each of the layers** (post-LN, as the original BERT)::

      q, k, v = x·W_qᵀ + b_q, x·W_kᵀ + b_k, x·W_vᵀ + b_v        (heads × head_size)
      a = softmax(q·kᵀ / √head_size + mask) · v                 (per head, then concatenated)
      x = LayerNorm(x + a·W_oᵀ + b_o)                           attention.output
      h = GELU(x·W_iᵀ + b_i)                                    intermediate (exact erf GELU)
      x = LayerNorm(x + h·W_2ᵀ + b_2)                           output

  where ``mask`` is −∞ on padding keys; LayerNorm is ``γ·(x − mean)/√(var + ε) + β`` over
  the hidden axis (ε = 10⁻¹²);
* **sentence embedding**: the mean of the last layer's vectors over the text's own tokens
  (padding excluded), divided by its Euclidean norm.

Every ``Linear`` is addressed by its weight's name in the checkpoint
(``encoder.layer.3.intermediate.dense.weight``). :func:`encoder` takes a :class:`LinearPlan`
per name, which is how quantization replaces a weight and quantizes its input, and an
``observe(name, x, mask)`` callback that sees each Linear's input (calibration statistics).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

F32 = np.float32
SQRT_HALF = F32(np.sqrt(0.5))

# erf on a table: erf(z) at z₀ = k/512 for z₀ in [0, 5] (math.erf, exact to float64), and
# between the points three terms of its Taylor series around the input z itself.
_ERF_STEP = 512
_ERF_TABLE = np.array([math.erf(k / _ERF_STEP) for k in range(5 * _ERF_STEP + 1)], dtype=F32)
_TWO_OVER_SQRT_PI = F32(2.0 / math.sqrt(math.pi))
_CHUNK = 1 << 16  # elements per pass: the temporaries stay in the CPU's cache


def _erf_chunk(z: np.ndarray) -> np.ndarray:
    a = np.minimum(np.abs(z), F32(5.0))
    k = (a * F32(_ERF_STEP) + F32(0.5)).astype(np.int32)
    d = a - k.astype(F32) * F32(1.0 / _ERF_STEP)  # z − z₀, |d| ≤ 1/1024
    # erf(z) = erf(z₀) + erf′(z)·d·(1 + z·d + (2z² − 1)/3·d²) + O(d⁴), erf′(z) = 2/√π·e^(−z²)
    series = F32(1) + d * (a + d * ((F32(2) * a * a - F32(1)) * F32(1.0 / 3.0)))
    y = _ERF_TABLE.take(k) + _TWO_OVER_SQRT_PI * np.exp(-a * a) * d * series
    return np.copysign(y, z)


def erf(z: np.ndarray) -> np.ndarray:
    """The error function, ``erf(z) = 2/√π ∫₀ᶻ e^(−t²) dt``, elementwise in float32.

    numpy has no ``erf`` (and quantviz does not depend on scipy): a table of ``math.erf`` at
    every 1/512 from 0 to 5, and between its points the Taylor series around ``z`` to the
    third order (the fourth-order term is below 10⁻¹²; past 5, erf is 1 in float32). Within
    half a float32 step of the exact value (≤ 6·10⁻⁸), as ``torch.erf`` is.
    """
    z = np.asarray(z, dtype=F32)
    flat = z.reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _CHUNK):
        out[start : start + _CHUNK] = _erf_chunk(flat[start : start + _CHUNK])
    return out.reshape(z.shape)


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU with the exact erf, as ``torch.nn.functional.gelu``: ``x·½·(1 + erf(x/√2))``."""
    x = np.asarray(x, dtype=F32)
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _CHUNK):
        part = flat[start : start + _CHUNK]
        out[start : start + _CHUNK] = part * F32(0.5) * (F32(1) + _erf_chunk(part * SQRT_HALF))
    return out.reshape(x.shape)


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis: ``γ·(x − mean)/√(var + ε) + β`` (biased variance)."""
    mean = x.mean(axis=-1, keepdims=True, dtype=F32)
    d = x - mean
    var = np.mean(d * d, axis=-1, keepdims=True, dtype=F32)
    return (d / np.sqrt(var + F32(eps)) * gamma + beta).astype(F32)


@dataclass(frozen=True)
class BertConfig:
    """The shape of a BERT encoder (a Hugging Face config.json's fields)."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_layers: int = 6
    num_heads: int = 12
    intermediate_size: int = 1536
    max_positions: int = 512
    layer_norm_eps: float = 1e-12

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_heads

    @classmethod
    def from_json(cls, cfg: Mapping[str, object]) -> BertConfig:
        return cls(
            vocab_size=int(cfg["vocab_size"]),
            hidden_size=int(cfg["hidden_size"]),
            num_layers=int(cfg["num_hidden_layers"]),
            num_heads=int(cfg["num_attention_heads"]),
            intermediate_size=int(cfg["intermediate_size"]),
            max_positions=int(cfg["max_position_embeddings"]),
            layer_norm_eps=float(cfg.get("layer_norm_eps", 1e-12)),
        )


LINEAR_KINDS = ("query", "key", "value", "attention_output", "intermediate", "output")
"""The six Linears of a layer, in the order the input meets them."""

_LINEAR_PATHS = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attention_output": "attention.output.dense",
    "intermediate": "intermediate.dense",
    "output": "output.dense",
}

INPUT_OF = {
    "query": "attention",
    "key": "attention",
    "value": "attention",
    "attention_output": "context",
    "intermediate": "ffn",
    "output": "gelu",
}
"""What each Linear reads: ``attention`` (the layer's input, a LayerNorm's output, shared by
q/k/v), ``context`` (softmax(q·kᵀ)·v, the heads concatenated), ``ffn`` (the attention
block's LayerNorm output) or ``gelu`` (the FFN's GELU output)."""

LAYERNORM_FED = ("attention", "ffn")
"""Inputs that come straight from a LayerNorm: a per-channel division of them can be folded
into that LayerNorm's γ and β (SmoothQuant's deployable case)."""


def linear_name(layer: int, kind: str) -> str:
    """The checkpoint name of a Linear's weight: ``encoder.layer.{layer}.{path}.weight``."""
    return f"encoder.layer.{layer}.{_LINEAR_PATHS[kind]}.weight"


def linear_names(config: BertConfig) -> tuple[str, ...]:
    """Every Linear of the encoder, layer by layer, in the order of :data:`LINEAR_KINDS`."""
    return tuple(linear_name(i, k) for i in range(config.num_layers) for k in LINEAR_KINDS)


def input_name(layer: int, kind: str) -> str:
    """The name of a Linear's input: ``encoder.layer.{layer}.{INPUT_OF[kind]}``."""
    return f"encoder.layer.{layer}.{INPUT_OF[kind]}"


def split_name(name: str) -> tuple[int, str]:
    """``encoder.layer.3.intermediate.dense.weight`` → ``(3, "intermediate")``."""
    parts = name.split(".")
    path = ".".join(parts[3:-1])
    kind = next(k for k, p in _LINEAR_PATHS.items() if p == path)
    return int(parts[2]), kind


InputQuantizer = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``q(x, mask) → x̂``: fake-quantizes a Linear's input ``x`` ``(batch, length, in)``;
``mask`` ``(batch, length)`` is True on real tokens (padding must not set a range)."""

Observer = Callable[[str, np.ndarray, "Batch"], None]
"""``observe(name, x, batch)``: sees the input ``x`` ``(batch, length, in)`` of the Linear
``name`` (its weight's name)."""


@dataclass(frozen=True, eq=False)
class LinearPlan:
    """How one Linear computes: ``y = quantize_input(x · 1/in_scale) · weightᵀ + bias``.

    ``in_scale`` (one per input channel, or None) is a SmoothQuant-style division of the
    input, whose inverse the caller has already multiplied into ``weight``'s columns.
    """

    weight: np.ndarray
    bias: np.ndarray
    quantize_input: InputQuantizer | None = None
    in_scale: np.ndarray | None = None


@dataclass(frozen=True)
class Batch:
    """Token ids padded to one length: ``ids`` and ``mask`` ``(batch, length)``; ``index``
    is each row's text number in the caller's list."""

    ids: np.ndarray
    mask: np.ndarray
    index: np.ndarray

    @classmethod
    def of(
        cls, sequences: Sequence[Sequence[int]], index: Sequence[int] | None = None,
        pad_id: int = 0,
    ) -> Batch:  # fmt: skip
        n = len(sequences)
        length = max(len(s) for s in sequences)
        ids = np.full((n, length), pad_id, dtype=np.int64)
        mask = np.zeros((n, length), dtype=bool)
        for i, s in enumerate(sequences):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = True
        rows = np.arange(n) if index is None else np.asarray(index, dtype=np.int64)
        return cls(ids, mask, rows)


def embed(weights: Mapping[str, np.ndarray], batch: Batch, config: BertConfig) -> np.ndarray:
    """The embedding block: ``LayerNorm(word[id] + position[i] + token_type[0])``."""
    length = batch.ids.shape[1]
    x = weights["embeddings.word_embeddings.weight"][batch.ids]
    x = x + weights["embeddings.position_embeddings.weight"][:length]
    x = x + weights["embeddings.token_type_embeddings.weight"][0]
    return layer_norm(
        x.astype(F32),
        weights["embeddings.LayerNorm.weight"],
        weights["embeddings.LayerNorm.bias"],
        config.layer_norm_eps,
    )


def _linear(
    x: np.ndarray, name: str, batch: Batch, plans: Mapping[str, LinearPlan],
    observe: Observer | None,
) -> np.ndarray:  # fmt: skip
    if observe is not None:
        observe(name, x, batch)
    plan = plans[name]
    if plan.in_scale is not None:
        x = x * (F32(1) / plan.in_scale)
    if plan.quantize_input is not None:
        x = plan.quantize_input(x, batch.mask)
    n, length, width = x.shape
    y = x.reshape(n * length, width) @ plan.weight.T
    y += plan.bias
    return y.reshape(n, length, -1)


def encoder_layer(
    x: np.ndarray, batch: Batch, layer: int, plans: Mapping[str, LinearPlan], config: BertConfig,
    weights: Mapping[str, np.ndarray], observe: Observer | None = None,
) -> np.ndarray:  # fmt: skip
    """One transformer layer (self-attention then FFN, each followed by add & LayerNorm)."""
    n, length, hidden = x.shape
    heads, size = config.num_heads, config.head_size
    mask = batch.mask
    prefix = f"encoder.layer.{layer}."

    def linear(kind: str, inp: np.ndarray) -> np.ndarray:
        return _linear(inp, linear_name(layer, kind), batch, plans, observe)

    def split_heads(t: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
        # contiguous, so that numpy hands each head's product to BLAS
        return np.ascontiguousarray(t.reshape(n, length, heads, size).transpose(order))

    q = split_heads(linear("query", x), (0, 2, 1, 3))  # (n, heads, L, size)
    k_t = split_heads(linear("key", x), (0, 2, 3, 1))  # (n, heads, size, L)
    v = split_heads(linear("value", x), (0, 2, 1, 3))
    scores = (q @ k_t) * F32(1.0 / np.sqrt(size))
    scores = np.where(mask[:, None, None, :], scores, F32(-np.inf))
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    context = (p @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
    attn = linear("attention_output", context)
    x = layer_norm(
        attn + x,
        weights[prefix + "attention.output.LayerNorm.weight"],
        weights[prefix + "attention.output.LayerNorm.bias"],
        config.layer_norm_eps,
    )
    h = gelu(linear("intermediate", x))
    out = linear("output", h)
    return layer_norm(
        out + x,
        weights[prefix + "output.LayerNorm.weight"],
        weights[prefix + "output.LayerNorm.bias"],
        config.layer_norm_eps,
    )


def float_plans(weights: Mapping[str, np.ndarray], config: BertConfig) -> dict[str, LinearPlan]:
    """Every Linear with its own float32 weight and bias."""
    return {
        name: LinearPlan(weights[name], weights[name[: -len("weight")] + "bias"])
        for name in linear_names(config)
    }


def encoder(
    weights: Mapping[str, np.ndarray], batch: Batch, config: BertConfig,
    plans: Mapping[str, LinearPlan] | None = None, observe: Observer | None = None,
    start: np.ndarray | None = None, first_layer: int = 0,
) -> np.ndarray:  # fmt: skip
    """The last layer's vectors ``(batch, length, hidden)`` float32.

    ``plans`` replaces Linears (default: the float weights); ``start`` replaces the input of
    layer ``first_layer`` (by default the embedding block's output, and layer 0): quantized
    embedding tables, or a cached float state to run only the layers after it.
    """
    plans = float_plans(weights, config) if plans is None else plans
    x = embed(weights, batch, config) if start is None else start
    for layer in range(first_layer, config.num_layers):
        x = encoder_layer(x, batch, layer, plans, config, weights, observe)
    return x


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mean over each text's own tokens, divided by its norm: unit vectors ``(batch, hidden)``.

    As sentence-transformers' Pooling (mean) then Normalize: the sum over tokens of the
    masked vectors over ``max(count, 10⁻⁹)``, then ``v / max(‖v‖, 10⁻¹²)``.
    """
    m = mask[..., None].astype(F32)
    summed = (hidden * m).sum(axis=1, dtype=F32)
    mean = summed / np.maximum(m.sum(axis=1), F32(1e-9))
    norm = np.sqrt((mean * mean).sum(axis=1, keepdims=True, dtype=F32))
    return (mean / np.maximum(norm, F32(1e-12))).astype(F32)
