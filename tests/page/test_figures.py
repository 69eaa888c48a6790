"""The downloads draw what the page shows: the same datasets, as matplotlib figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

import quantviz as qv
from quantviz_app import export, figures
from quantviz_app.cache import Store
from quantviz_app.data import Data
from quantviz_app.rooms import channels, closeup, staircase, tradeoff
from quantviz_app.schema import Settings
from quantviz_app.views import histograms


def tensor(x: np.ndarray) -> Data:
    return Data(("synthetic", "t"), x, "t", None, 0, Store(10**9))


def test_the_histogram_download_has_a_spike_per_used_level_and_the_clip_lines():
    d = tensor(np.float32([0.0, 0.4, 0.6, 1.4, 2.6, 3.0, 3.0]))
    sets = histograms.datasets(d, d.quantized({"bits": 2}))
    fig = figures.histogram_figure(sets)
    top, bottom = fig.axes
    spikes = bottom.collections[0].get_segments()
    assert [seg[0][0] for seg in spikes] == [0.0, 1.0, 3.0]  # used levels only
    assert [seg[1][1] for seg in spikes] == [2, 2, 3]  # their counts
    dashed = [line.get_xdata()[0] for line in bottom.lines if line.get_linestyle() == "--"]
    assert dashed == [-0.5, 3.5]  # the clipping boundaries
    assert top.get_title(loc="left").startswith("Original: 7 values")
    assert export.figure_png(fig, dpi=40).startswith(b"\x89PNG")


def test_every_view_has_a_download():
    x = qv.sample("layer", n=4_096, seed=0)
    d = tensor(x)
    r = d.quantized({"bits": 3, "strategy": "percentile", "percentile": 99.0})
    flat = tensor(x.ravel())
    rf = flat.quantized({"bits": 3})
    figs = [
        closeup.closeup_figure(closeup.datasets(flat, rf)),
        staircase.staircase_figure(
            staircase.staircase_datasets(d, r), staircase.error_datasets(d, r), log=True
        ),
    ]
    s = Settings.of({"granularity": "channel"})
    stats, _ = channels.stats(d, s)
    figs.append(channels.channel_figure(channels.datasets(stats, -1.0, 1.0)))
    table = pd.concat(
        [
            tradeoff.sweep_table(flat, tradeoff.sweep_options(Settings(), flat.shape, n))
            for n in ("minmax", "percentile")
        ]
    )
    sets = tradeoff.datasets(table, rf)
    figs.append(tradeoff.tradeoff_figure(sets, ["Min-max", "Percentile"], tradeoff.REFERENCE))
    for fig in figs:
        svg = export.figure_svg(fig).decode()
        assert svg.rstrip().endswith("</svg>")
    # the trade-off star sits at the current bit width
    star = next(ln for ln in figs[-1].axes[1].lines if ln.get_marker() == "*")
    assert star.get_xdata()[0] == 3
