"""Cast of one novela (`?novela=ID`): its characters, locations and props, then keyframes, chaining and review."""

from __future__ import annotations

import streamlit as st

from vsl.novelas import service
from vsl.ui import cast, cast_scenes, spend
from vsl.ui.home_cards import novela_titles
from vsl.ui.runtime import get_runtime
from vsl.ui.widgets import plain

runtime = get_runtime()
wanted = st.query_params.get("novela", "")
titles = novela_titles(wanted)
st.title("Cast", anchor=False)
if not titles:
    st.info("No novela yet: create one first.")
    st.page_link("pages/new_novela.py", label="Create a novela", icon=":material/auto_awesome:")
    st.stop()

ids = list(titles)
current = int(wanted) if wanted.isdigit() and int(wanted) in titles else ids[0]
novela_id = st.selectbox("Novela", ids, index=ids.index(current), format_func=titles.get)
st.query_params["novela"] = str(novela_id)
novela = service.get(runtime.db, novela_id)
st.caption(plain(f"{novela.title}: write @Name in a scene prompt to put a cast member in it."))

spend.show_pending()
assets_tab, scenes_tab = st.tabs(["Cast", "Scenes: keyframes, chaining, review"])
with assets_tab:
    cast.cast_section(novela)
with scenes_tab:
    episode = st.number_input("Episode", 1, novela.target_episodes, 1, key=f"cast_episode_{novela_id}")
    cast_scenes.scenes_section(novela, int(episode))
