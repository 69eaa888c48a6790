"""Figure builders: what a student sees is drawn from the result's own numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import quantviz as qv
from quantviz import plots
from quantviz.channels import channel_stats


def _by_gid(fig: Figure, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def _data(r: qv.QuantResult, x: np.ndarray) -> plots.HistogramData:
    return plots.histogram_data(x, r, *plots.plot_range(float(x.min()), float(x.max()), r))


def _hist(r: qv.QuantResult, x: np.ndarray, log: bool = False, fig=None) -> Figure:
    return plots.histogram_figure(_data(r, x), r, log=log, fig=fig)


def _pixels(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return qv.sample("laplace", n=20_000, seed=0)


def test_histogram_axes_share_x_and_y(x):
    fig = _hist(qv.quantize(x, 4), x)
    assert isinstance(fig, Figure)
    top, bottom = fig.axes
    assert top.get_shared_x_axes().joined(top, bottom)
    assert top.get_shared_y_axes().joined(top, bottom)


def test_histogram_draws_every_level_and_the_clip_lines(x):
    r = qv.quantize(x, 4, strategy="percentile", percentile=99.0)
    fig = _hist(r, x)
    levels = _by_gid(fig, "levels")
    assert len(levels) == 2 and all(isinstance(c, LineCollection) for c in levels)
    xs = sorted(seg[0][0] for seg in levels[0].get_segments())
    np.testing.assert_allclose(xs, r.levels())
    for gid, value in (("clip_low", r.low), ("clip_high", r.high)):
        lines = _by_gid(fig, gid)
        assert len(lines) == 2
        assert all(line.get_xdata()[0] == pytest.approx(value) for line in lines)
    top, bottom = fig.axes
    assert top.get_ylabel() == "count" and bottom.get_xlabel() == "value"
    assert f"{np.count_nonzero(r.clipped):,}" in top.get_title(loc="right")
    assert "of 16 levels used" in bottom.get_title(loc="left")
    (legend,) = fig.legends  # one row above both panels
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [
        "original (1-step bins)", "quantized x̂", "levels (16)", "clipping [ℓ, h]"
    ]  # fmt: skip
    # the type is readable on a projector: nothing below 14 pt
    FigureCanvasAgg(fig).draw()  # tick labels exist once drawn
    texts = fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_visible())
    assert min(t.get_fontsize() for t in texts if t.get_text()) >= 14


def test_histogram_counts_are_exact(x):
    r = qv.quantize(x, 3)
    edges = plots.histogram_edges(*plots.plot_range(float(x.min()), float(x.max()), r))
    q = plots.quantized_counts(r, edges)
    assert q.sum() == x.size
    direct, _ = np.histogram(r.dequantized, bins=edges)
    np.testing.assert_array_equal(q, direct)
    assert plots.value_counts(x, edges).sum() == x.size


def test_few_levels_bin_the_original_by_grid_cell(x):
    """One bar per quantization cell, centred on its level: bar height = spike height."""
    r = qv.quantize(x, 3)  # min-max: nothing clipped
    data = _data(r, x)
    assert data.step_bins == 1
    np.testing.assert_allclose(data.spikes, r.levels())
    np.testing.assert_array_equal(data.quantized, r.code_counts)
    centres = (data.edges[:-1] + data.edges[1:]) / 2
    np.testing.assert_allclose(np.diff(data.edges), float(r.scale), rtol=1e-4)
    on_level = np.isin(np.round(centres / float(r.scale)), np.round(r.levels() / float(r.scale)))
    np.testing.assert_array_equal(data.original[on_level], r.code_counts)
    assert data.original.sum() == x.size
    # the spikes are drawn at the levels with those heights, on the shared y axis
    fig = plots.histogram_figure(data, r)
    (spikes,) = _by_gid(fig, "quantized")
    segments = spikes.get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], r.levels()[r.code_counts > 0])
    np.testing.assert_allclose([s[1][1] for s in segments], r.code_counts[r.code_counts > 0])
    top, bottom = fig.axes
    assert top.get_ylim() == bottom.get_ylim()
    assert top.get_ylim()[1] >= max(data.original.max(), data.quantized.max())


def test_many_levels_share_bins_of_whole_steps(x):
    r = qv.quantize(x, 10)  # 1024 levels: several steps per bar
    data = _data(r, x)
    assert data.step_bins > 1 and data.spikes is None
    assert data.edges.size - 1 <= plots.HIST_BINS
    np.testing.assert_allclose(np.diff(data.edges), data.step_bins * float(r.scale), rtol=1e-4)
    assert data.quantized.sum() == x.size == data.original.sum()
    direct, _ = np.histogram(r.dequantized, bins=data.edges)
    np.testing.assert_array_equal(data.quantized, direct)


def test_per_channel_histogram_uses_plain_bins():
    w = qv.sample("layer", n=6400, seed=0)
    r = qv.quantize(w, 4, granularity="channel")
    data = _data(r, w)
    assert data.step_bins == 0 and data.spikes is None
    assert data.edges.size == plots.HIST_BINS + 1
    assert data.original.sum() == data.quantized.sum() == w.size


def test_a_reused_figure_draws_exactly_like_a_new_one(x):
    """The app redraws one figure per view; the result must not depend on what was before."""
    clipped = qv.quantize(x, 3, strategy="percentile", percentile=99.0)
    results = [qv.quantize(x, 8), clipped, qv.quantize(x, 2)]
    fig = _hist(qv.quantize(x, 4), x)
    for r in results:
        fig = _hist(r, x, fig=fig)
        np.testing.assert_array_equal(_pixels(fig), _pixels(_hist(r, x)))
    lo, hi = plots.plot_range(float(x.min()), float(x.max()), clipped)

    def transfer(r, fig=None):
        curve = [("Q(x)", *plots.transfer_curve(r, lo, hi))]
        return plots.transfer_error_figure(r, curve, plots.error_histogram(x, r), fig=fig)

    fig = transfer(qv.quantize(x, 4))
    for r in results:  # linear and log error axes alternate
        fig = transfer(r, fig)
        np.testing.assert_array_equal(_pixels(fig), _pixels(transfer(r)))


def test_many_levels_become_ticks_then_disappear(x):
    assert _by_gid(_hist(qv.quantize(x, 8), x), "level_ticks")
    assert not _by_gid(_hist(qv.quantize(x, 8), x), "levels")
    fig16 = _hist(qv.quantize(x, 16), x)
    assert not _by_gid(fig16, "levels") and not _by_gid(fig16, "level_ticks")


def test_log_counts(x):
    fig = _hist(qv.quantize(x, 4), x, log=True)
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert fig.axes[0].get_ylabel() == "count (log)"


def test_per_channel_histogram_has_no_single_grid():
    w = qv.sample("layer", n=6400, seed=0)
    r = qv.quantize(w, 4, granularity="channel")
    fig = _hist(r, w)
    assert not _by_gid(fig, "levels") and not _by_gid(fig, "clip_low")
    assert "64 grids, one per channel" in fig.axes[1].get_title(loc="left")


def test_transfer_and_error_split_rounding_from_clipping(x):
    r = qv.quantize(x, 4, strategy="manual", low=-1.0, high=1.0)
    lo, hi = plots.plot_range(float(x.min()), float(x.max()), r)
    xs, ys = plots.transfer_curve(r, lo, hi)
    np.testing.assert_array_equal(np.unique(ys), r.levels())  # every level, nothing else
    errors = plots.error_histogram(x, r)
    assert errors.clipping.sum() == np.count_nonzero(r.clipped)
    assert errors.rounding.sum() == x.size - np.count_nonzero(r.clipped)
    fig = plots.transfer_error_figure(r, [("Q(x)", xs, ys)], errors)
    left, right = fig.axes
    assert _by_gid(fig, "staircase") and _by_gid(fig, "clipping_error")
    assert [line.get_xdata()[0] for line in _by_gid(fig, "clip_low")] == [pytest.approx(r.low)]
    assert right.get_yscale() == "log"
    assert left.get_xlabel() == "original value x" and right.get_xlabel() == "error"
    half = [seg[0][0] for seg in _by_gid(fig, "half_step")[0].get_segments()]
    assert half == pytest.approx([-r.scale / 2, r.scale / 2])


def test_tradeoff_marks_rule_and_current(x):
    table = qv.sweep(x, bits=range(1, 9), strategies=["minmax", "mse"])
    r = qv.quantize(x, 4, strategy="mse")
    fig = plots.tradeoff_figure(
        table, labels={"minmax": "Min-max", "mse": "MSE-optimal"},
        current=(4, r.metrics["mse"], r.metrics["sqnr_db"]),
    )  # fmt: skip
    rule = _by_gid(fig, "rule")[0]
    np.testing.assert_allclose(rule.get_ydata(), 6.0206 * np.arange(1, 9), rtol=1e-4)
    stars = _by_gid(fig, "current")
    assert {(s.get_xdata()[0], s.get_ydata()[0]) for s in stars} == {
        (4, r.metrics["mse"]),
        (4, r.metrics["sqnr_db"]),
    }
    assert len(_by_gid(fig, "strategy:mse")) == 2
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels[:2] == ["Min-max", "MSE-optimal"] and "6.02 dB per bit" in labels


def test_channel_stats_and_figure():
    w = qv.sample("layer", n=6400, seed=1)
    rt, rc = qv.quantize(w, 4), qv.quantize(w, 4, granularity="channel")
    stats = channel_stats(w, 0, {"per tensor": rt, "per channel": rc})
    np.testing.assert_array_equal(stats.low, w.min(axis=1))
    np.testing.assert_allclose(
        stats.mse["per channel"], ((rc.dequantized - w) ** 2).mean(axis=1), rtol=1e-5
    )
    assert stats.total_mse("per tensor") == pytest.approx(rt.metrics["mse"], rel=1e-5)
    fig = plots.channel_figure(stats, tensor_low=rt.low, tensor_high=rt.high)
    assert _by_gid(fig, "channel_range") and _by_gid(fig, "channel_mse:per channel")
    assert _by_gid(fig, "clip_high")[0].get_ydata()[0] == pytest.approx(rt.high)


def test_power_of_ten_labels_are_plain_text():
    assert plots._power_of_ten(1e-3) == "10⁻³"
    assert plots._power_of_ten(1.0) == "1" and plots._power_of_ten(20.0) == ""


def test_tradeoff_chart_spec(x):
    """The on-screen trade-off: the same lines, rule and star as the figure, as Vega-Lite."""
    table = qv.sweep(x, bits=range(1, 9), strategies=["minmax", "mse"])
    r = qv.quantize(x, 4, strategy="mse")
    spec = plots.tradeoff_chart(
        table, labels={"minmax": "Min-max", "mse": "MSE-optimal"},
        current=(4, r.metrics["mse"], r.metrics["sqnr_db"]),
    )  # fmt: skip
    json.dumps(spec, allow_nan=False)  # plain JSON: no NaN or infinity
    rows = spec["data"]["values"]
    rule = [row["sqnr_db"] for row in rows if row["series"] == plots.RULE_LABEL]
    np.testing.assert_allclose(rule, 6.0206 * np.arange(1, 9), rtol=1e-4)
    mse_rows = sorted((row["bits"], row["mse"]) for row in rows if row["series"] == "MSE-optimal")
    expected = table[table["strategy"] == "mse"].sort_values("bits")
    np.testing.assert_allclose([m for _, m in mse_rows], expected["mse"], rtol=1e-12)
    (star,) = [row for row in rows if row["series"] == plots.CURRENT_LABEL]
    assert (star["bits"], star["mse"], star["sqnr_db"]) == (
        4, r.metrics["mse"], r.metrics["sqnr_db"]
    )  # fmt: skip
    # only the data depends on the current setting: the browser updates the chart in place
    other = plots.tradeoff_chart(
        table, labels={"minmax": "Min-max", "mse": "MSE-optimal"}, current=(7, 1e-3, 40.0)
    )
    assert {**spec, "data": None} == {**other, "data": None}
    mse_panel, _ = spec["hconcat"]
    assert mse_panel["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    colour = mse_panel["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"] == ["Min-max", "MSE-optimal", plots.RULE_LABEL]
    assert set(colour["range"][:2]) <= set(plots.OKABE_ITO.values())
    assert spec["config"]["axis"]["labelFontSize"] >= 14 * 4 / 3  # ≥ 14 pt in CSS pixels


def test_many_channels_are_drawn_in_groups_that_keep_the_worst_channel():
    # A 30k-row embedding would be 30k vertical lines: groups of k keep the widest
    # range and the worst MSE of their channels, so an outlier row stays visible.
    x = qv.sample("laplace", n=3000 * 128, seed=0).reshape(3000, 128)
    x[1234] *= 50  # one loud row
    results = {
        "per tensor": qv.quantize(x, 4),
        "per channel": qv.quantize(x, 4, granularity="channel"),
    }
    stats = channel_stats(x, 0, results)
    fig = plots.channel_figure(stats)
    top, bottom = fig.axes[:2]
    ranges = next(c for c in top.collections if c.get_gid() == "channel_range")
    k = -(-3000 // plots.MAX_DRAWN_CHANNELS)
    assert len(ranges.get_segments()) == -(-3000 // k) <= plots.MAX_DRAWN_CHANNELS
    tops = [seg[:, 1].max() for seg in ranges.get_segments()]
    assert max(tops) == pytest.approx(float(x[1234].max()))
    worst = next(line for line in bottom.lines if line.get_gid() == "channel_mse:per channel")
    assert np.nanmax(worst.get_ydata()) == pytest.approx(stats.mse["per channel"].max())
    assert f"groups of {k}" in bottom.get_xlabel()
