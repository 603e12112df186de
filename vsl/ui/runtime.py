"""The app's runtime, built once per Streamlit server, and the cache discipline for reads."""

from __future__ import annotations

import streamlit as st

from vsl.runtime import Runtime, build_runtime


@st.cache_resource(show_spinner="Opening the database and starting the worker…")
def get_runtime() -> Runtime:
    """One runtime (database, storage, providers, embedded worker) per server process."""
    return build_runtime()


def changed() -> None:
    """Call after any write so cached reads show it at once."""
    st.cache_data.clear()


def session_id(prefix: str = "s") -> str:
    """A stable id for this browser session (chat sessions, click ids)."""
    import uuid

    key = f"_vsl_{prefix}_id"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]
