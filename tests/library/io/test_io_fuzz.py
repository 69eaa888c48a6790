"""Fuzzing the weight-file readers: hostile bytes may only ever raise InputError.

For every format, hypothesis feeds ``load_weights``

* random bytes, with and without the format's magic bytes in front, and
* a valid file (written by the format's own library) after random mutations:
  bit flips, truncation, inserted and deleted bytes, and "interesting" integers
  (0, 2**31, 2**63...) written over length and count fields.

Each case must end with a result or an ``InputError`` (any other exception is a
bug) within one second, and the error must be one plain sentence that names the
file: no raw 19-digit byte counts, no Python exception names.

The number of examples per test is ``QUANTVIZ_FUZZ_EXAMPLES`` (default 150);
examples are derandomized, so a run is reproducible. For a long recorded run::

    QUANTVIZ_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/test_io_fuzz.py -q -s

prints the slowest case per format (see docs/FORMATS.md, "Fuzzing").
"""

from __future__ import annotations

import os
import re
import struct
import time
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantviz.errors import InputError
from quantviz.io import load_weights
from tests import io_fixtures as fx
from tests.conftest import require_module

# PyTorch warns about pickles of unusual protocols; the fuzzer writes many of them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")

EXAMPLES = int(os.environ.get("QUANTVIZ_FUZZ_EXAMPLES", "150"))
TIME_LIMIT = (
    5.0  # seconds per case: a guard against hangs (a loop on a bad header), not a speed test
)

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timing is asserted inside the test, per case
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seed_files() -> dict[str, tuple[str, Callable[[], bytes], str | None]]:
    """format -> (file name, maker of a valid file, module the maker needs)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 32)).astype(np.float32)

    def torch_state_dict() -> dict:
        import torch

        return {
            "layer": {"weight": torch.from_numpy(a), "bias": torch.ones(4, dtype=torch.bfloat16)},
            "ids": torch.arange(3),
        }

    return {
        "npy": ("w.npy", lambda: fx.npy_bytes(a), None),
        "npz": ("w.npz", lambda: fx.npz_bytes({"a": a, "i": np.arange(3)}, compressed=True), None),
        "csv": (
            "w.csv",
            lambda: fx.csv_bytes(a[:3, :5].astype(np.float64), header="a,b,c,d,e"),
            None,
        ),
        "safetensors": (
            "w.safetensors",
            lambda: fx.safetensors_numpy_bytes({"a": a, "h": a[0].astype(np.float16)}),
            "safetensors",
        ),
        "pt": ("w.pt", lambda: fx.torch_bytes(torch_state_dict()), "torch"),
        "pt-legacy": ("w.pth", lambda: fx.torch_bytes(torch_state_dict(), legacy=True), "torch"),
        "onnx": ("w.onnx", lambda: fx.onnx_bytes({"a": a, "i": np.arange(3)}), "onnx"),
        "gguf": (
            "w.gguf",
            lambda: fx.gguf_bytes({"a": (a, "F32"), "h": (a, "F16"), "q": (a, "Q8_0")}),
            "gguf",
        ),
    }


SEEDS = _seed_files()
FORMATS = sorted(SEEDS)
_cache: dict[str, bytes] = {}


def seed(fmt: str) -> tuple[str, bytes]:
    """The valid file of ``fmt`` (skips when its library is missing)."""
    name, make, module = SEEDS[fmt]
    if module is not None:
        require_module(module, f"the {fmt} fuzz seed is written with {module}")
    if fmt not in _cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cache[fmt] = make()
        load_weights(_cache[fmt], name)  # warm-up: imports the library outside the timing
    return name, _cache[fmt]


#: Signs of a message written for a programmer, not a student: a number of ten or more
#: digits (a raw byte count or offset), or the name of a Python exception.
UNREADABLE = re.compile(r"\d{10,}|\b\w*(Error|Exception)\b|BadZipFile")


def assert_plain(message: str, name: str) -> None:
    """One sentence that names the file, without raw counts or exception names."""
    assert name in message, message
    assert "\n" not in message and message.endswith("."), message
    own_words = re.sub(r"'[^']*'|\"[^\"]*\"", "", message)  # quoted text is the file's, not ours
    assert not UNREADABLE.search(own_words.replace(",", "")), message


def check(data: bytes, name: str, fmt: str, label: str) -> None:
    """Load ``data``: a result or an InputError naming the file, within the time limit."""
    start = time.perf_counter()
    try:
        result = load_weights(data, name)
    except InputError as err:
        assert_plain(str(err), name)
    else:
        assert result and all(isinstance(k, str) for k in result)
        assert all(isinstance(v, np.ndarray) for v in result.values())
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_LIMIT, f"{fmt} {label}: {elapsed:.2f} s for {len(data)} bytes"


# --- mutations ------------------------------------------------------------------------------

INTERESTING = [
    0,
    1,
    0x7F,
    0xFF,
    0x7FFF,
    0xFFFF,
    2**31 - 1,
    2**31,
    2**32 - 1,
    2**62,
    2**63,
    2**64 - 1,
]

position = st.integers(min_value=0, max_value=2**32)
mutation = st.one_of(
    st.tuples(st.just("flip"), position, st.integers(0, 7)),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=32)),
    st.tuples(st.just("delete"), position, st.integers(1, 32)),
    st.tuples(st.just("integer"), position, st.sampled_from(INTERESTING), st.sampled_from([4, 8])),
)


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    """Apply mutation operations (positions are taken modulo the current length)."""
    buf = bytearray(data)
    for op in ops:
        pos = op[1] % (len(buf) + 1)
        if op[0] == "flip" and pos < len(buf):
            buf[pos] ^= 1 << op[2]
        elif op[0] == "truncate":
            del buf[pos:]
        elif op[0] == "insert":
            buf[pos:pos] = op[2]
        elif op[0] == "delete":
            del buf[pos : pos + op[2]]
        elif op[0] == "integer":
            value, width = op[2], op[3]
            packed = (
                struct.pack("<Q", value)[:width]
                if width == 8
                else struct.pack("<I", value & 0xFFFFFFFF)
            )
            buf[pos : pos + width] = packed
    return bytes(buf)


MAGIC = {
    "npy": b"\x93NUMPY\x01\x00",
    "npz": b"PK\x03\x04",
    "csv": b"",
    "safetensors": b"",
    "pt": b"PK\x03\x04",
    "pt-legacy": b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19",
    "onnx": b"\x08\x07",
    "gguf": b"GGUF\x03\x00\x00\x00",
}


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ_SETTINGS
@given(body=st.binary(max_size=4096), with_magic=st.booleans())
def test_random_bytes(fmt, body, with_magic):
    name, _ = seed(fmt)
    data = (MAGIC[fmt] + body) if with_magic else body
    check(data, name, fmt, "random")


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ_SETTINGS
@given(ops=st.lists(mutation, min_size=1, max_size=8))
def test_mutated_valid_file(fmt, ops):
    name, valid = seed(fmt)
    check(mutate(valid, ops), name, fmt, "mutated")


# --- structured fuzzing: well-formed containers with hostile headers --------------------------

DIM = st.one_of(
    st.integers(0, 4), st.sampled_from([7, 32, 255, 2**16, 2**31, 2**32, 2**62, 2**63, 10**30])
)


@FUZZ_SETTINGS
@given(
    tensors=st.dictionaries(
        st.text(max_size=8),
        st.fixed_dictionaries(
            {
                "dtype": st.sampled_from(
                    ["F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "C64", "F8_E4M3", "F4", "X"]
                ),
                "shape": st.lists(DIM, max_size=4) | st.lists(st.integers(0, 1), max_size=70),
                "data_offsets": st.lists(st.integers(-1, 80) | DIM, min_size=0, max_size=3),
            }
        ),
        max_size=4,
    ),
    body=st.binary(max_size=80),
)
def test_safetensors_headers(tensors, body):
    import json

    header = json.dumps(tensors).encode()
    check(struct.pack("<Q", len(header)) + header + body, "h.safetensors", "safetensors", "header")


KV_VALUE = st.tuples(st.integers(0, 13), st.binary(max_size=24))
TENSOR_INFO = st.tuples(
    st.binary(max_size=6),
    st.lists(DIM, max_size=5),
    st.sampled_from([0, 1, 2, 8, 12, 14, 16, 24, 26, 28, 30, 39, 41, 99, 2**31]),
    st.sampled_from([0, 32, 64, 3, 2**40, 2**64 - 32]),
)


@FUZZ_SETTINGS
@given(
    version=st.sampled_from([1, 2, 3, 4, 3 << 24]),
    kvs=st.lists(st.tuples(st.binary(max_size=20), KV_VALUE), max_size=4),
    infos=st.lists(TENSOR_INFO, max_size=4),
    body=st.binary(max_size=300),
)
def test_gguf_headers(version, kvs, infos, body):
    data = b"GGUF" + struct.pack("<IQQ", version, len(infos), len(kvs))
    for key, (value_type, payload) in kvs:
        data += struct.pack("<Q", len(key)) + key + struct.pack("<I", value_type) + payload
    for name, dims, ggml_type, offset in infos:
        data += struct.pack("<Q", len(name)) + name + struct.pack("<I", len(dims))
        data += b"".join(struct.pack("<Q", d % 2**64) for d in dims)
        data += struct.pack("<IQ", ggml_type % 2**32, offset)
    data += b"\0" * (-len(data) % 32) + body
    check(data, "h.gguf", "gguf", "header")


@FUZZ_SETTINGS
@given(
    descr=st.sampled_from(
        [
            "<f4",
            ">f2",
            "<f8",
            "|b1",
            "<i8",
            "|O",
            "<c8",
            "<U3",
            "|V8",
            "<M8[s]",
            "[('a', '<f4')]",
            "?",
        ]
    ),
    shape=st.lists(DIM, max_size=4).map(tuple) | st.text(max_size=6),
    fortran=st.booleans(),
    body=st.binary(max_size=64),
)
def test_npy_headers(descr, shape, fortran, body):
    header = f"{{'descr': {descr if descr.startswith('[') else repr(descr)}, "
    header += f"'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    raw = header.encode("utf-8")
    raw += b" " * (-(10 + len(raw) + 1) % 64) + b"\n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + body
    check(data, "h.npy", "npy", "header")


@pytest.mark.parametrize("fmt", ["pt"])
@FUZZ_SETTINGS
@given(ops=st.lists(mutation, min_size=1, max_size=6))
def test_torch_mutated_pickle_in_valid_zip(fmt, ops):
    """Mutate only data.pkl and rebuild a valid ZIP, to reach the unpickler itself."""
    import io
    import zipfile

    name, valid = seed(fmt)
    entries = {}
    with zipfile.ZipFile(io.BytesIO(valid)) as zf:
        for info in zf.infolist():
            entries[info.filename] = zf.read(info)
    pkl = next(n for n in entries if n.endswith("data.pkl"))
    entries[pkl] = mutate(entries[pkl], ops)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for entry, content in entries.items():
            zf.writestr(entry, content)
    check(out.getvalue(), name, fmt, "pickle")


@FUZZ_SETTINGS
@given(
    data_type=st.integers(0, 26),
    dims=st.lists(DIM | st.integers(-3, -1), max_size=4),
    raw=st.binary(max_size=64),
    floats=st.lists(st.floats(width=32), max_size=8),
    external=st.booleans(),
)
def test_onnx_initializers(data_type, dims, raw, floats, external):
    require_module("onnx", "the ONNX fuzz models are built with onnx")
    from onnx import TensorProto, helper

    tensor = TensorProto(name="t", data_type=data_type)
    tensor.dims.extend([d % 2**63 if d >= 0 else d for d in dims])
    if raw:
        tensor.raw_data = raw
    else:
        tensor.float_data.extend(floats)
    if external:
        tensor.data_location = TensorProto.EXTERNAL
    graph = helper.make_graph([], "g", [], [], initializer=[tensor])
    check(helper.make_model(graph).SerializeToString(), "h.onnx", "onnx", "initializer")
