"""The readers' budgets: a file is refused from its headers before it expands, by one rule
for the page (``read_weights``) and the CLI (``iter_weights``) alike (issue 22, item 2)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from quantviz.errors import InputError
from quantviz.io import iter_weights, read_weights
from quantviz.io.zip_guard import EXPANSION_FLOOR, MAX_EXPANSION, expansion_limit
from tests import io_fixtures as fx
from tests.conftest import require_module

MB = 2**20


def deflated(archive: bytes) -> bytes:
    """The same ZIP archive with every entry deflated (what a zip bomb does)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def refusal(read, *args, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        result = read(*args, **kwargs)
        list(result) if not hasattr(result, "tensors") else None
    return str(err.value)


def test_the_expansion_rule():
    assert MAX_EXPANSION == 32 and EXPANSION_FLOOR == 16 * MB
    assert expansion_limit(10 * MB, compressed=False) == 10 * MB  # torch.save stores
    assert expansion_limit(10 * MB, compressed=True) == 320 * MB
    assert expansion_limit(1000, compressed=True) == 16 * MB


def test_a_pytorch_bomb_is_refused_by_the_page_and_the_cli_alike(tmp_path):
    torch = require_module("torch", "torch.save writes the checkpoint")
    # 24 MB of zeros in a checkpoint whose entries were deflated afterwards: ~25 KB.
    bomb = deflated(fx.torch_bytes({"w": torch.zeros(6 * MB)}))
    assert len(bomb) < 100_000
    path = tmp_path / "bomb.pt"
    path.write_bytes(bomb)
    tracemalloc.start()
    try:
        eager = refusal(read_weights, bomb, "bomb.pt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert eager == refusal(iter_weights, path)
    assert eager.startswith(
        "bomb.pt would expand to 24.0 MB when decompressed, more than its own 2"
    ) and eager.endswith(
        "torch.save stores tensors uncompressed, so this is not a checkpoint it wrote."
    )
    assert peak < 2 * MB, f"peak {peak} bytes: the tensors were decompressed"


def test_an_npz_bomb_is_refused_by_the_page_and_the_cli_alike(tmp_path):
    bomb = fx.npz_bytes({"w": np.zeros(25 * MB // 4, np.float32)}, compressed=True)  # 25 MB
    path = tmp_path / "bomb.npz"
    path.write_bytes(bomb)
    eager = refusal(read_weights, bomb, "bomb.npz")
    assert eager == refusal(iter_weights, path)
    assert "would expand to 25.0 MB when decompressed" in eager
    assert "quantviz reads archives that expand at most 32 times" in eager


def test_a_compressed_npz_of_real_weights_is_read():
    x = np.random.default_rng(0).normal(0, 0.02, size=(512, 512)).astype(np.float32)
    pruned = np.where(np.abs(x) > np.quantile(np.abs(x), 0.9), x, 0).astype(np.float32)
    data = fx.npz_bytes({"w": x, "pruned": pruned}, compressed=True)  # 1.1× and 7.7×
    weights = read_weights(data, "w.npz")
    np.testing.assert_array_equal(weights.tensors["pruned"], pruned)


BIG = 2_000_000  # values announced by each file below (8 MB as float32)


def announced(kind: str) -> tuple[bytes, str]:
    """A file announcing BIG values in its header, in each format a budget sees first."""
    x = np.ones(BIG, np.float32)
    if kind == "npy":
        return fx.npy_bytes(x), "w.npy"
    if kind == "npz":
        return fx.npz_bytes({"w": x}), "w.npz"
    if kind == "safetensors":
        return fx.safetensors_numpy_bytes({"w": x}), "w.safetensors"
    if kind == "gguf":
        return fx.gguf_bytes({"w": (x.reshape(625, 3200), "Q4_0")}), "w.gguf"  # 7× in float32
    if kind == "csv":
        return b"1\n" * BIG, "w.csv"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["npy", "npz", "safetensors", "gguf", "csv"])
def test_the_budget_hears_of_the_values_before_they_are_decoded(kind):
    if kind == "gguf":
        require_module("gguf", "gguf writes and dequantizes Q4_0")
    data, name = announced(kind)
    told: list[int] = []

    def budget(total: int) -> None:
        told.append(total)
        raise InputError("No memory is free for one more upload now.")

    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="No memory is free"):
            read_weights(data, name, budget=budget)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert told == [BIG] or (kind == "csv" and told[0] >= BIG)
    assert peak < len(data) + 2 * MB, f"{kind}: peak {peak} bytes, the values were decoded"


def test_tensor_names_up_to_1024_characters_are_read(tmp_path):
    x = np.ones((2, 2), np.float32)
    ok, long = "n" * 1024, "n" * 1025
    assert list(read_weights(fx.npz_bytes({ok: x}), "w.npz").tensors) == [ok]
    for data, name in [(fx.npz_bytes({long: x}), "w.npz"),
                       (fx.safetensors_numpy_bytes({long: x}), "w.safetensors")]:  # fmt: skip
        assert refusal(read_weights, data, name) == (
            f"{name} has a tensor name of 1,025 characters, longer than the 1,024 quantviz reads."
        )
        path = tmp_path / name
        path.write_bytes(data)
        assert refusal(iter_weights, path) == refusal(read_weights, data, name)
