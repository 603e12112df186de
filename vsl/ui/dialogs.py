"""Dialogs that stay open across full reruns until answered or dismissed.

A dialog opened by a button only lives for that run; whatever reruns the whole app (a live fragment finishing,
AppTest's clicks) would close it. So the request is kept in session state and the page re-opens the dialog on
every run while it is pending; dismissing or answering it forgets the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

PREFIX = "_vsl_dialog_"


def request(name: str, value: Any) -> None:
    """Ask for dialog `name` about `value` and rerun so the page opens it."""
    st.session_state[PREFIX + name] = value
    st.rerun()


def pending(name: str) -> Any | None:
    return st.session_state.get(PREFIX + name)


def forget(name: str) -> None:
    st.session_state.pop(PREFIX + name, None)


def forgetter(name: str) -> Callable[[], None]:
    """An `on_dismiss` callback that forgets the request."""
    return lambda: forget(name)
