"""Build assets/text/python-docs.json: the texts MiniLM is judged and calibrated on.

Both parts come from Python's own documentation, which every Python installation carries
(PSF License Agreement; Python's documentation is under the same licence):

* **the retrieval task** (evaluation): the sections of the *Python Language Reference* and
  *Library Reference* topics that ``pydoc`` shows (``pydoc_data.topics``). A section's
  **title** is the query ("The "with" statement", "Augmented assignment statements"); its
  **first paragraphs** (at most ``DOC_CHARS`` characters, cut at a sentence or word end)
  are the document it should find among all the sections' documents. Sections whose body is
  shorter than ``MIN_BODY`` characters are dropped, identical (title, body) pairs kept once,
  and a title that heads two different bodies is dropped (its answer would be ambiguous).
* **the calibration text**: other documentation — the docstrings of the built-in functions
  and types (``builtins``, the first ``CALIB_EACH`` by name) and of a fixed list of
  standard-library modules (the first ``CALIB_EACH``), each cut to ``CALIB_CHARS``
  characters. No calibration text is a section of the task.

The texts differ between Python versions, so the file is built once and shipped: the page and
the tests read the same texts on any Python. This one was built with the Python below
(``python_version`` in the file). Run from the repository root with any Python ≥ 3.11:

    python scripts/make_minilm_texts.py
"""

from __future__ import annotations

import builtins
import hashlib
import importlib
import inspect
import json
import platform
import pydoc_data.topics
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "assets" / "text" / "python-docs.json"
MIN_BODY = 200
DOC_CHARS = 250
CALIB_CHARS = 300
CALIB_EACH = 64  # docstrings of builtins, and of modules
HEADING = re.compile(r"([*=\-~^])\1+")

# Standard-library modules whose docstrings are calibration text (pure-Python modules with a
# docstring of a paragraph or more, in every Python 3.11+).
CALIB_MODULES = (
    "abc", "argparse", "ast", "base64", "bisect", "calendar", "cmd", "codecs", "collections",
    "colorsys", "configparser", "contextlib", "copy", "csv", "dataclasses", "datetime",
    "decimal", "difflib", "dis", "doctest", "email", "enum", "filecmp", "fnmatch", "fractions",
    "ftplib", "functools", "getopt", "gettext", "glob", "gzip", "heapq", "hmac", "html",
    "http.client", "http.server", "imaplib", "inspect", "ipaddress", "json", "locale",
    "logging", "mailbox", "mimetypes", "netrc", "numbers", "operator", "optparse", "os",
    "pathlib", "pdb", "pickle", "pickletools", "platform", "plistlib", "poplib", "pprint",
    "profile", "pstats", "queue", "quopri", "random", "re", "reprlib", "sched", "secrets",
    "selectors", "shelve", "shlex", "shutil", "smtplib", "socket", "socketserver",
    "statistics", "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading",
    "timeit", "token", "tokenize", "trace", "traceback", "types", "typing", "unittest",
    "urllib.parse", "urllib.request", "uuid", "warnings", "wave", "weakref", "webbrowser",
    "xml.dom.minidom", "zipfile", "zipimport",
)  # fmt: skip


def sections(text: str) -> list[tuple[str, str]]:
    """A topic's (title, body) pairs: a title is a line underlined by one repeated mark."""
    lines = text.split("\n")
    heads = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip()
        and HEADING.fullmatch(lines[i + 1].strip())
        and len(lines[i + 1].strip()) >= len(lines[i].strip())
    ]
    out = []
    for j, h in enumerate(heads):
        end = heads[j + 1] if j + 1 < len(heads) else len(lines)
        out.append((lines[h].strip(), "\n".join(lines[h + 2 : end]).strip()))
    return out


def squeeze(text: str) -> str:
    """Runs of whitespace (line breaks of the plain-text layout) as one space."""
    return re.sub(r"\s+", " ", text).strip()


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a sentence end if one is past half, else a word."""
    text = squeeze(text)
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind(": "))
    if end > limit // 2:
        return head[: end + 1]
    return head[: head.rfind(" ")] if " " in head else head


def retrieval_task() -> tuple[list[str], list[str], list[str]]:
    """(topic keys, queries, documents), one document per query, in topic order."""
    seen: dict[tuple[str, str], str] = {}
    for key in sorted(pydoc_data.topics.topics):
        for title, body in sections(pydoc_data.topics.topics[key]):
            if len(body) >= MIN_BODY and (title, body) not in seen:
                seen[(title, body)] = key
    bodies_of: dict[str, set[str]] = {}
    for title, body in seen:
        bodies_of.setdefault(title, set()).add(body)
    keys, queries, docs = [], [], []
    for (title, body), key in seen.items():
        if len(bodies_of[title]) == 1:
            keys.append(key)
            queries.append(squeeze(title))
            docs.append(cut(body, DOC_CHARS))
    return keys, queries, docs


def calibration_texts() -> tuple[list[str], list[str]]:
    """(sources, texts): the docstrings of builtins' functions and types, then of modules."""
    found: list[tuple[str, str]] = []
    for name in sorted(dir(builtins)):
        obj = getattr(builtins, name)
        doc = inspect.getdoc(obj)
        if not name.startswith("_") and callable(obj) and doc and len(doc) >= 40:
            found.append((f"builtins.{name}", cut(doc, CALIB_CHARS)))
    found = found[:CALIB_EACH]
    for module in CALIB_MODULES:
        doc = inspect.getdoc(importlib.import_module(module))
        if doc and len(doc) >= 40 and len(found) < 2 * CALIB_EACH:
            found.append((module, cut(doc, CALIB_CHARS)))
    sources, texts = [s for s, _ in found], [t for _, t in found]
    unique = {}
    for source, text in zip(sources, texts, strict=True):
        unique.setdefault(text, source)
    return list(unique.values()), list(unique)


def main() -> None:
    keys, queries, docs = retrieval_task()
    calib_sources, calib = calibration_texts()
    overlap = set(calib) & set(docs)
    assert not overlap, f"calibration text inside the task: {sorted(overlap)[:3]}"
    topics_file = Path(pydoc_data.topics.__file__)
    payload = {
        "description": (
            "Texts from Python's own documentation for judging a sentence-embedding model: "
            "a retrieval task (each query is a section title of the Language/Library "
            "Reference topics that pydoc shows, its answer that section's first paragraphs, "
            "among all the sections) and separate calibration text (docstrings of builtins "
            "and standard-library modules)."
        ),
        "source": "CPython's Lib/pydoc_data/topics.py and the standard library's docstrings",
        "python_version": platform.python_version(),
        "topics_sha256": hashlib.sha256(topics_file.read_bytes()).hexdigest(),
        "licence": "PSF License Agreement (Python Software Foundation License Version 2)",
        "built_by": "scripts/make_minilm_texts.py",
        "rules": {
            "min_body_chars": MIN_BODY,
            "doc_chars": DOC_CHARS,
            "calib_chars": CALIB_CHARS,
            "calib_each": CALIB_EACH,
        },
        "task": {"topics": keys, "queries": queries, "documents": docs},
        "calibration": {"sources": calib_sources, "texts": calib},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(queries)} queries, {len(calib)} calibration texts")


if __name__ == "__main__":
    main()
