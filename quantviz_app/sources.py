"""Where the tensor comes from: a distribution, the shipped MiniLM-L6 sample, or an upload.

:func:`take_upload` reads a file the moment it is uploaded (once per upload) and
keeps it in the session only; :func:`current` gives the :class:`~quantviz_app.data.Data`
the settings name. Neither draws anything.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import quantviz as qv
from quantviz.io import LoadedWeights, is_quantizable
from quantviz.model_table import default_tensor
from quantviz_app import data
from quantviz_app.i18n import Message
from quantviz_app.schema import Settings, distribution_params

UPLOAD = "_upload"  # session key: (file id, LoadedWeights) of the file being shown
BAD_UPLOAD = "_bad_upload"  # session key: (file id, message) of a file that could not be read


def take_upload(state: MutableMapping[str, Any]) -> str | None:
    """Read the file in the uploader, once per upload; return its problem, or None.

    A good file is kept in this session (``state[UPLOAD]``), becomes the source and
    opens its largest matrix. A bad file changes nothing (the previous tensor stays)
    and its message comes back on every run while it sits in the uploader. An
    emptied uploader lets the file go.
    """
    uploaded = state.get("upload")
    if uploaded is None:
        state.pop(UPLOAD, None)
        state.pop(BAD_UPLOAD, None)
        if state.get("source") == "file":
            state["source"] = "synthetic"
        return None
    file_id = uploaded.file_id
    held = state.get(UPLOAD)
    if held is not None and held[0] == file_id:
        return None
    bad = state.get(BAD_UPLOAD)
    if bad is not None and bad[0] == file_id:
        return bad[1]
    try:
        weights = data.read_upload(uploaded)
    except qv.InputError as exc:
        state[BAD_UPLOAD] = (file_id, str(exc))
        return str(exc)
    state[UPLOAD] = (file_id, weights)
    data.session_store(state).clear()  # the previous upload's results go
    state["source"] = "file"
    state["file_tensor"] = default_tensor(weights.tensors)
    return None


def uploaded(state: MutableMapping[str, Any]) -> tuple[str, LoadedWeights] | None:
    """The uploaded file this session holds, if any."""
    return state.get(UPLOAD)


def weights_of(x: Data, state: MutableMapping[str, Any]) -> LoadedWeights:
    """The weight file a file's tensor comes from (the shipped sample or the upload)."""
    if x.kind == "sample":
        return data.shipped_weights()
    return uploaded(state)[1]


def tensor_choices(weights: LoadedWeights) -> list[str]:
    """The file's tensors that can be quantized (floating point, not empty), in file order."""
    return [name for name, x in weights.tensors.items() if is_quantizable(x)]


def current(s: Settings, state: MutableMapping[str, Any]) -> tuple[Data, Settings, list[str]]:
    """The tensor the settings name, the settings corrected to one that exists, and notes.

    A tensor name the file does not have (an old link) falls back to the file's
    largest matrix, with a note.
    """
    notes: list[Message] = []
    held = uploaded(state)
    if s["source"] == "file" and held is None:
        s = s.replace(source="synthetic")
    if s["source"] == "synthetic":
        x = data.synthetic(s["dist"], s["n"], s["seed"], distribution_params(s))
        return x, s, notes
    if s["source"] == "sample":
        file_id, weights, key = "sample", data.shipped_weights(), "tensor"
        store = data.shared_store()
    else:
        (file_id, weights), key = held, "file_tensor"
        store = data.session_store(state)
    choices = tensor_choices(weights)
    if s[key] not in choices:
        fallback = default_tensor(weights.tensors)
        if s[key]:
            notes.append(Message(
                "text.link.no_tensor",
                "{file} has no floating-point tensor called '{name}'; showing {fallback}.",
                {"file": weights.filename, "name": s[key][:80], "fallback": fallback},
            ))  # fmt: skip
        s = s.replace(**{key: fallback})
    return data.from_file(s["source"], file_id, weights, s[key], store), s, notes


Data = data.Data
