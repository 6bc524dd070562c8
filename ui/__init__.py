"""Streamlit glue shared by the pages: URL state, the model controls, cached runs."""
