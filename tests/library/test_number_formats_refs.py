"""NF4, binary, ternary and the GGML block formats against their references.

NF4's rule is written out again here (the codebook as literals, the decision by counting
midpoints below a value), the binary and ternary examples are worked by hand, and the
GGML formats are compared bit for bit with ``gguf.quants`` (a dependency of quantviz).
"""

from __future__ import annotations

import numpy as np
import pytest
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf.quants import dequantize, quantize
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantviz.errors import InputError
from quantviz.number_formats import codebooks as cb
from quantviz.number_formats import ggml as gg

F32 = np.float32

# bitsandbytes 0.50.2, functional.get_4bit_type("nf4"), copied by hand.
NF4_LITERALS = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]  # fmt: skip


def bits(a: np.ndarray) -> np.ndarray:
    """float32 values as their bit patterns, so ``==`` is bit-for-bit (NaN and −0 included)."""
    return np.ascontiguousarray(a, dtype=F32).view(np.uint32)


def nf4_reference(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bitsandbytes' quantize_4bit + dequantize_4bit (nf4), as the reference notes state it."""
    code = np.array(NF4_LITERALS, dtype=F32)
    mids = ((code[:-1] + code[1:]) / F32(2)).astype(F32)
    absmax = np.abs(rows).max(axis=1, keepdims=True).astype(F32)
    inv = F32(1) / np.maximum(absmax, F32(1e-38))
    scaled = np.clip((rows * inv).astype(F32), -1, 1)
    # bucketize(right=False): the number of midpoints strictly below the value
    idx = (mids[None, None, :] < scaled[:, :, None]).sum(axis=2)
    return idx, (code[idx] * absmax).astype(F32), absmax.reshape(-1)


# --------------------------------------------------------------------------- NF4 --


def test_nf4_codebook_is_bitsandbytes_table() -> None:
    assert cb.NF4_CODEBOOK.dtype == F32
    assert bits(cb.NF4_CODEBOOK).tolist() == bits(np.array(NF4_LITERALS, F32)).tolist()
    assert np.all(np.diff(cb.NF4_CODEBOOK) > 0)
    assert (cb.NF4_CODEBOOK < 0).sum() == 7 and (cb.NF4_CODEBOOK > 0).sum() == 8
    assert bits(cb.NF4.grid()).tolist() == bits(cb.NF4_CODEBOOK).tolist()


@pytest.mark.parametrize("block", [32, 64, 128, 4096])
def test_nf4_matches_the_reference_rule_on_random_rows(block: int) -> None:
    rng = np.random.default_rng(block)
    rows = (rng.standard_normal((40, block)) * rng.uniform(1e-3, 1e3, (40, 1))).astype(F32)
    enc = cb.nf4_encode(rows)
    idx, x_hat, absmax = nf4_reference(rows)
    assert enc.codes.tolist() == idx.tolist()
    assert bits(enc.dequantized).tolist() == bits(x_hat).tolist()
    assert bits(enc.scales).tolist() == bits(absmax).tolist()
    assert enc.scale_bits == 32 * 40


def test_nf4_value_on_a_midpoint_takes_the_lower_code() -> None:
    mid = F32(0.12025525)  # float32 midpoint of 0.0795803 (code 8) and 0.1609302 (code 9)
    above = np.nextafter(mid, F32(1))
    neg_mid = F32(-0.045525018)  # midpoint of −0.0910500 (code 6) and 0 (code 7)
    rows = np.array([[1.0, mid, above, neg_mid], [4.0, 4 * mid, 4 * above, 4 * neg_mid]], F32)
    enc = cb.nf4_encode(rows)
    assert enc.codes.tolist() == [[15, 8, 9, 6], [15, 8, 9, 6]]
    assert enc.dequantized[0, 1] == F32(0.07958029955625534)
    assert enc.dequantized[1, 1] == F32(4 * F32(0.07958029955625534))
    assert enc.dequantized[0, 3] == F32(-0.09105003625154495)


def test_nf4_zero_rows_stay_zero() -> None:
    rows = np.zeros((3, 64), F32)
    enc = cb.nf4_encode(rows)
    assert np.all(enc.codes == 7) and np.all(enc.dequantized == 0) and np.all(enc.scales == 0)


def test_nf4_one_huge_value_flushes_the_rest_to_zero() -> None:
    row = np.linspace(-1, 1, 64, dtype=F32)
    row[10] = F32(1e30)
    enc = cb.nf4_encode(row[None])
    assert enc.codes[0, 10] == 15 and enc.dequantized[0, 10] == F32(1e30)
    others = np.delete(enc.codes[0], 10)
    assert np.all(others == 7) and np.all(np.delete(enc.dequantized[0], 10) == 0)
    idx, x_hat, _ = nf4_reference(row[None])
    assert enc.codes.tolist() == idx.tolist()
    assert bits(enc.dequantized).tolist() == bits(x_hat).tolist()


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        F32,
        st.tuples(st.integers(1, 4), st.sampled_from([1, 2, 32, 64])),
        elements=st.floats(-1e6, 1e6, width=32),
    )
)
def test_nf4_reference_rule_property(rows: np.ndarray) -> None:
    enc = cb.nf4_encode(rows)
    idx, x_hat, _ = nf4_reference(rows)
    assert enc.codes.tolist() == idx.tolist()
    assert bits(enc.dequantized).tolist() == bits(x_hat).tolist()


def test_nf4_formats_metadata() -> None:
    assert (cb.NF4.name, cb.NF4.family, cb.NF4.element_bits) == ("nf4", "codebook", 4)
    assert cb.NF4.block_size is None and cb.NF4.default_block == 64
    assert cb.NF4.allowed_blocks == (32, 64, 128, 256, 512, 1024, 2048, 4096)
    assert cb.NF4_DOUBLE.name == "nf4_double" and cb.NF4_DOUBLE.default_block == 64


# ------------------------------------------------------------- NF4 double quant --


def test_dynamic_map_construction() -> None:
    m = cb.DYNAMIC_MAP
    assert m.dtype == F32 and m.size == 256 and np.all(np.diff(m) > 0)
    assert m[127] == 0 and m[255] == 1
    assert bits(m[128:255]).tolist() == bits(-m[126::-1]).tolist()  # ± pairs, 1 unpaired
    # the smallest magnitudes: 10^-6 · mean(0.1, 1), then 10^-5 · (0.325, 0.775)
    # (equal up to float32 rounding: the points and their means are float32 sums)
    assert np.allclose(m[128:131], [0.55e-6, 0.325e-5, 0.775e-5], rtol=1e-6, atol=0)
    # the largest: 1 − 0.9/64/2 (the last midpoint of 65 points from 0.1 to 1), then 1
    assert m[0] == F32(-0.99296875) and m[254] == F32(0.99296875)
    # as bitsandbytes 0.50.2's create_dynamic_map() printed them
    assert m[[0, 1, 2]].tolist() == [-0.992968738079071, -0.9789062738418579, -0.96484375]
    assert m[[128, 129, 130]].tolist() == [
        5.500000384017767e-07,
        3.250000190746505e-06,
        7.749999895168003e-06,
    ]


def test_double_quant_worked_example() -> None:
    # absmax 1 and 3: offset 2, absmax − offset = ±1, second-level scale c = 1;
    # −1 → the map's lowest entry −0.99296875, +1 → 1: the scales become 1.0070312 and 3.
    rows = np.array([[1.0, -0.5], [-3.0, 3.0]], F32)
    restored, q, offset = cb.double_quantize_absmax(np.array([1.0, 3.0], F32))
    assert offset == 2 and q.tolist() == [0, 255]
    assert restored.tolist() == [F32(F32(-0.99296875) + F32(2)), 3.0]
    enc = cb.nf4_double_encode(rows)
    assert enc.codes.tolist() == cb.nf4_encode(rows).codes.tolist()
    assert bits(enc.scales).tolist() == bits(restored).tolist()
    expected = cb.NF4_CODEBOOK[enc.codes] * restored[:, None]
    assert bits(enc.dequantized).tolist() == bits(expected).tolist()
    assert enc.scale_bits == 8 * 2 + 32 + 32


def double_quant_reference(absmax: np.ndarray, offset: F32) -> np.ndarray:
    """absmax' per bitsandbytes' default backend: blocks of 256 (a short last block divides)."""
    dyn = cb.DYNAMIC_MAP
    mids = ((dyn[:-1] + dyn[1:]) / F32(2)).astype(F32)
    a = (absmax - offset).astype(F32)
    out = []
    for start in range(0, a.size, 256):
        block = a[start : start + 256]
        c = np.abs(block).max()
        if block.size == 256:
            s = block * (F32(1) / max(c, F32(1e-38)))
        else:
            c = max(c, F32(1e-38))
            s = block / c
        s = np.clip(s.astype(F32), -1, 1)
        q = (mids[None, :] < s[:, None]).sum(axis=1)
        out.append((dyn[q] * c).astype(F32) + offset)
    return np.concatenate(out).astype(F32)


@pytest.mark.parametrize("n_rows", [1, 7, 256, 300, 700])
def test_double_quant_matches_reference_and_bounds(n_rows: int) -> None:
    rng = np.random.default_rng(n_rows)
    rows = (rng.standard_normal((n_rows, 64)) * rng.uniform(0.1, 3, (n_rows, 1))).astype(F32)
    rows[::5] = 0  # some zero blocks
    enc = cb.nf4_double_encode(rows)
    absmax = np.abs(rows).max(axis=1)
    offset = F32(np.mean(absmax.astype(np.float64)))
    assert bits(enc.scales).tolist() == bits(double_quant_reference(absmax, offset)).tolist()
    # the map's widest gap is 0.0140625 (and −1 → −0.99296875): |absmax' − absmax| ≤ 0.00703 c
    for start in range(0, n_rows, 256):
        sl = slice(start, start + 256)
        c = np.abs(absmax[sl] - offset).max()
        err = np.abs(enc.scales[sl].astype(np.float64) - absmax[sl])
        assert np.all(err <= 0.00704 * c + 4 * np.spacing(F32(absmax.max())))
    n_second = -(-n_rows // 256)
    assert enc.scale_bits == 8 * n_rows + 32 * n_second + 32


# ------------------------------------------------------------- binary, ternary --

EXAMPLE = np.array([[-2.0, -0.5, 0.0, 1.0, 3.0]], F32)


def test_binary_worked_example() -> None:
    enc = cb.binary_encode(EXAMPLE)  # α = mean|x| = 6.5 / 5 = 1.3; sign(0) = +1
    a = F32(1.3)
    assert enc.scales.tolist() == [a]
    assert enc.dequantized.tolist() == [[-a, -a, a, a, a]]
    assert enc.codes.tolist() == [[0, 0, 1, 1, 1]]
    assert enc.scale_bits == 32
    assert cb.BINARY.grid().tolist() == [-1.0, 1.0]


def test_binary_zero_row_and_negative_zero() -> None:
    enc = cb.binary_encode(np.array([[0.0, -0.0, 0.0], [-1.0, -0.0, 1.0]], F32))
    assert enc.scales.tolist() == [0.0, F32(2 / 3)]
    assert np.all(enc.dequantized[0] == 0)
    assert enc.codes.tolist() == [[1, 1, 1], [0, 1, 1]]  # −0.0 counts as ≥ 0


def test_ternary_worked_example() -> None:
    # mean|x| = 1.3, Δ = 0.91; kept |x|: 2, 1, 3 → α = 2
    enc = cb.ternary_encode(EXAMPLE)
    assert enc.scales.tolist() == [2.0]
    assert enc.dequantized.tolist() == [[-2.0, 0.0, 0.0, 2.0, 2.0]]
    assert enc.codes.tolist() == [[-1, 0, 0, 1, 1]]
    assert cb.TERNARY.grid().tolist() == [-1.0, 0.0, 1.0]


def test_ternary_small_cases() -> None:
    rows = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 1.0, -1.0], [0.0, 0.0, 0.0, 5.0]], F32)
    enc = cb.ternary_encode(rows)  # row 3: mean 1.25, Δ = 0.875, α = 5
    assert enc.scales.tolist() == [0.0, 1.0, 5.0]
    assert enc.dequantized.tolist() == [[0, 0, 0, 0], [1, -1, 1, -1], [0, 0, 0, 5]]
    assert enc.scale_bits == 3 * 32


rows_strategy = hnp.arrays(
    F32,
    st.tuples(st.integers(1, 3), st.integers(1, 40)),
    elements=st.floats(-1e4, 1e4, width=32),
)


@settings(max_examples=80, deadline=None)
@given(rows_strategy)
@example(np.array([[-1e-45, 0.0]], F32))  # α underflows to 0 in float32
def test_binary_properties(rows: np.ndarray) -> None:
    enc = cb.binary_encode(rows)
    alpha = np.abs(rows.astype(np.float64)).mean(axis=1)
    assert np.allclose(enc.scales, alpha, rtol=1e-6)
    assert np.all(np.abs(enc.dequantized) == enc.scales[:, None])
    assert np.array_equal(enc.codes == 1, rows >= 0)  # the sign lives in the code
    # and in x̂, unless α underflows to 0 (subnormal rows: mean|[-1e-45, 0]| rounds to 0)
    assert np.all(((enc.dequantized >= 0) == (rows >= 0)) | (enc.scales[:, None] == 0))
    # Σ(x − α·sign x)² = Σx² − n·α², so the error never exceeds the signal's energy,
    # and no value moves by more than max|x|
    x = rows.astype(np.float64)
    sq_err = ((x - enc.dequantized) ** 2).sum(axis=1)
    expected = (x**2).sum(axis=1) - x.shape[1] * alpha**2
    assert np.allclose(sq_err, expected, rtol=1e-4, atol=1e-6 * (x**2).sum(axis=1).max() + 1e-12)
    assert np.all(np.abs(x - enc.dequantized) <= np.abs(x).max(axis=1, keepdims=True) * 1.00001)


@settings(max_examples=80, deadline=None)
@given(rows_strategy)
def test_ternary_properties(rows: np.ndarray) -> None:
    enc = cb.ternary_encode(rows)
    alpha = enc.scales[:, None]
    assert set(np.unique(enc.codes)) <= {-1, 0, 1}
    assert np.all(enc.dequantized == enc.codes * alpha)  # only −α, 0 or α
    delta = F32(0.7) * np.abs(rows).astype(np.float64).mean(axis=1, keepdims=True).astype(F32)
    kept = np.abs(rows) > delta
    assert np.array_equal(enc.codes != 0, kept)
    assert np.all(enc.codes == np.sign(rows) * kept)
    for r in range(rows.shape[0]):
        if kept[r].any():
            mags = np.abs(rows[r][kept[r]]).astype(np.float64)
            assert np.isclose(enc.scales[r], mags.mean(), rtol=1e-6)
            assert mags.min() * (1 - 1e-6) <= enc.scales[r] <= mags.max() * (1 + 1e-6)
        else:
            assert enc.scales[r] == 0


# -------------------------------------------------------------------------- GGML --

NAMES = ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1"]


def gguf_round_trip(rows: np.ndarray, name: str) -> np.ndarray:
    qtype = GGMLQuantizationType[name.upper()]
    with np.errstate(all="ignore"):
        return dequantize(quantize(rows, qtype), qtype).reshape(rows.shape)


def from_codes(rows: np.ndarray, name: str) -> np.ndarray:
    """Each value rebuilt from the decoded d, m and codes (llama.cpp's dequantize formulas)."""
    blocks = gg.unpack(gg.pack(rows, name), name)
    d = blocks.d[:, None]
    q = blocks.codes.astype(F32)
    with np.errstate(all="ignore"):
        if name == "q8_0":
            return d * q
        if name == "q4_0":
            return d * (q - F32(8))
        if name == "q5_0":
            return d * (q - F32(16))
        return d * q + blocks.m[:, None]  # q4_1, q5_1


def block_cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    normal = rng.standard_normal((64, 32)).astype(F32)
    return {
        "random": normal * rng.uniform(1e-3, 1e3, (64, 1)).astype(F32),
        "positive": np.abs(normal) + F32(0.5),
        "zeros": np.zeros((4, 32), F32),
        "tiny": normal[:8] * F32(1e-30),
        "huge": normal[:8] * F32(1e30),
        "one value": np.eye(32, dtype=F32)[:4] * F32(-3),
    }


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", list(block_cases()))
def test_ggml_equals_gguf_bit_for_bit(name: str, case: str) -> None:
    rows = block_cases()[case]
    fmt = getattr(gg, name.upper())
    enc = fmt.encode(rows)
    assert enc.dequantized.dtype == F32 and enc.dequantized.shape == rows.shape
    assert bits(enc.dequantized).tolist() == bits(gguf_round_trip(rows, name)).tolist()
    assert bits(from_codes(rows, name)).tolist() == bits(enc.dequantized).tolist()
    assert bits(enc.scales).tolist() == bits(gg.unpack(gg.pack(rows, name), name).d).tolist()
    assert enc.scale_bits == (32 if name.endswith("_1") else 16) * rows.shape[0]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    rows=hnp.arrays(
        F32, st.tuples(st.integers(1, 4), st.just(32)), elements=st.floats(-1e5, 1e5, width=32)
    ),
)
def test_ggml_equals_gguf_property(name: str, rows: np.ndarray) -> None:
    enc = getattr(gg, name.upper()).encode(rows)
    assert bits(enc.dequantized).tolist() == bits(gguf_round_trip(rows, name)).tolist()
    assert bits(from_codes(rows, name)).tolist() == bits(enc.dequantized).tolist()


def reference_vector() -> np.ndarray:
    x = np.arange(32) * 0.1 - 1.3  # x_j = 0.1 j − 1.3, with x_5 = 0
    x[5] = 0
    return x.astype(F32)[None]


def test_q4_0_reference_note_case() -> None:
    x = reference_vector()
    enc = gg.Q4_0.encode(x)
    # d = M / −8 with M = 1.8 (the largest magnitude is positive), stored as fp16(−0.225)
    assert enc.scales.tolist() == [-0.2249755859375]
    assert enc.codes[0, :8].tolist() == [14, 13, 13, 12, 12, 8, 11, 11]
    raw = gg.pack(x, "q4_0")
    assert raw.shape == (1, 18)
    assert raw[0, :2].view("<f2")[0] == np.float16(-0.225)
    low = (raw[0, 2:10] & 0x0F).tolist()  # element j in the low nibble of byte j
    assert low == [14, 13, 13, 12, 12, 8, 11, 11]
    assert (raw[0, 2:18] >> 4).tolist() == enc.codes[0, 16:].tolist()  # j + 16: high nibble
    assert enc.codes[0, 31] == 0  # 1.8 is the largest magnitude: code 0, value −8 · d
    assert enc.dequantized[0, 31] == F32(-8) * F32(-0.2249755859375)


def test_q8_0_reference_note_case() -> None:
    x = reference_vector()
    enc = gg.Q8_0.encode(x)
    d = F32(np.float16(F32(1.8) / F32(127)))
    assert enc.scales.tolist() == [d]
    assert enc.codes.dtype == np.int8 and enc.codes[0, 31] == 127 and enc.codes[0, 5] == 0
    assert np.abs(enc.dequantized - x).max() < 0.0073  # the reference note's 0.00723


def test_q5_codes_use_the_fifth_bit() -> None:
    rows = block_cases()["random"]
    for name, fmt in (("q5_0", gg.Q5_0), ("q5_1", gg.Q5_1)):
        codes = fmt.encode(rows).codes
        assert codes.min() >= 0 and codes.max() <= 31 and (codes >= 16).any()
        raw = gg.pack(rows, name)
        qh = raw[:, -20:-16].copy().view("<u4")[:, 0]  # the uint32 of 5th bits
        fifth = (qh[:, None] >> np.arange(32, dtype=np.uint32)) & 1
        assert np.array_equal(fifth, codes >> 4)


@pytest.mark.parametrize("name", NAMES)
def test_ggml_metadata_and_bits_per_weight(name: str) -> None:
    fmt = getattr(gg, name.upper())
    assert (fmt.name, fmt.family, fmt.block_size, fmt.default_block) == (name, "ggml", 32, 32)
    assert fmt.allowed_blocks == (32,)
    block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType[name.upper()]]
    enc = fmt.encode(np.ones((3, 32), F32))
    assert fmt.element_bits + enc.scale_bits / (3 * block) == type_size * 8 / block
    assert gg.TYPES[name].type_size == type_size


def test_ggml_grids() -> None:
    assert gg.Q8_0.grid().tolist() == list(range(-128, 128))
    assert gg.Q4_0.grid().tolist() == list(range(-8, 8))
    assert gg.Q4_1.grid().tolist() == list(range(16))
    assert gg.Q5_0.grid().tolist() == list(range(-16, 16))
    assert gg.Q5_1.grid().tolist() == list(range(32))


# -------------------------------------------------------------------- bad input --


@pytest.mark.parametrize(
    "encode",
    [cb.nf4_encode, cb.nf4_double_encode, cb.binary_encode, cb.ternary_encode, gg.Q4_0.encode],
)
@pytest.mark.parametrize(
    "rows",
    [np.zeros(32, F32), np.zeros((0, 32), F32), np.full((1, 32), np.nan, F32)],
    ids=["1-D", "no rows", "NaN"],
)
def test_bad_rows_raise_input_error(encode, rows: np.ndarray) -> None:
    with pytest.raises(InputError):
        encode(rows)


def test_ggml_bad_requests() -> None:
    with pytest.raises(InputError, match="blocks of 32"):
        gg.Q8_0.encode(np.zeros((2, 16), F32))
    with pytest.raises(InputError, match="must be one of"):
        gg.pack(np.zeros((1, 32), F32), "q3_k")
    with pytest.raises(InputError, match="18 bytes"):
        gg.unpack(np.zeros((1, 20), np.uint8), "q4_0")
