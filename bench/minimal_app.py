"""The baseline of bench/app_latency.py: one slider, one small heatmap, nothing else."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

value = st.slider("forget_bias", -5.0, 5.0, 1.0, 0.1, key="forget_bias")
z = np.tanh(np.arange(4 * 60, dtype=np.float32).reshape(4, 60) / 60 + value)
st.plotly_chart(go.Figure(go.Heatmap(z=z, zmin=-1, zmax=1)), key="heatmap")
