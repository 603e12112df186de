"""Home: every novela as a card, and a guided start for a first user."""

from __future__ import annotations

import streamlit as st

from vsl.ui.home_cards import novela_card, novela_cards, novela_total
from vsl.ui.runtime import changed, get_runtime

runtime = get_runtime()
st.title("Novelas")

total = novela_total()
if total == 0:
    st.info(
        "No novela yet. Create one from a one-line premise, or try the sample novela: it renders offline "
        "with the free local preview in about a minute.",
        icon=":material/waving_hand:",
    )
    left, right = st.columns(2)
    if left.button("Create a novela", icon=":material/auto_awesome:", type="primary", width="stretch"):
        st.switch_page("pages/new_novela.py")
    if right.button("Try the sample novela", icon=":material/movie:", width="stretch"):
        from vsl.demo import create_demo

        novela = create_demo(runtime)
        changed()
        st.query_params["novela"] = str(novela.id)
        st.switch_page("pages/board.py")
    st.stop()

top = st.columns([4, 1])
top[0].caption(f"{total} novela{'s' if total != 1 else ''}")
if top[1].button("New novela", icon=":material/add:", type="primary", width="stretch"):
    st.switch_page("pages/new_novela.py")

page_size = 12
pages = max(1, -(-total // page_size))
page = st.number_input("Page", 1, pages, 1, key="home_page") if pages > 1 else 1
cards = novela_cards(offset=(page - 1) * page_size, limit=page_size)
columns = st.columns(3)
for i, card in enumerate(cards):
    with columns[i % 3]:
        if novela_card(card):
            st.switch_page("pages/board.py", query_params={"novela": str(card.novela.id)})
