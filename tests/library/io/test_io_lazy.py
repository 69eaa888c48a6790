"""``quantviz.io.iter_weights``: a file read one tensor at a time, with the eager reader's checks.

Each format is written to disk with its own library (tests/io_fixtures.py), read both
ways, and compared; the refusals are checked in the same words as ``read_weights``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

import quantviz as qv
from quantviz.io import MAX_TENSOR_ELEMENTS, iter_weights, read_weights
from tests import io_fixtures as fx

RNG = np.random.default_rng(7)
W = RNG.normal(size=(6, 32)).astype(np.float32)
B = RNG.normal(size=32).astype(np.float32)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_lazily(path: Path) -> dict[str, np.ndarray]:
    return {name: np.array(x) for name, x in iter_weights(path)}


def same_as_eager(path: Path) -> dict[str, np.ndarray]:
    """Read both ways; assert the same names, dtypes and values; return the lazy result."""
    lazy = read_lazily(path)
    eager = read_weights(path).tensors
    assert list(lazy) == list(eager)
    for name, x in eager.items():
        assert lazy[name].dtype == x.dtype
        np.testing.assert_array_equal(lazy[name], x)
    return lazy


# --- every format, the same tensors as the eager reader --------------------------------


def test_safetensors(tmp_path):
    ids = np.arange(5, dtype=np.int64)
    data = fx.safetensors_numpy_bytes({"w": W, "b": B.astype(np.float16), "ids": ids})
    path = write(tmp_path, "m.safetensors", data)
    stream = iter_weights(path)
    assert len(stream) == 3 and stream.format == "safetensors"
    got = same_as_eager(path)
    np.testing.assert_array_equal(got["w"], W)
    np.testing.assert_array_equal(got["b"], B.astype(np.float16).astype(np.float32))
    list(stream)
    assert {(i.name, i.stored_as, i.note) for i in stream.infos} == {
        ("w", "F32", ""),
        ("b", "F16", "converted from float16 to float32"),
        ("ids", "I64", ""),
    }


def test_safetensors_float32_is_a_read_only_map_of_the_file(tmp_path):
    path = write(tmp_path, "m.safetensors", fx.safetensors_numpy_bytes({"w": W}))
    ((name, x),) = list(iter_weights(path))
    assert name == "w" and x.dtype == np.float32 and not x.flags.writeable
    assert isinstance(x.base, np.memmap) or isinstance(x.base.base, np.memmap)


def test_safetensors_bfloat16(tmp_path):
    torch = pytest.importorskip("torch")
    t = torch.tensor([[1.0, -2.5, 0.15625, 3.0]], dtype=torch.bfloat16)
    path = write(tmp_path, "bf.safetensors", fx.safetensors_torch_bytes({"x": t}))
    got = same_as_eager(path)
    assert got["x"].tolist() == [[1.0, -2.5, 0.15625, 3.0]]


def test_npy_is_memory_mapped(tmp_path):
    path = write(tmp_path, "layer.npy", fx.npy_bytes(W))
    ((name, x),) = list(iter_weights(path))
    assert name == "layer" and isinstance(x, np.memmap)
    same_as_eager(path)


def test_npy_fortran_order_and_float64(tmp_path):
    path = write(tmp_path, "f.npy", fx.npy_bytes(np.asfortranarray(W.astype(np.float64))))
    got = same_as_eager(path)
    np.testing.assert_array_equal(got["f"], W)


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_member_by_member(tmp_path, compressed):
    data = fx.npz_bytes({"w": W, "b": B, "mask": np.ones(3, bool)}, compressed=compressed)
    path = write(tmp_path, "m.npz", data)
    assert iter_weights(path).names == ("w", "b", "mask")
    got = same_as_eager(path)
    np.testing.assert_array_equal(got["w"], W)
    assert got["mask"].dtype == bool and got["mask"].tolist() == [True] * 3


def test_gguf(tmp_path):
    pytest.importorskip("gguf")
    data = fx.gguf_bytes({"w": (W, "F32"), "h": (W, "F16"), "q": (W, "Q8_0")})
    path = write(tmp_path, "m.gguf", data)
    stream = iter_weights(path)
    assert stream.names == ("w", "h", "q")
    got = same_as_eager(path)
    np.testing.assert_array_equal(got["w"], W)
    list(stream)
    assert [(i.stored_as, i.note) for i in stream.infos] == [
        ("F32", ""),
        ("F16", "converted from float16 to float32"),
        ("Q8_0", "dequantized from GGML Q8_0"),
    ]


def test_torch_zip_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    obj = {"epoch": 3, "model": {"w": torch.from_numpy(W), "b": torch.from_numpy(B).half()}}
    path = write(tmp_path, "ckpt.pt", fx.torch_bytes(obj))
    assert iter_weights(path).names == ("w", "b")
    got = same_as_eager(path)
    np.testing.assert_array_equal(got["w"], W)
    assert got["b"].dtype == np.float32  # stored as float16, read as float32
    np.testing.assert_array_equal(got["b"], B.astype(np.float16).astype(np.float32))


def test_torch_legacy_checkpoint_is_read_whole(tmp_path):
    torch = pytest.importorskip("torch")
    path = write(tmp_path, "old.pt", fx.torch_bytes({"w": torch.from_numpy(W)}, legacy=True))
    np.testing.assert_array_equal(same_as_eager(path)["w"], W)
    assert iter_weights(path).names == ("w",)


def test_onnx_and_csv_are_read_whole(tmp_path):
    pytest.importorskip("onnx")
    got_onnx = same_as_eager(write(tmp_path, "m.onnx", fx.onnx_bytes({"w": W, "b": B})))
    np.testing.assert_array_equal(got_onnx["w"], W)
    got = same_as_eager(write(tmp_path, "t.csv", fx.csv_bytes(W[:2, :3])))
    assert got["t"].shape == (2, 3)


# --- one tensor at a time --------------------------------------------------------------


def test_only_reads_the_tensors_asked_for(tmp_path):
    arrays = {"a": W, "b": B, "c": W[:2]}
    path = write(tmp_path, "m.safetensors", fx.safetensors_numpy_bytes(arrays))
    stream = iter_weights(path).only(["c", "a", "absent"])
    assert [name for name, _ in stream] == ["a", "c"]
    assert [i.name for i in stream.infos] == ["a", "c"]


def test_each_pass_reads_the_file_again(tmp_path):
    path = write(tmp_path, "m.npz", fx.npz_bytes({"w": W, "b": B}))
    stream = iter_weights(path)
    assert [n for n, _ in stream] == ["w", "b"]
    assert [n for n, _ in stream] == ["w", "b"]


def test_the_limit_is_per_tensor_not_per_file(tmp_path):
    path = write(tmp_path, "m.safetensors", fx.safetensors_numpy_bytes({"w": W, "b": B}))
    assert len(list(iter_weights(path, max_elements=192))) == 2  # 192 + 32 values in all
    with pytest.raises(qv.InputError) as err:
        iter_weights(path, max_elements=100)
    assert str(err.value) == (
        "m.safetensors holds 192 values, more than the 100 quantviz reads from one file."
    )
    assert MAX_TENSOR_ELEMENTS == 1_000_000_000


def test_a_file_over_the_eager_limit_is_read(tmp_path):
    """A file of 201 MB: read_weights refuses it, iter_weights reads it (sparse: no disk)."""
    n = 201 * 2**20 // 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}})
    header += " " * (-len(header) % 8)
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header.encode())
        f.truncate(8 + len(header) + 4 * n)
    limit = r"larger than the 200,000,000 bytes \(200 MB\) quantviz reads whole"
    with pytest.raises(qv.InputError, match=limit):
        read_weights(path)
    ((name, x),) = list(iter_weights(path))
    assert name == "w" and x.shape == (n,) and float(x[-1]) == 0.0


# --- refusals, in the eager reader's words ---------------------------------------------


def test_missing_folder_empty_and_unknown(tmp_path):
    cases = {
        tmp_path / "nope.safetensors": "nope.safetensors does not exist.",
        write(tmp_path, "empty.npy", b""): "empty.npy is empty.",
        write(tmp_path, "w.h5", b"\x89HDF\r\n\x1a\n"): (
            "w.h5: .h5 files are not supported; quantviz reads .safetensors, .pt, .pth, .bin, "
            ".onnx, .gguf, .npy, .npz, .csv, .txt."
        ),
    }
    for path, sentence in cases.items():
        with pytest.raises(qv.InputError) as err:
            iter_weights(path)
        assert str(err.value) == sentence
    folder = tmp_path / "dir.safetensors"
    folder.mkdir()
    with pytest.raises(qv.InputError, match=r"^dir.safetensors is a folder, not a file\.$"):
        iter_weights(folder)
    with pytest.raises(qv.InputError, match="needs its path, not bytes"):
        iter_weights(b"123")  # type: ignore[arg-type]


def test_misnamed_files_are_refused_before_any_tensor(tmp_path):
    npy = fx.npy_bytes(W)
    with pytest.raises(qv.InputError) as err:
        iter_weights(write(tmp_path, "w.gguf", npy))
    assert str(err.value) == "w.gguf is not a GGUF file (it looks like a NumPy .npy file)."
    with pytest.raises(qv.InputError) as err:
        iter_weights(write(tmp_path, "w.npz", npy))
    assert str(err.value) == "w.npz is not a NumPy .npz archive (it looks like a NumPy .npy file)."


def test_object_arrays_and_plain_pickles_are_refused(tmp_path):
    obj = np.array([{"a": 1}, None], dtype=object)
    with pytest.raises(qv.InputError) as err:
        iter_weights(write(tmp_path, "o.npy", fx.npy_bytes(obj, allow_pickle=True)))
    assert str(err.value) == (
        "o.npy contains an array of Python objects; loading it would mean unpickling, "
        "which can run arbitrary code, so quantviz refuses it for safety."
    )
    target = tmp_path / "pwned"
    with pytest.raises(qv.InputError) as err:
        iter_weights(write(tmp_path, "p.pt", fx.plain_pickle(fx.FileCreator(target))))
    assert "is a plain Python pickle" in str(err.value)
    assert not target.exists()


def test_a_torch_checkpoint_running_code_is_refused(tmp_path):
    pytest.importorskip("torch")
    target = tmp_path / "pwned"
    import torch

    data = fx.torch_bytes({"w": torch.zeros(2), "evil": fx.FileCreator(target)})
    with pytest.raises(qv.InputError, match="refuses to run them for safety"):
        iter_weights(write(tmp_path, "evil.pt", data))
    assert not target.exists()


def test_truncated_and_corrupt_files(tmp_path):
    st = fx.safetensors_numpy_bytes({"w": W})
    npy = fx.npy_bytes(W)
    cases = {
        "cut.safetensors": st[:-10],
        "cut.npy": npy[:-10],
        "bad.npz": fx.npz_bytes({"w": W})[:-30],
    }
    for name, data in cases.items():
        path = write(tmp_path, name, data)
        with pytest.raises(qv.InputError) as eager:
            read_weights(path)
        with pytest.raises(qv.InputError) as lazy:
            list(iter_weights(path))
        assert str(lazy.value) == str(eager.value), name
    with pytest.raises(qv.InputError) as err:
        iter_weights(tmp_path / "cut.safetensors")
    assert str(err.value) == (
        "cut.safetensors is corrupt or truncated: tensor 'w' should end 768 bytes into the "
        "data, but the file holds only 758 bytes of data."
    )


def test_the_zip_guard_still_applies(tmp_path):
    data = bytearray(fx.npz_bytes({"w": W}))
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 8] |= 0x1  # the archive's table of contents says: encrypted
    path = write(tmp_path, "locked.npz", bytes(data))
    with pytest.raises(qv.InputError) as err:
        iter_weights(path)
    assert str(err.value) == "locked.npz contains encrypted entries, which quantviz cannot read."


def test_a_file_with_no_numeric_tensor(tmp_path):
    path = write(tmp_path, "s.npz", fx.npz_bytes({"c": np.array([1 + 2j])}))
    stream = iter_weights(path)
    with pytest.raises(qv.InputError) as err:
        list(stream)
    assert str(err.value) == (
        "s.npz contains no tensor quantviz can read: skipped c (complex numbers cannot be "
        "quantized)."
    )
