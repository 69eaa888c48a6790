"""The counts behind the pictures: exact, and honest about the bit width."""

from __future__ import annotations

import numpy as np
import pytest

import quantviz as qv
from quantviz import counts


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return qv.sample("laplace", n=50_000, seed=3)


def test_the_original_histogram_never_depends_on_the_bit_width(x):
    edges = counts.histogram_edges(float(x.min()), float(x.max()))
    assert len(edges) == counts.VALUE_BINS + 3
    first = counts.value_histogram(x, edges)
    assert first.total == x.size  # the padded bins hold every value
    # nothing about the quantization enters: the same counts whatever the grid
    again = counts.value_histogram(x, edges)
    assert np.array_equal(first.counts, again.counts)


def test_a_constant_tensor_still_gets_bins():
    edges = counts.histogram_edges(2.0, 2.0)
    assert edges[0] < 2.0 < edges[-1]
    assert counts.value_histogram(np.full(7, 2.0, np.float32), edges).total == 7


def test_level_counts_hold_every_value_on_its_level():
    # 2 bits, asymmetric min-max on [0, 3]: s = 1, levels 0, 1, 2, 3
    r = qv.quantize(np.float32([0.0, 0.4, 0.6, 1.4, 2.6, 3.0, 3.0]), bits=2)
    lc = counts.level_counts(r)
    assert lc.levels.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert lc.counts.tolist() == [2, 2, 0, 3]
    assert lc.used.tolist() == [True, True, False, True]


def test_quantized_histogram_on_bins_is_the_level_counts(x):
    r = qv.quantize(x, bits=10)
    edges = counts.histogram_edges(float(x.min()), float(x.max()))
    q = counts.quantized_histogram(r, edges)
    assert q.total == x.size
    direct, _ = np.histogram(r.dequantized, bins=edges)
    assert np.array_equal(q.counts, direct)


def test_closeup_is_centred_on_the_busiest_level_with_whole_cells(x):
    r = qv.quantize(x, bits=6)
    c = counts.closeup(x, r, steps=9, bins_per_step=8)
    s = float(r.scale)
    assert len(c.levels) == 9 and c.original.counts.size == 72
    assert c.counts[4] == r.code_counts.max()  # the busiest level in the middle
    assert c.original.edges[0] == pytest.approx(c.levels[0] - s / 2)
    assert c.original.edges[-1] == pytest.approx(c.levels[-1] + s / 2)
    # every value of a cell rounds to its level: bars of a cell add up to its spike
    cells = c.original.counts.reshape(9, 8).sum(axis=1)
    assert np.abs(cells - c.counts).max() <= 2  # ties on the cell edges only


def test_error_histogram_splits_rounding_from_clipping():
    x = np.float32([-3.0, -0.2, 0.1, 0.5, 0.9, 4.0])
    r = qv.quantize(x, bits=2, strategy="manual", low=-1.0, high=1.0)
    e = counts.error_histogram(x, r, bins=10)
    assert e.clipping.sum() == 2  # -3 and 4 fall beyond the grid
    assert e.rounding.sum() == 4
    assert e.edges[0] == -e.edges[-1]


def test_staircase_corners_are_the_cell_edges():
    # 2 bits on [0, 3]: s = 1, z = 0; levels 0..3, cell edges at 0.5, 1.5, 2.5
    r = qv.quantize(np.float32([0.0, 3.0]), bits=2)
    xs, ys = counts.staircase(r, -1.0, 4.0)
    assert xs.tolist() == [-1.0, 0.5, 1.5, 2.5, 4.0]
    assert ys.tolist() == [0.0, 1.0, 2.0, 3.0, 3.0]
    xs, ys = counts.staircase(r, 1.0, 2.0)  # inside one cell and its neighbour
    assert xs.tolist() == [1.0, 1.5, 2.0] and ys.tolist() == [1.0, 2.0, 2.0]


def test_many_steps_are_sampled(x):
    r = qv.quantize(x, bits=14)
    xs, ys = counts.staircase(r, float(x.min()), float(x.max()), max_steps=100)
    assert xs.size == 200
    assert np.max(np.abs(ys - xs)) <= float(r.scale) / 2 + 1e-6
