"""The shipped models: a real network, its test set and its calibration set, read from assets/.

>>> import quantviz as qv
>>> qv.models()
('digits-cnn', 'minilm-l6')
>>> m = qv.load_model("digits-cnn")
>>> [layer.name for layer in m.layers], len(m.y_test)
(['conv1', 'conv2', 'fc1', 'fc2'], 540)

A model is a short list of layers (:class:`Layer`): a 2-D convolution (stride 1) or a
dense (fully connected) layer, each with an optional ReLU and max-pooling after it. The
weights are the float32 tensors of a safetensors file in PyTorch layout (conv
``(out, in, kh, kw)``, dense ``(out, in)``), read with :func:`quantviz.load_weights`;
the architecture, the float accuracy recorded at training and the provenance come
from a JSON file next to it (``assets/models/<name>.json``, written by
``scripts/train_digits.py``).

A sidecar with ``"kind": "transformer"`` names a sentence-embedding transformer instead
(``minilm-l6``): :func:`load_model` then returns a
:class:`quantviz.models.transformer.TransformerModel` (its weights come from an installed
package, see :mod:`quantviz.models.transformer.model`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from quantviz.errors import InputError
from quantviz.io import load_weights

if TYPE_CHECKING:
    from quantviz.models.transformer.model import TransformerModel

MODELS_DIR = Path(__file__).resolve().parents[2] / "assets" / "models"
"""Where the shipped models live (``assets/models`` of the source tree)."""

LAYER_KINDS = ("conv", "dense")


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer: ``y = pool(relu(W ⊛ x + b))``.

    Attributes
    ----------
    name : str
        As in the weight file: the tensors are ``<name>.weight`` and ``<name>.bias``.
    kind : str
        ``"conv"``: 2-D convolution, stride 1, ``padding`` zeros on each side,
        weight ``(out, in, k, k)``; ``"dense"``: ``x @ W.T + b``, weight ``(out, in)``
        (its input is flattened first, channel-major as ``torch.flatten``).
    weight, bias : np.ndarray
        float32.
    padding : int
        Zeros added on each side (conv only).
    relu : bool
        A ReLU after the layer.
    pool : int or None
        Max-pooling with this window and stride after the ReLU (conv only), or None.
    """

    name: str
    kind: str
    weight: np.ndarray
    bias: np.ndarray
    padding: int = 0
    relu: bool = False
    pool: int | None = None

    @property
    def n_weights(self) -> int:
        return int(self.weight.size)


@dataclass(frozen=True, eq=False)
class Model:
    """A shipped network with its data.

    Attributes
    ----------
    name, title : str
    layers : tuple of Layer
        In the order the input flows through them.
    x_test, y_test : np.ndarray
        The held-out test images, float32 ``(n, channels, height, width)`` already
        scaled as the network expects (digits: pixels / 16, in [0, 1]), and int64 labels.
    x_calib, y_calib : np.ndarray
        The calibration split (taken from the training data), same form; used only to
        choose static activation ranges.
    images : np.ndarray
        The test images as stored (digits: uint8 pixel counts 0–16, ``(n, 8, 8)``), for
        pictures.
    float_accuracy_recorded : float
        The float test accuracy measured by the training script (a fraction).
    info : dict
        The rest of the JSON sidecar (seed, provenance, licence, training).
    """

    name: str
    title: str
    layers: tuple[Layer, ...]
    x_test: np.ndarray
    y_test: np.ndarray
    x_calib: np.ndarray
    y_calib: np.ndarray
    images: np.ndarray
    float_accuracy_recorded: float
    info: dict = field(default_factory=dict)
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers)

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` (:class:`InputError` naming the valid ones otherwise)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise InputError(
            f"{self.name} has no layer {name!r}; its layers are {', '.join(self.layer_names)}."
        )

    def weights(self) -> dict[str, np.ndarray]:
        """Every tensor by its file name (``conv1.weight``, ``conv1.bias``, …)."""
        out: dict[str, np.ndarray] = {}
        for layer in self.layers:
            out[f"{layer.name}.weight"] = layer.weight
            out[f"{layer.name}.bias"] = layer.bias
        return out

    @property
    def n_weights(self) -> int:
        return sum(layer.n_weights for layer in self.layers)

    @property
    def n_biases(self) -> int:
        return sum(int(layer.bias.size) for layer in self.layers)


def models() -> tuple[str, ...]:
    """The names of the shipped models, for :func:`load_model` and :func:`quantviz.evaluate`."""
    return tuple(sorted(p.stem for p in MODELS_DIR.glob("*.json")))


def model_path(name: str) -> Path:
    """The weight file of the shipped model ``name`` (a safetensors file)."""
    info = _sidecar(name)
    return MODELS_DIR / info["weights"]


def _sidecar(name: str) -> dict:
    if not isinstance(name, str) or name not in models():
        raise InputError(f"model must be one of {', '.join(models())}; not {name!r}.")
    return json.loads((MODELS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def model_installed(name: str) -> bool:
    """Whether :func:`load_model` can open ``name`` here: a shipped file, or a transformer whose
    package is installed (found through its metadata, not imported; nothing is read).

    >>> model_installed("digits-cnn")
    True
    """
    info = _sidecar(name)
    if info.get("kind") != "transformer":
        return (MODELS_DIR / info["weights"]).is_file()
    from quantviz.models.transformer.model import package_model_dir

    try:
        package_model_dir(str(info["source"]["package"]), str(info["source"]["folder"]))
    except InputError:
        return False
    return True


def load_model(name: str = "digits-cnn") -> Model | TransformerModel:
    """Open a shipped model: its layers, its test set and its calibration set.

    The same :class:`Model` object is returned on every call (it is read once and
    keeps the float activations it computes), so treat its arrays as read-only.
    """
    _sidecar(name)  # the name check, outside the cache
    return _load(name)


@cache
def _load(name: str) -> Model | TransformerModel:
    info = _sidecar(name)
    if info.get("kind") == "transformer":
        from quantviz.models.transformer.model import load_transformer

        return load_transformer(name, info)
    tensors = load_weights(MODELS_DIR / info["weights"])
    layers = []
    for spec in info["layers"]:
        kind = spec["kind"]
        if kind not in LAYER_KINDS:  # pragma: no cover - a broken asset
            raise InputError(f"{name}: layer {spec['name']} has unknown kind {kind!r}.")
        weight = np.asarray(tensors[f"{spec['name']}.weight"], dtype=np.float32)
        bias = np.asarray(tensors[f"{spec['name']}.bias"], dtype=np.float32)
        weight.flags.writeable = bias.flags.writeable = False
        layers.append(
            Layer(
                spec["name"],
                kind,
                weight,
                bias,
                int(spec.get("padding") or 0),
                bool(spec.get("relu")),
                spec.get("pool"),
            )
        )
    with np.load(MODELS_DIR / info["data"], allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    pixel_max = float(info["input"]["pixel_max"])

    def scaled(images: np.ndarray) -> np.ndarray:
        x = (images.astype(np.float32) / np.float32(pixel_max))[:, None]
        x.flags.writeable = False
        return x

    def labels(y: np.ndarray) -> np.ndarray:
        y = y.astype(np.int64)
        y.flags.writeable = False
        return y

    keep = {k: v for k, v in info.items() if k not in ("layers", "name", "title")}
    return Model(
        name=name,
        title=info.get("title", name),
        layers=tuple(layers),
        x_test=scaled(arrays["x_test"]),
        y_test=labels(arrays["y_test"]),
        x_calib=scaled(arrays["x_calib"]),
        y_calib=labels(arrays["y_calib"]),
        images=arrays["x_test"],
        float_accuracy_recorded=float(info["float_test_accuracy"]),
        info=keep,
    )
