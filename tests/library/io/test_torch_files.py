"""Tests of quantviz.io, PyTorch files: weights only, hostile pickles never run.

Files are written at test time by each format's own library (tests/io_fixtures.py).
"""

from __future__ import annotations

import io
import pickle
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from quantviz.errors import InputError
from quantviz.io import (
    load_weights,
    read_weights,
)
from tests import io_fixtures as fx
from tests.conftest import require_module
from tests.library.io.helpers import refused

# ----------------------------------------------------------------------------------------
# PyTorch
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return require_module("torch", "reading PyTorch checkpoints needs torch")


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_state_dict_round_trip(torch, legacy):
    sd = {
        "encoder": {
            "weight": torch.randn(4, 3),
            "bias": torch.randn(4).to(torch.bfloat16),
            "inner": {"scale": torch.randn(2).to(torch.float16)},
        },
        "head.weight": torch.randn(2, 4, dtype=torch.float64),
        "position_ids": torch.arange(6).reshape(1, 6),
        "mask": torch.tensor([True, False]),
        "transposed": torch.randn(3, 5).t(),
    }
    result = read_weights(fx.torch_bytes(sd, legacy), "model.pt")
    expected = {
        "encoder.weight": sd["encoder"]["weight"],
        "encoder.bias": sd["encoder"]["bias"],
        "encoder.inner.scale": sd["encoder"]["inner"]["scale"],
        "head.weight": sd["head.weight"],
        "position_ids": sd["position_ids"],
        "mask": sd["mask"],
        "transposed": sd["transposed"],
    }
    assert list(result.tensors) == list(expected)
    for name, t in expected.items():
        got = result.tensors[name]
        assert got.shape == tuple(t.shape)
        if t.dtype.is_floating_point:
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, t.float().numpy())
        else:
            np.testing.assert_array_equal(got, t.numpy())
            assert got.dtype == t.numpy().dtype
    quantizable = {i.name: i.quantizable for i in result.infos}
    assert quantizable["position_ids"] is False and quantizable["mask"] is False
    assert quantizable["encoder.bias"] is True
    stored = {i.name: i.stored_as for i in result.infos}
    assert stored["encoder.bias"] == "torch.bfloat16"


def test_torch_real_module_state_dict(torch):
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    sd = model.state_dict()
    out = load_weights(fx.torch_bytes(sd), "pytorch_model.bin")
    assert list(out) == list(sd)
    assert out["1.num_batches_tracked"].dtype == np.int64
    np.testing.assert_array_equal(out["0.weight"], sd["0.weight"].numpy())


@pytest.mark.parametrize("key", ["state_dict", "model", "model_state_dict"])
def test_torch_training_checkpoint_is_unwrapped(torch, key):
    ckpt = {
        "epoch": 3,
        key: {"fc.weight": torch.randn(2, 2)},
        "optimizer": {"state": {0: {"exp_avg": torch.zeros(2, 2)}}},
    }
    out = load_weights(fx.torch_bytes(ckpt), "ckpt.pth")
    assert list(out) == ["fc.weight"]


def test_torch_single_tensor_and_list(torch):
    t = torch.randn(3, 2)
    single = load_weights(fx.torch_bytes(t), "emb.pt")
    assert list(single) == ["emb"]
    np.testing.assert_array_equal(single["emb"], t.numpy())
    many = load_weights(fx.torch_bytes([t, torch.ones(2)]), "l.pt")
    assert list(many) == ["0", "1"]


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated:UserWarning")  # torch's own loader
def test_torch_quantized_tensor_is_dequantized(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quantized tensors are deprecated in PyTorch 2.13
        q = torch.quantize_per_tensor(torch.randn(8), scale=0.1, zero_point=3, dtype=torch.qint8)
    result = read_weights(fx.torch_bytes({"q": q}), "q.pt")
    np.testing.assert_array_equal(result.tensors["q"], q.dequantize().numpy())
    assert "dequantized" in result.infos[0].note


def test_torch_complex_and_sparse_are_skipped(torch):
    sd = {
        "w": torch.ones(2),
        "c": torch.ones(2, dtype=torch.complex64),
        "s": torch.eye(3).to_sparse(),
    }
    result = read_weights(fx.torch_bytes(sd), "m.pt")
    assert list(result.tensors) == ["w"]
    assert {i.name for i in result.skipped} == {"c", "s"}


def test_torch_tied_weights_do_not_share_memory(torch):
    shared = torch.randn(4, 3)
    sd = {"embed.weight": shared, "lm_head.weight": shared, "row": shared[1]}
    out = load_weights(fx.torch_bytes(sd), "tied.pt")
    np.testing.assert_array_equal(out["lm_head.weight"], shared.numpy())
    np.testing.assert_array_equal(out["row"], shared[1].numpy())
    arrays = list(out.values())
    for i, a in enumerate(arrays):
        assert a.flags.writeable
        for b in arrays[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_torch_duplicate_flattened_names_are_kept_apart(torch):
    sd = {"a.b": torch.ones(1), "a": {"b": torch.zeros(1)}}
    out = load_weights(fx.torch_bytes(sd), "d.pt")
    assert list(out) == ["a.b", "a.b (2)"]


def test_torch_expanded_tensor_counts_all_its_elements(torch):
    """A stride-0 view of one stored value claims 10**12 elements: refused before copying."""
    huge = torch.zeros(1).expand(10**6, 10**6)
    data = fx.torch_bytes({"huge": huge})
    assert len(data) < 10_000
    refused(data, "expand.pt", "holds 1 trillion values, more than the 100,000,000")


def test_torch_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    data = b"PK\x05\x06" + b"\0" * 18  # an empty ZIP archive
    with pytest.raises(InputError, match=r"needs PyTorch: pip install 'quantviz\[torch\]'"):
        load_weights(data, "m.pt")


# --- hostile pickles ---------------------------------------------------------------------


def test_payloads_are_live(tmp_path):
    """Control: the payloads below really create their file when unpickled carelessly."""
    for payload in (fx.FileCreator, fx.CommandRunner):
        target = tmp_path / f"control-{payload.__name__}"
        result = pickle.loads(pickle.dumps(payload(target)))
        if hasattr(result, "close"):
            result.close()
        assert target.exists()


def hostile_files(target: Path) -> dict[str, bytes]:
    """Files whose loading would create ``target`` if anything ran their code."""
    files = {
        "object.npy": fx.npy_bytes(np.array([fx.FileCreator(target)], dtype=object), True),
        "object.npz": fx.npz_bytes({"a": np.array([fx.CommandRunner(target)], dtype=object)}),
        "raw-pickle.pt": fx.plain_pickle({"w": fx.FileCreator(target)}),
        "raw-pickle.bin": fx.plain_pickle(fx.CommandRunner(target)),
    }
    try:
        import torch
    except ImportError:
        return files
    files["zip-open.pt"] = fx.torch_bytes({"w": torch.ones(2), "x": fx.FileCreator(target)})
    files["zip-system.pth"] = fx.torch_bytes({"x": fx.CommandRunner(target)})
    files["legacy-system.pt"] = fx.torch_bytes({"x": fx.CommandRunner(target)}, legacy=True)
    return files


@pytest.mark.parametrize(
    "name",
    [
        "object.npy",
        "object.npz",
        "raw-pickle.pt",
        "raw-pickle.bin",
        "zip-open.pt",
        "zip-system.pth",
        "legacy-system.pt",
    ],
)
def test_hostile_pickles_are_refused_and_never_run(tmp_path, name):
    target = tmp_path / "pwned"
    files = hostile_files(target)
    if name not in files:
        require_module("torch", "torch.save writes this checkpoint")
    err = refused(files[name], name, "safety")
    assert not target.exists()
    if name.startswith(("zip", "legacy")):
        assert "Python objects other than tensors" in str(err)


def test_torchscript_archive_is_refused(torch):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated in PyTorch 2.13
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    refused(buf.getvalue(), "scripted.pt", "TorchScript")


def test_torch_zip_bomb_is_refused(torch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({}))
        zf.writestr("archive/data/0", b"\0" * (4 * 2**20))
    refused(buf.getvalue(), "bomb.pt", "would expand", max_bytes=2**20)
