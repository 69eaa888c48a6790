"""MiniLM's numpy forward pass against the same network written with torch.nn.functional.

The PyTorch side is written here from BERT's definition (Devlin et al., 2019; Hugging Face
``BertModel``'s post-LN layout) and sentence-transformers' mean pooling, on the same
safetensors weights read with ``safetensors.torch``: token embeddings, ``F.layer_norm``,
``F.linear``, ``F.scaled_dot_product_attention`` with a padding mask, ``F.gelu`` (exact erf),
masked mean, ``F.normalize``. The ids come from the ``tokenizers`` library (the model's own
tokenizer.json). The pooled embeddings must agree to 1e-5.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantviz.models.transformer.bert import erf, gelu
from tests.conftest import require_module
from tests.library.models.conftest import minilm_folder

torch = require_module("torch", "the forward pass is checked against PyTorch")
F = torch.nn.functional
pytestmark = pytest.mark.torch

TEXTS = [
    "A cat sits on the mat.",
    "The quick brown fox jumps over the lazy dog.",
    "naïve café résumé — 你好!",
    "",
    "x" * 40,
    'The "with" statement is used to wrap the execution of a block with methods defined '
    "by a context manager. " * 12,  # longer than 256 word pieces: truncated
]


def torch_embeddings(folder, ids_list):
    """sentence-transformers' encode for all-MiniLM-L6-v2, from BERT's formulas."""
    st = require_module("safetensors.torch", "reads the weights for the PyTorch side")
    w = st.load_file(str(folder / "model.safetensors"))
    heads, eps = 12, 1e-12
    n = len(ids_list)
    length = max(len(i) for i in ids_list)
    ids = torch.zeros((n, length), dtype=torch.long)
    mask = torch.zeros((n, length), dtype=torch.bool)
    for r, seq in enumerate(ids_list):
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = True
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length][None]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    ln = "embeddings.LayerNorm"
    x = F.layer_norm(x, (384,), w[ln + ".weight"], w[ln + ".bias"], eps)
    for i in range(6):
        p = f"encoder.layer.{i}."

        def lin(name, t, p=p):
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        def heads_of(t):
            return t.view(n, length, heads, 32).transpose(1, 2)

        q = heads_of(lin("attention.self.query", x))
        k = heads_of(lin("attention.self.key", x))
        v = heads_of(lin("attention.self.value", x))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        a = a.transpose(1, 2).reshape(n, length, 384)
        ln = p + "attention.output.LayerNorm"
        x = F.layer_norm(
            lin("attention.output.dense", a) + x, (384,), w[ln + ".weight"], w[ln + ".bias"], eps
        )
        h = F.gelu(lin("intermediate.dense", x))
        ln = p + "output.LayerNorm"
        out = lin("output.dense", h)
        x = F.layer_norm(out + x, (384,), w[ln + ".weight"], w[ln + ".bias"], eps)
    m = mask[..., None].float()
    pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return F.normalize(pooled, p=2, dim=1).numpy()


def test_embeddings_match_pytorch(minilm, reference_tokenizer):
    ids = [reference_tokenizer.encode(t).ids for t in TEXTS]
    assert len(ids[-1]) == 256  # the long text is truncated to 256 ids
    with torch.no_grad():
        expected = torch_embeddings(minilm_folder(minilm), ids)
    ours = minilm.encode(TEXTS)
    assert ours.shape == (6, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)


def test_one_text_alone_equals_the_same_text_in_a_padded_batch(minilm):
    alone = minilm.encode(["A cat sits on the mat."])
    batched = minilm.encode(["A cat sits on the mat.", "a much longer text " * 20])
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-6)


def test_erf_within_half_a_float32_step_of_math_erf():
    z = np.linspace(-7, 7, 280_001, dtype=np.float32)
    exact = np.array([math.erf(float(v)) for v in z])
    error = np.abs(erf(z).astype(np.float64) - exact)
    assert error.max() <= 6e-8
    assert erf(np.float32([0.0]))[0] == 0.0 and erf(np.float32([9.0]))[0] == 1.0


def test_gelu_is_the_erf_form_to_float32_precision():
    x = np.linspace(-12, 12, 100_001, dtype=np.float32)
    exact = np.array([float(v) * 0.5 * (1 + math.erf(float(v) / math.sqrt(2))) for v in x])
    ours = gelu(x).astype(np.float64)
    scale = np.maximum(np.abs(x), 1)  # for x ≪ 0 the sum 1 + erf cancels: error ∝ |x|
    assert np.all(np.abs(ours - exact) <= 1.2e-7 * scale)
    # torch's vectorised GELU is itself within ~3.2e-7·|x| of the exact value
    torch_gelu = F.gelu(torch.from_numpy(x)).numpy().astype(np.float64)
    assert np.all(np.abs(ours - torch_gelu) <= 4.5e-7 * scale)
    # the tanh approximation differs by up to ~5e-4: this is the erf form
    tanh = F.gelu(torch.from_numpy(x), approximate="tanh").numpy()
    assert np.abs(ours - tanh).max() > 1e-4
