"""Agent chat: ask the Fallback Handler about failures, models and prices; `?video=ID` attaches a failed take."""

from __future__ import annotations

import streamlit as st

from vsl.ui import chat

st.title("Agent chat")
chat.render()
