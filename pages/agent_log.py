"""Agent log: what the agents said to each other, and what their GPT-5 calls cost."""

from __future__ import annotations

import streamlit as st

from vsl.ui import agent_log

st.title("Agent log")
agent_log.render()
