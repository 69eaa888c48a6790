"""Where the tensor comes from: a distribution, the shipped MiniLM-L6 sample, the shipped
digits CNN, or an upload.

:func:`take_upload` reads a file the moment it is uploaded (once per upload, with a
spinner while it is read) and holds it for its session only
(:mod:`quantviz_app.uploads` decides how long); :func:`current` gives the
:class:`~quantviz_app.data.Data` the settings name. Neither draws anything.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

import quantviz as qv
from quantviz.distributions import min_samples
from quantviz.io import LoadedWeights, is_quantizable
from quantviz.model_table import default_tensor
from quantviz_app import data, text, uploads
from quantviz_app.cache import Store
from quantviz_app.i18n import Message, Tr
from quantviz_app.schema import SAMPLE_SIZES, Settings, distribution_params

UPLOAD = "_upload"  # session key: the file id of the upload this session shows
BAD_UPLOAD = "_bad_upload"  # session key: (file id, its InputError) of a file that was refused


def take_upload(state: MutableMapping[str, Any]) -> qv.InputError | str | None:
    """Read the file in the uploader, once per upload; return its problem (the reader's
    :class:`quantviz.InputError`, or a sentence), or None.

    A good file is held for this session (:func:`uploaded`), becomes the source and
    opens its largest matrix. A bad file changes nothing (the previous tensor stays)
    and its message comes back on every run while it sits in the uploader. An
    emptied uploader lets the file go.
    """
    uploaded_file = state.get("upload")
    session = uploads.session_id(state)
    t = Tr(state.get("lang", "en"))
    if uploaded_file is None:
        uploads.release(session)
        state.pop(UPLOAD, None)
        state.pop(BAD_UPLOAD, None)
        if state.get("source") == "file":
            state["source"] = "synthetic"
        return None
    file_id = uploaded_file.file_id
    if state.get(UPLOAD) == file_id and uploaded(state) is not None:
        return None
    bad = state.get(BAD_UPLOAD)
    if bad is not None and bad[0] == file_id:
        return bad[1]
    uploads.release(session)  # the previous file goes before the next one is read
    state.pop(UPLOAD, None)
    place = uploads.reserve(session)  # taken before reading, given back unless held
    if place is None:  # not remembered as bad: the same file may fit in a minute
        return text.upload_busy(uploads.MAX_HELD, t)
    size_mb = max(1, round(getattr(uploaded_file, "size", 0) / 10**6))
    with place:
        try:
            with st.spinner(text.upload_reading(getattr(uploaded_file, "name", ""), size_mb, t)):
                weights = data.read_upload(uploaded_file, budget=place.values)
            store = Store(data.store_bytes(weights))
            charge = data.uploaded_bytes(weights) + store.max_bytes
            place.grow_to(charge)
        except uploads.Busy:
            return text.upload_busy(uploads.MAX_HELD, t)
        except qv.InputError as exc:
            state[BAD_UPLOAD] = (file_id, exc)
            return exc
        place.hold(uploads.Held(session, file_id, weights, store, uploaded_file, charge=charge))
    state[UPLOAD] = file_id
    state["source"] = "file"
    state["file_tensor"] = default_tensor(weights.tensors)
    return None


def uploaded(state: MutableMapping[str, Any]) -> tuple[str, LoadedWeights] | None:
    """The uploaded file this session holds, if any: its file id and its tensors."""
    held = uploads.held_by(uploads.session_id(state))
    if held is None or held.file_id != state.get(UPLOAD):
        return None
    return held.file_id, held.weights


def upload_store(state: MutableMapping[str, Any]) -> Store:
    """The store of this session's upload's results."""
    return uploads.held_by(uploads.session_id(state)).store


def weights_of(x: Data, state: MutableMapping[str, Any]) -> LoadedWeights:
    """The weight file a file's tensor comes from (the shipped sample or the upload)."""
    if x.kind == "sample":
        return data.shipped_weights()
    if x.kind == "model":
        return data.model_weights()
    held = uploaded(state)
    if held is None:
        raise qv.InputError(
            "The uploaded file is no longer held: upload it again.", kind="upload_gone"
        )
    return held[1]


def tensor_choices(weights: LoadedWeights) -> list[str]:
    """The file's tensors that can be quantized (floating point, not empty), in file order."""
    return [name for name, x in weights.tensors.items() if is_quantizable(x)]


def current(s: Settings, state: MutableMapping[str, Any]) -> tuple[Data, Settings, list[str]]:
    """The tensor the settings name, the settings corrected to one that exists, and notes
    (messages to say, through :func:`quantviz_app.text.echo`).

    A tensor name the file does not have (an old link) falls back to the file's
    largest matrix, with a note; so does a tensor with no finite value. A linear layer
    with more rows than values gets more values, with a note.
    """
    uploads.start_janitor()
    notes: list[Message] = []
    held = uploaded(state)
    if s["source"] == "file" and held is None:
        s = s.replace(source="synthetic")
    if s["source"] == "synthetic":
        s = _enough_values(s, notes)
        x = data.synthetic(s["dist"], s["n"], s["seed"], distribution_params(s))
        return x, s, notes
    if s["source"] == "sample":
        file_id, weights, key = "sample", data.shipped_weights(), "tensor"
        store = data.shared_store()
    elif s["source"] == "model":
        file_id, weights, key = "model", data.model_weights(), "model_tensor"
        store = data.shared_store()
    else:
        (file_id, weights), key = held, "file_tensor"
        store = upload_store(state)
    choices = tensor_choices(weights)
    if s[key] not in choices:
        fallback = default_tensor(weights.tensors)
        if s[key]:
            notes.append(text.from_link(Message(
                "text.link.no_tensor",
                "{file} has no floating-point tensor called '{name}'; showing {fallback}.",
                {"file": weights.filename, "name": s[key][:80], "fallback": fallback},
            )))  # fmt: skip
        s = s.replace(**{key: fallback})
    x = data.from_file(s["source"], file_id, weights, s[key], store)
    if x.size == 0:  # every value NaN or infinite: another tensor, with a sentence
        finite = [n for n in choices if n != s[key] and data.has_finite(weights.tensors[n])]
        fallback = default_tensor({n: weights.tensors[n] for n in finite})
        notes.append(Message(
            "text.source.no_finite",
            "{name} holds no finite value (its {count} values are NaN or infinite); "
            "showing {fallback}.",
            {"name": s[key][:80], "count": f"{x.dropped:,}", "fallback": fallback},
        ))  # fmt: skip
        s = s.replace(**{key: fallback})
        x = data.from_file(s["source"], file_id, weights, s[key], store)
    return x, s, notes


def _enough_values(s: Settings, notes: list[Message]) -> Settings:
    """The settings with a sample size the distribution can draw: a linear layer of 1,024
    rows needs 1,024 values or more, so n = 1,000 becomes 10,000 (with a sentence)."""
    least = min_samples(s["dist"], **distribution_params(s))
    if s["n"] >= least:
        return s
    n = min(size for size in SAMPLE_SIZES if size >= least)
    notes.append(Message(
        "text.source.more_values",
        "{rows} rows need at least {rows} values, one per row; showing {n} values instead of "
        "{asked}.",
        {"rows": f"{least:,}", "n": f"{n:,}", "asked": f"{s['n']:,}"},
    ))  # fmt: skip
    return s.replace(n=n)


Data = data.Data
