"""Channel by channel: each channel's range and each grid's MSE on it."""

from types import SimpleNamespace

import numpy as np

from quantviz.channels import channel_stats


def test_each_channels_mse_over_more_channels_than_one_slice():
    # 700 channels of 300 values (several cache-sized slices); values are eighths, so the
    # float32 errors below are exact. Even channels are off by 0.5, odd ones by 0.25.
    x = (np.arange(700 * 300).reshape(700, 300) % 64 / 8.0).astype(np.float32)
    off = np.where(np.arange(700) % 2 == 0, 0.5, 0.25).astype(np.float32)[:, None]
    result = SimpleNamespace(dequantized=x + off)
    st = channel_stats(x, 0, {"shifted": result})
    assert st.mse["shifted"][:4].tolist() == [0.25, 0.0625, 0.25, 0.0625]
    assert st.total_mse("shifted") == (0.25 + 0.0625) / 2
    assert st.low.min() == 0.0 and st.high.max() == 63 / 8


def test_channels_along_axis_1():
    x = np.zeros((3, 5), dtype=np.float32)
    x_hat = np.zeros((3, 5), dtype=np.float32)
    x_hat[:, 2] = 1.0  # channel 2 along axis 1 is off by 1 in each of its 3 values
    st = channel_stats(x, 1, {"g": SimpleNamespace(dequantized=x_hat)})
    assert st.mse["g"].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]
