"""The app's runtime, built once per Streamlit server, and the cache discipline for reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from vsl.runtime import Runtime, build_runtime

NAVIGATION_SEEN = "_vsl_navigation_seen"


@st.cache_resource(show_spinner="Opening the database and starting the worker…")
def _runtime() -> Runtime:
    return build_runtime()


def get_runtime() -> Runtime:
    """One runtime (database, storage, providers, embedded worker) per server process."""
    _leave_legacy_pages_mode()
    server_started()
    return _runtime()


@st.cache_resource(show_spinner=False)
def server_started() -> datetime:
    """When this server process served its first page: takes reserved before it were resumed after a restart."""
    return datetime.now(UTC)


def _leave_legacy_pages_mode() -> None:
    """Run app.py's navigation even when a deep link is the first request a fresh server gets.

    Streamlit treats a `pages/` folder beside the main script as a v1 multipage app until `st.navigation` has
    run once in the process; until then a deep link (say `/board?novela=3`) runs the page file alone, without
    app.py's navigation. The design card keeps `pages/`, so a session whose first run is such a page switches
    that mode off and reruns through app.py. (AppTest resets the mode before every run; the session flag keeps
    its runs, which start at app.py, from rerunning.)
    """
    if PagesManager.uses_pages_directory and not st.session_state.get(NAVIGATION_SEEN):
        PagesManager.uses_pages_directory = False
        st.rerun()


def studio_page() -> None:
    """The first call of a page that needs no runtime (calculator, docs): a deep link to it on a fresh server
    then still gets app.py's navigation (see `_leave_legacy_pages_mode`)."""
    _leave_legacy_pages_mode()


def navigation_ran() -> None:
    """app.py calls this after `st.navigation`."""
    st.session_state[NAVIGATION_SEEN] = True


def changed() -> None:
    """Call after any write so cached reads show it at once."""
    st.cache_data.clear()


def session_id(prefix: str = "s") -> str:
    """A stable id for this browser session (chat sessions, click ids)."""
    key = f"_vsl_{prefix}_id"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]
