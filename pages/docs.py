"""Docs: the studio's own documentation, readable here (`?page=user-guide`); the agents' answers link to it."""

from __future__ import annotations

import re

import streamlit as st

from vsl.agents.docs_search import doc_pages
from vsl.config import PROJECT_ROOT
from vsl.ui.runtime import studio_page

IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)]+)\)\s*$", re.MULTILINE)
DOC_LINK = re.compile(r"\]\((?:\.\./|\./)?(?:docs/)?([\w-]+)\.md(#[\w-]*)?\)")

studio_page()
pages = doc_pages()
names = list(pages)
wanted = st.query_params.get("page", "user-guide")
name = st.selectbox(
    "Page",
    names,
    index=names.index(wanted) if wanted in names else 0,
    format_func=lambda n: n.replace("-", " ").capitalize(),
)
st.query_params["page"] = name
path = pages[name]
text = DOC_LINK.sub(
    lambda m: f"](docs?page={m.group(1) if m.group(1) != 'README' else 'README'})", path.read_text("utf-8")
)
pieces = IMAGE.split(text)  # text, alt, src, text, alt, src, …: pictures from the repository, not from a URL
st.markdown(pieces[0])
for alt, src, after in zip(pieces[1::3], pieces[2::3], pieces[3::3], strict=True):
    picture = (path.parent / src).resolve()
    if picture.is_file() and picture.is_relative_to(PROJECT_ROOT.resolve()):
        st.image(str(picture), caption=alt)
    st.markdown(after)
