"""The task MiniLM is judged on: find a section of Python's documentation from its title.

>>> import numpy as np
>>> q = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
>>> d = np.array([[0.6, 0.8], [0.8, 0.6]], dtype=np.float32)   # query 0's answer is doc 0
>>> s = score(q, d, np.array([0, 1]))
>>> s.ranks.tolist(), s.accuracy, s.mrr
([2, 2], 0.0, 0.5)

The texts (assets/text/python-docs.json, built by scripts/make_minilm_texts.py from the
``pydoc_data.topics`` of Python 3.11 and the standard library's docstrings, PSF licence):
each query is a section title of the Language/Library Reference, its answer that section's
first paragraphs, among all the sections' paragraphs. The calibration text (docstrings of
builtins and standard-library modules) is separate from all of them.

Scores, from unit-length embeddings (cosine similarity = dot product):

* ``rank`` of a query: 1 + the number of documents more similar to it than its answer;
* **accuracy@1**: the fraction of queries whose answer ranks first;
* **MRR** (mean reciprocal rank): the mean of 1/rank (1 when every answer is first; a
  query whose answer is third adds 1/3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TEXTS = Path(__file__).resolve().parents[3] / "assets" / "text" / "python-docs.json"
"""The shipped texts (a JSON file with its provenance)."""


@dataclass(frozen=True)
class RetrievalTask:
    """Queries, the documents among which each finds its answer, and calibration text.

    ``answers[i]`` is the index in ``documents`` of query ``i``'s answer.
    """

    queries: tuple[str, ...]
    documents: tuple[str, ...]
    answers: np.ndarray
    calibration: tuple[str, ...]
    info: dict

    @property
    def texts(self) -> tuple[str, ...]:
        """Every evaluation text: the queries, then the documents."""
        return self.queries + self.documents


@dataclass(frozen=True)
class Scores:
    """Retrieval scores: each query's ``ranks`` (1 = its answer came first), ``accuracy``
    (accuracy@1, 0 to 1) and ``mrr`` (mean reciprocal rank, 0 to 1)."""

    ranks: np.ndarray
    accuracy: float
    mrr: float


def load_task(path: Path = TEXTS) -> RetrievalTask:
    """Read the shipped texts."""
    data = json.loads(path.read_text(encoding="utf-8"))
    task = data["task"]
    queries = tuple(task["queries"])
    documents = tuple(task["documents"])
    info = {k: v for k, v in data.items() if k not in ("task", "calibration")}
    info["calibration_sources"] = tuple(data["calibration"]["sources"])
    return RetrievalTask(
        queries=queries,
        documents=documents,
        answers=np.arange(len(queries)),
        calibration=tuple(data["calibration"]["texts"]),
        info=info,
    )


def score(queries: np.ndarray, documents: np.ndarray, answers: np.ndarray) -> Scores:
    """Rank every document for every query by cosine similarity (unit vectors: dot product)."""
    sim = np.asarray(queries, dtype=np.float64) @ np.asarray(documents, dtype=np.float64).T
    right = sim[np.arange(len(answers)), answers]
    ranks = 1 + (sim > right[:, None]).sum(axis=1)
    return Scores(ranks=ranks, accuracy=float(np.mean(ranks == 1)), mrr=float(np.mean(1.0 / ranks)))


def nearest(query: np.ndarray, documents: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` documents most similar to one unit-length ``query`` embedding: their indices
    (most similar first; ties in document order) and cosine similarities.

    >>> d = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    >>> i, sim = nearest(np.array([0.0, 1.0], dtype=np.float32), d, k=2)
    >>> i.tolist(), sim.round(2).tolist()
    ([2, 1], [1.0, 0.8])
    """
    sim = np.asarray(documents, dtype=np.float64) @ np.asarray(query, dtype=np.float64).ravel()
    order = np.argsort(-sim, kind="stable")[: max(int(k), 0)]
    return order, sim[order]
