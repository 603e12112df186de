"""Novela cards for the home page, with cached reads."""

from __future__ import annotations

import streamlit as st

from vsl.db import novela_repo
from vsl.db.novela_repo import NovelaCard
from vsl.money import usd
from vsl.ui.runtime import get_runtime
from vsl.ui.widgets import plain


@st.cache_data(ttl=5, show_spinner=False)
def novela_total() -> int:
    with get_runtime().db.session() as session:
        return novela_repo.count(session)


def novela_titles(wanted: str = "") -> dict[int, str]:
    """Id → title of every novela (newest first), for the pickers on the board, library, chat and log.

    `wanted` is an id from a link: one the cached list does not know yet (made in another tab or process
    a moment ago) refreshes the list instead of silently opening another novela.
    """
    titles = _titles()
    if wanted.isdigit() and int(wanted) not in titles:
        _titles.clear()
        titles = _titles()
    return titles


@st.cache_data(ttl=5, show_spinner=False)
def _titles() -> dict[int, str]:
    with get_runtime().db.session() as session:
        return novela_repo.titles(session)


@st.cache_data(ttl=5, show_spinner=False)
def novela_cards(offset: int, limit: int) -> list[NovelaCard]:
    with get_runtime().db.session() as session:
        return novela_repo.cards(session, offset=offset, limit=limit)


def novela_card(card: NovelaCard) -> bool:
    """Draw one card; True when its Open button is clicked."""
    n = card.novela
    with st.container(border=True):
        st.subheader(plain(n.title), anchor=False)
        st.caption(
            f"{plain(n.genre) or 'No genre'} · {n.target_episodes} ep × {n.scenes_per_episode} scenes · "
            f"{n.status.replace('_', ' ')}"
        )
        st.progress(card.progress, text=f"{card.scenes_done} of {card.scenes_total} scenes done")
        budget = f" of {usd(n.budget)}" if n.budget is not None else " (no budget)"
        st.caption(
            f"Spent {usd(n.total_cost)}{budget}" + (f" · {usd(n.reserved_cost)} reserved" if n.reserved_cost else "")
        )
        if card.in_flight or card.failed:
            st.caption(f"{card.in_flight} in flight · {card.failed} failed")
        return st.button("Open board", key=f"open_{n.id}", width="stretch")
