"""Figure builders: Trace -> Plotly figure / pandas DataFrame. No Streamlit here."""
