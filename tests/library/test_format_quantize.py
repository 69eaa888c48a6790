"""``qv.quantize(x, format=...)``: one entry for the integer grid and every number format;
each format's levels per block, what it clips, its sizes; and how settings are fitted to it."""

import numpy as np
import pytest

import quantviz as qv

F32 = np.float32
FP4 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def test_format_int_is_the_integer_grid_and_bits_default_to_8():
    r = qv.quantize([-1.0, 0.5, 2.0])
    assert isinstance(r, qv.QuantResult) and r.bits == 8 and r.codes.tolist() == [0, 127, 255]
    assert qv.quantize([-1.0, 0.5, 2.0], format="int", bits=4).qmax == 15


def test_a_format_gives_its_result_with_the_same_metric_keys():
    x = qv.sample("normal", n=4096, seed=1).reshape(64, 64)
    r = qv.quantize(x, format="nf4")
    assert isinstance(r, qv.FormatResult) and r.format.name == "nf4" and r.bits == 4
    for key in ("mse", "sqnr_db", "max_abs_error", "clipped_fraction", "levels_used",
                "bits_per_weight", "size_bytes", "float32_bytes", "compression_ratio"):  # fmt: skip
        assert key in r.metrics
    # 4 bits per value + a float32 absmax per 64 values = 4.5 bits; 4096 values → 2304 bytes
    assert r.metrics["bits_per_weight"] == 4.5 and r.metrics["size_bytes"] == 2304.0
    assert r.metrics["float32_bytes"] == 16384.0 and r.metrics["compression_ratio"] == 32 / 4.5


def test_mxfp4_clips_a_block_whose_amax_is_past_six_times_its_power_of_two():
    # amax 7: the E8M0 scale is 2^(floor(log2 7) − 2) = 1, so 7 saturates to FP4's 6
    x = np.array([7.0, 1.0, -2.5, 0.2] + [0.0] * 28, F32)
    r = qv.quantize(x, format="mxfp4")
    assert r.scales.tolist() == [1.0]
    assert r.dequantized[:4].tolist() == [6.0, 1.0, -2.0, 0.0]  # −2.5: tie to even (2.0)
    assert r.clipped[:4].tolist() == [True, False, False, False]
    assert r.metrics["clipped_count"] == 1
    assert r.levels(0).tolist() == sorted({-v for v in FP4} | set(FP4))


def test_q4_0_clips_on_the_side_opposite_its_largest_magnitude():
    # M = −1 (largest magnitude): d = M/−8 = 0.125, levels −8d … 7d = −1 … 0.875
    x = np.zeros(32, F32)
    x[0], x[1] = -1.0, 0.95
    r = qv.quantize(x, format="q4_0")
    assert r.scales.tolist() == [0.125]
    assert r.levels(0)[[0, -1]].tolist() == [-1.0, 0.875]
    assert r.dequantized[:2].tolist() == [-1.0, 0.875]
    assert np.flatnonzero(r.clipped).tolist() == [1]


def test_q4_1_levels_are_d_times_code_plus_its_minimum():
    x = np.linspace(1.0, 16.0, 32, dtype=F32)  # min 1, max 16: d = 15/15 = 1, m = 1
    r = qv.quantize(x, format="q4_1")
    assert r.offsets.tolist() == [1.0] and r.levels(0).tolist() == list(range(1, 17))
    assert not r.clipped.any()


def test_nvfp4_levels_are_grid_times_block_scale_times_tensor_scale():
    # tensor amax 6: t = 6/2688; block 2 (amax 0.6) gets b = 44, so its top level is
    # 6 · 44 · t = 0.5892857… and 0.6 is clipped to it
    x = np.zeros(32, F32)
    x[0], x[16] = 6.0, 0.6
    r = qv.quantize(x, format="nvfp4")
    assert r.levels(1)[-1] == pytest.approx(0.5892857, rel=1e-6)
    assert r.levels(0)[-1] == pytest.approx(6.0, rel=1e-6)
    assert np.flatnonzero(r.clipped).tolist() == [16]
    for block in (0, 1):  # every stored value is one of its block's levels, exactly
        assert np.isin(r.dequantized[16 * block : 16 * block + 16], r.levels(block)).all()


@pytest.mark.parametrize("name", [f.name for f in qv.formats()])
def test_every_value_is_a_level_of_its_block(name):
    x = qv.sample("laplace", n=8192, seed=3).reshape(64, 128)
    r = qv.quantize(x, format=name)
    per_block = r.dequantized.reshape(r.n_blocks, -1)
    for i in (0, r.n_blocks // 2, r.n_blocks - 1):
        assert np.isin(per_block[i], r.levels(i if r.n_blocks > 1 else None)).all()


def test_float_formats_scaled_to_their_amax_clip_nothing():
    x = qv.sample("student_t", n=4096, seed=2)
    for name in ("fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp4_e2m1", "nf4"):
        assert qv.quantize(x, format=name).metrics["clipped_count"] == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"format": "nf4", "bits": 8}, "nf4 stores 4-bit elements; leave bits out (got bits=8)."),
        ({"format": "mxfp4", "strategy": "mse"},
         "mxfp4 takes its scale from each block's largest |value|, so strategy does not apply;"
         " give only granularity, axis and group_size."),
        ({"format": "q8_0", "granularity": "tensor"},
         "q8_0 stores blocks of 32 consecutive values; it takes no other granularity or group "
         "size."),
        ({"format": "fp9"}, "format must be one of fp8_e4m3, fp8_e5m2, fp6_e2m3, fp6_e3m2, "
         "fp4_e2m1, mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8, nvfp4, nf4, "
         "nf4_double, binary, ternary, q8_0, q4_0, q4_1, q5_0, q5_1; not 'fp9'."),
    ],
)  # fmt: skip
def test_settings_a_format_does_not_take_are_refused_in_one_sentence(kwargs, message):
    with pytest.raises(qv.InputError) as err:
        qv.quantize(np.ones((4, 32), F32), **kwargs)
    assert str(err.value) == message


def test_bits_equal_to_the_element_bits_are_accepted():
    assert qv.quantize(np.ones(32, F32), format="q4_0", bits=4).bits == 4


def test_levels_need_a_block_index_when_there_are_blocks():
    r = qv.quantize(np.ones((2, 32), F32), format="mxfp4")
    with pytest.raises(qv.InputError, match="2 blocks"):
        r.levels()
    with pytest.raises(qv.InputError, match="0 to 1"):
        r.levels(2)


def test_fitting_a_block_format_takes_its_blocks_and_drops_grid_settings():
    kw, changes = qv.fit_settings((8, 64), format="q4_0", bits=4, strategy="mse",
                                  granularity="channel", axis=1)  # fmt: skip
    assert kw == {"format": "q4_0", "granularity": "group", "group_size": 32}
    assert [(c.setting, c.was, c.now, c.reason) for c in changes] == [
        ("strategy", "mse", "minmax", "format_decides"),
        ("granularity", "channel", "group", "format_blocks"),
    ]


def test_fitting_nf4_takes_the_nearest_allowed_block_below():
    kw, changes = qv.fit_settings((8, 64), format="nf4", granularity="group", group_size=100)
    assert kw == {"format": "nf4", "granularity": "group", "group_size": 64}
    assert changes[0].message == (
        "nf4 takes blocks of 32, 64, 128, 256, 512, 1024, 2048, 4096 values; using 64."
    )


def test_fitting_an_element_float_follows_the_grid_rules():
    kw, changes = qv.fit_settings((64,), format="fp8_e4m3", granularity="channel")
    assert kw == {"format": "fp8_e4m3", "granularity": "tensor"}
    assert [c.reason for c in changes] == ["needs_rows"]


# ---------------------------------------------------------------- one block, opened --

from quantviz.number_formats.block import open_block, worst_block  # noqa: E402


def test_an_mxfp4_block_opened_shows_its_e8m0_scale_codes_and_elements():
    x = np.array([7.0, 1.0, -2.5, 0.2] + [0.0] * 28, F32)
    b = open_block(qv.quantize(x, format="mxfp4"), x, 0)
    (scale,) = b.scales
    assert (scale.encoding, scale.value, scale.bit_string) == ("e8m0", 1.0, "01111111")  # 2^0
    # E2M1 bit patterns: 6.0 = 0 11 1, 1.0 = 0 01 0, −2.0 = 1 10 0, 0.0 = 0 00 0
    assert [b.code_string(i) for i in range(4)] == ["0111", "0010", "1100", "0000"]
    assert b.elements[:4].tolist() == [6.0, 1.0, -2.0, 0.0]
    assert b.scaled[:4].tolist() == [7.0, 1.0, -2.5, pytest.approx(0.2)]
    assert b.clipped[:4].tolist() == [True, False, False, False]


def test_a_q4_1_block_stores_an_fp16_scale_and_minimum():
    x = np.linspace(1.0, 16.0, 32, dtype=F32)
    b = open_block(qv.quantize(x, format="q4_1"), x, 0)
    assert [(s.role, s.encoding, s.value) for s in b.scales] == [
        ("scale", "fp16", 1.0), ("minimum", "fp16", 1.0),
    ]  # fmt: skip
    assert b.scales[0].bit_string == "0011110000000000"  # fp16 1.0
    assert b.codes[[0, -1]].tolist() == [0, 15] and b.elements[[0, -1]].tolist() == [0.0, 15.0]


def test_a_q8_0_code_is_its_int8_in_twos_complement():
    x = np.zeros(32, F32)
    x[0], x[1] = -1.0, 0.5  # d = 1/127: −1 → −127 = 0b10000001, 0.5 → 64 (63.5 rounds away)
    b = open_block(qv.quantize(x, format="q8_0"), x, 0)
    assert b.code_string(0) == "10000001" and b.elements[0] == -127.0
    assert b.code_string(1) == "01000000" and b.elements[1] == 64.0


def test_nf4_s_short_last_block_opens_without_its_padding():
    x = qv.sample("normal", n=100, seed=0)  # blocks of 64: the second holds 36 values
    r = qv.quantize(x, format="nf4")
    assert r.n_blocks == 2 and open_block(r, x, 1).values.size == 36
    np.testing.assert_array_equal(open_block(r, x, 1).values, x[64:])


def test_the_worst_block_has_the_largest_squared_error():
    x = np.zeros((2, 32), F32)
    x[0, :] = 0.01
    x[1, 0], x[1, 1] = 1.0, 0.3  # a coarse block: 0.3 lands between FP4 levels
    r = qv.quantize(x, format="mxfp4")
    assert worst_block(r, x) == 1
    with pytest.raises(qv.InputError, match=r"Block index must be 0 to 1; not 2\."):
        open_block(r, x, 2)


def test_a_tensor_too_tiny_for_nvfp4_s_tensor_scale_is_stored_as_zeros():
    # amax 1.4e-45 (the smallest float32): amax / 2688 underflows to 0, so no scale exists
    x = np.full((1, 32), 1e-45, F32)
    r = qv.quantize(x, format="nvfp4")
    assert not r.dequantized.any() and r.tensor_scale == 0.0


# ------------------------------------------- FP4's cast, counted instead of ml_dtypes' --

import ml_dtypes  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from quantviz.number_formats.floats import stored  # noqa: E402


def _near_every_tie() -> np.ndarray:
    """E2M1's midpoints and levels, each with its three float32 neighbours either side, ±."""
    out = []
    for m in (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0):
        below = above = F32(m)
        out.append(below)
        for _ in range(3):
            below = np.nextafter(below, F32(-np.inf), dtype=F32)
            above = np.nextafter(above, F32(np.inf), dtype=F32)
            out += [below, above]
    x = np.array([*out, 0.0, 1e-45, 6.5, 7.0, 1e30, np.inf], F32)
    return np.concatenate([x, -x])


def test_fp4_rounds_every_tie_and_saturates_as_ml_dtypes():
    x = _near_every_tie()
    expected = x.astype(ml_dtypes.float4_e2m1fn).view(np.uint8)  # the reference cast
    np.testing.assert_array_equal(stored(x, "e2m1").view(np.uint8), expected)
    # by hand: 0.25 → 0 and 0.75 → 1 (ties to the even mantissa), 5 → 4, 7 → 6, −0.1 → −0
    hand = np.array([0.25, 0.75, 5.0, 7.0, -0.1], F32)
    assert stored(hand, "e2m1").astype(F32).tolist() == [0.0, 1.0, 4.0, 6.0, -0.0]
    assert np.signbit(stored(hand, "e2m1").astype(F32))[-1]


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(F32, st.integers(1, 300), elements=st.floats(-20, 20, width=32)))
def test_fp4_s_counted_cast_is_ml_dtypes_cast(x):
    expected = x.astype(ml_dtypes.float4_e2m1fn).view(np.uint8)
    np.testing.assert_array_equal(stored(x, "e2m1").view(np.uint8), expected)
