"""quantviz: watch quantization happen, one slider at a time."""

import streamlit as st

import quantviz as qv

st.set_page_config(page_title="quantviz", layout="wide")
st.title("quantviz")
bits = st.slider("Bit width", 1, 16, 8, key="bits")
r = qv.quantize(qv.sample("laplace", n=100_000, seed=0), bits)
st.metric("SQNR", f"{r.metrics['sqnr_db']:.1f} dB")
