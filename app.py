"""VSL Studio: navigation over the pages; the runtime (database, storage, worker) starts once per server."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from vsl.ui.runtime import get_runtime, navigation_ran
from vsl.ui.widgets import mode_banner

ICON = Path(__file__).parent / "vsl" / "ui" / "assets" / "icon.png"  # a local file: no favicon from a CDN
st.set_page_config(page_title="VSL Studio", page_icon=str(ICON), layout="wide")

pages = {
    "Studio": [
        st.Page("pages/home.py", title="Novelas", icon=":material/movie:", default=True),
        st.Page("pages/new_novela.py", title="New novela", icon=":material/auto_awesome:"),
        st.Page("pages/board.py", title="Processing board", icon=":material/view_module:"),
        st.Page("pages/cast.py", title="Cast", icon=":material/groups:"),
        st.Page("pages/library.py", title="Media library", icon=":material/video_library:"),
    ],
    "Agents": [
        st.Page("pages/chat.py", title="Agent chat", icon=":material/chat:"),
        st.Page("pages/agent_log.py", title="Agent log", icon=":material/timeline:"),
    ],
    "Tools": [
        st.Page("pages/calculator.py", title="Cost calculator", icon=":material/calculate:"),
        st.Page("pages/settings.py", title="Settings & health", icon=":material/settings:"),
        st.Page("pages/docs.py", title="Docs", icon=":material/menu_book:"),
    ],
}
st.set_option("client.showSidebarNavigation", True)  # see .streamlit/config.toml
nav = st.navigation(pages)  # first, so Streamlit never treats pages/ as a v1 multipage folder
navigation_ran()
mode_banner(get_runtime().settings)
nav.run()
