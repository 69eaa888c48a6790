"""sweep(): one row per setting, numbers identical to quantize()."""

import numpy as np
import pytest

import quantviz as qv


def test_sweep_rows_equal_individual_quantize_calls():
    x = qv.sample("laplace", n=5000, seed=0)
    df = qv.sweep(x, bits=[2, 4, 8], strategies=["minmax", "mse"], symmetric=[False, True])
    assert len(df) == 3 * 2 * 2
    wanted = {"strategy", "symmetric", "bits", "low", "high", "scale", "zero_point", "mse"}
    wanted |= {"sqnr_db", "clipped_fraction", "bits_per_weight", "sqnr_rule_db"}
    assert wanted <= set(df.columns)
    row = df[(df.strategy == "mse") & df.symmetric & (df.bits == 4)].iloc[0]
    r = qv.quantize(x, 4, symmetric=True, strategy="mse")
    assert row["mse"] == r.metrics["mse"] and row["scale"] == r.scale
    assert row["sqnr_rule_db"] == pytest.approx(4 * 6.0206, abs=1e-3)
    minmax = df[(df.strategy == "minmax") & ~df.symmetric].sort_values("bits")
    assert np.all(np.diff(minmax["sqnr_db"]) > 0)


def test_sweep_passes_options_and_reports_channel_ranges():
    x = qv.sample("layer", n=16 * 64, seed=0, rows=16)
    df = qv.sweep(x, bits=[4], strategies=["minmax"], granularity="channel")
    assert np.isnan(df.loc[0, "scale"])
    assert df.loc[0, "high"] == pytest.approx(float(x.max()))


def test_sweep_refuses_unknown_strategies_before_working():
    with pytest.raises(qv.InputError, match="Unknown range strategy"):
        qv.sweep([1.0, 2.0], strategies=["minmax", "nope"])
    with pytest.raises(qv.InputError, match="at least one"):
        qv.sweep([1.0, 2.0], bits=[])
