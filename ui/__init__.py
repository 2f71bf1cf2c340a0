"""Streamlit helpers shared by the pages: formatting, cached service calls,
the sidebar's as-of date and the deep-link query parameters."""
