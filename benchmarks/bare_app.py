"""Bare Streamlit baseline for ``bench_app.py``: one slider, one metric, no real work.

It has the same widget contract as ``app.py`` (a slider with key ``bits``, 1-16, bound
to the ``bits`` query parameter, and a metric labelled ``SQNR``), so the benchmark drives
both the same way. The difference in latency is what quantviz itself adds on top of
Streamlit's own rerun round trip.
"""

import streamlit as st

bits = st.slider("Bit width", 1, 16, 8, key="bits", bind="query-params")
# The textbook rule of thumb for a full-scale sine: 6.02·b + 1.76 dB. Nothing to compute.
st.metric("SQNR", f"{6.02 * bits + 1.76:.1f} dB")
