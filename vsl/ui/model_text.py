"""Model text on a page: Markdown formatting kept, but no image loads and no link is live.

GPT-5's answers (and the provider messages and error texts they quote) are shaped by whatever reached the model: a
premise, a provider's error, an uploaded file's name. Markdown images make the browser fetch an address at once, and
links take a click to anywhere, both carrying whatever the model put in the address. So every image or link becomes
its text followed by its address as inline code: the user sees where it points, and nothing loads or is clickable
(docs/adr/0006-model-text-rendering.md). The one exception is a link to a page of the studio's own docs
(`docs?page=<name>`): it cannot leave the studio or carry anything, and the chat's "Read more" needs it (issue 14).
Code spans and fenced blocks are left as they are: nothing in them is live.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import streamlit as st

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,}).*?(?:^\1\2[`~]*[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)?")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)?")
_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*(\S*).*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")
_BARE = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.\-]{1,31}://|www\.)[^\s`<>]*[^\s`<>.,;:!?'\")\]]")
_BRACKETS = re.compile(r"([\[\]<>])")
_PLAIN_LABEL = re.compile(r"[^\x00`\[\]()<>!]{1,200}")
_IN_STUDIO = re.compile(r"docs\?page=[A-Za-z0-9_-]{1,80}(?:#[a-z0-9-]{1,80})?")


def neutralize(text: str | None) -> str:
    """`text` as Markdown in which no image or link is live; every address shown as inline code."""
    parts: list[str] = []
    for code, chunk in _segments(text or ""):
        parts.append(chunk if code else _prose(chunk))
    return "".join(parts)


def _segments(text: str) -> Iterator[tuple[bool, str]]:
    """(is_code, chunk) pieces of `text`: fenced blocks and inline code spans apart from prose."""
    position = 0
    for fence in _FENCE.finditer(text):
        yield from _spans(text[position : fence.start()])
        yield True, fence.group(0)
        position = fence.end()
    yield from _spans(text[position:])


def _spans(text: str) -> Iterator[tuple[bool, str]]:
    position = 0
    for span in _CODE_SPAN.finditer(text):
        yield False, text[position : span.start()]
        yield True, span.group(0)
        position = span.end()
    yield False, text[position:]


def _prose(text: str) -> str:
    text = _DEFINITION.sub(lambda m: f"{m.group(1)}: {_address(m.group(2))}", text)
    text = _IMAGE.sub(lambda m: f"{m.group(1) or 'image'} (image not loaded: {_address(m.group(2))})", text)
    text = _LINK.sub(_link, text)
    text = _AUTOLINK.sub(lambda m: _address(m.group(1)), text)
    pieces = re.split(r"(\x00[^\x00]*\x00)", text)  # addresses already made code stay as they are
    return "".join(p[1:-1] if p.startswith("\x00") else _plain_prose(p) for p in pieces)


def _link(match: re.Match[str]) -> str:
    """A link to a docs page of the studio stays a link; any other becomes its text and its address as code."""
    label, url = match.group(1), match.group(2).strip()
    plain = _PLAIN_LABEL.fullmatch(label) and not _BARE.search(label)
    if plain and match.group(0).endswith(")") and _IN_STUDIO.fullmatch(url):
        return f"\x00[{label}]({url})\x00"
    return f"{label} ({_address(url)})"


def _plain_prose(text: str) -> str:
    """Bare addresses as code; brackets escaped so that no link syntax can form from what is left."""
    text = _BARE.sub(lambda m: f"`{m.group(0)}`", text)
    return _BRACKETS.sub(r"\\\1", text)


def _address(url: str) -> str:
    """An address as an inline code span, marked so later passes leave it alone."""
    shown = url.strip().strip("<>").replace("`", "'").replace("\x00", "") or "no address"
    return f"\x00`{shown}`\x00"


def show(text: str | None) -> None:
    """Model text as Markdown with nothing live (never HTML)."""
    st.markdown(neutralize(text))


def stream(chunks: Iterable[str]) -> str:
    """Stream model text into the page, neutralized as a whole at every step (a link may span two chunks)."""
    box = st.empty()
    text = ""
    for chunk in chunks:
        text += chunk
        box.markdown(neutralize(text) + " ▌")
    box.markdown(neutralize(text))
    return text
