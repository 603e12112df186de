"""Small display helpers: status badges, mode banner, money, model cards."""

from __future__ import annotations

import re
from collections.abc import Iterable

import streamlit as st

from vsl.catalog import ModelSpec, normalize
from vsl.catalog.pricing import price_per_second
from vsl.config import Settings
from vsl.jobs.states import LABELS, JobStatus
from vsl.money import usd
from vsl.novelas.limits import Limit

STATUS_COLOURS = {
    "planned": "gray",
    "reserved": "blue",
    "submitting": "blue",
    "queued": "blue",
    "running": "orange",
    "storing": "orange",
    "completed": "green",
    "failed": "red",
    "canceled": "gray",
    "unknown": "violet",
    "needs_attention": "violet",
}


_SERVER_PATH = re.compile(r"(?<![\w:/.~])(?:/[\w.+@-]+){2,}/?")  # an absolute path on the server, not a URL


def said(message: object) -> str:
    """A message (or exception) as a page may show it: a server file path becomes its file name alone.

    Storage, ffmpeg and OS errors name files by their full path; where the studio's files live is nothing a page
    shows (the logs keep the whole message).
    """
    return _SERVER_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], str(message))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str | None) -> str:
    """User or model text made safe for markdown contexts: every markdown character escaped, one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", (text or "").replace("\n", " ").replace("\r", " "))


def status_badge(status: str) -> str:
    """Markdown for a coloured status label."""
    label = LABELS.get(JobStatus(status), status) if status in JobStatus.__members__.values() else status
    return f":{STATUS_COLOURS.get(status, 'gray')}-badge[{label}]"


def mode_banner(settings: Settings) -> None:
    """Which mode each outside part runs in, in the sidebar of every page."""
    with st.sidebar:
        st.caption("**Modes**")
        for part, mode in settings.modes().items():
            icon = ":green[:material/cloud_done:]" if "embedded" not in mode else ":orange[:material/computer:]"
            st.caption(f"{icon} {part.title()}: {mode}")


def model_card(spec: ModelSpec, *, key: str, selected: bool) -> bool:
    """A model as a card; returns True when its Choose button is clicked."""
    with st.container(border=True):
        badge = " :green-badge[Recommended]" if spec.recommended else ""
        free = " :blue-badge[Free]" if spec.pricing.kind == "free" else ""
        st.markdown(f"**{spec.display_name}**{badge}{free}")
        try:
            per_s = usd(price_per_second(spec.id, normalize(spec.id, {}))) + " / s"
        except (ValueError, KeyError):
            per_s = "price by run time"
        st.caption(f"{per_s} · " + ", ".join(sorted(spec.features)))
        if not spec.pricing.verified:
            st.caption(":orange[price unverified]")
        st.caption(spec.description)
        return st.button("Chosen" if selected else "Choose", key=key, disabled=selected, width="stretch")


def errors_list(errors: Iterable[str]) -> None:
    for message in errors:
        st.error(message, icon=":material/warning:")


def count_input(limit: Limit, value: int, *, key: str | None = None) -> int:
    """A box for a whole number that takes any value and says in one sentence when it is outside `limit`.

    Streamlit's own min/max only outline a wrong value in red (or keep it in the box unused), without words.
    """
    number = int(st.number_input(limit.label, value=int(value), step=1, key=key))
    problem = limit.problem(number)
    if problem:
        st.error(problem, icon=":material/warning:")
    return number
