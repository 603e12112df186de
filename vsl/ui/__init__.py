"""Streamlit widgets shared by the pages. The only package under `vsl` that imports streamlit."""
