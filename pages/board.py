"""Processing board of one novela (`?novela=ID`): scenes by episode, live status, generation and assembly."""

from __future__ import annotations

import streamlit as st

from vsl.db import video_repo
from vsl.novelas import service
from vsl.ui import agents, board, cost_warnings, sound, sound_export, spend
from vsl.ui.home_cards import novela_titles
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain

runtime = get_runtime()
wanted = st.query_params.get("novela", "")
titles = novela_titles(wanted)
if not titles:
    st.title("Processing board")
    st.info("No novela yet: create one first.")
    st.page_link("pages/new_novela.py", label="Create a novela", icon=":material/auto_awesome:")
    st.stop()

ids = list(titles)
current = int(wanted) if wanted.isdigit() and int(wanted) in titles else ids[0]
if wanted and current != int(wanted or 0):
    st.warning(f"Novela {wanted[:12]} does not exist (it may have been deleted); showing the newest one.")
novela_id = st.selectbox("Novela", ids, index=ids.index(current), format_func=titles.get)
st.query_params["novela"] = str(novela_id)
novela = service.get(runtime.db, novela_id)

st.title(plain(novela.title), anchor=False)
board.totals(novela)
cost_warnings.show(novela.id)
board.manage(novela)
board.show_pending_delete(novela)
resumed = board.restart_notice(novela)

with runtime.db.session() as session:
    planned = video_repo.planned_episodes(session, novela_id)
episode = (
    st.segmented_control("Episode", list(range(1, novela.target_episodes + 1)), default=1, key=f"episode_{novela_id}")
    or 1
)
if episode not in planned:
    st.info(f"Episode {episode} has no scenes yet.")
    if st.button(f"Plan episode {episode}", type="primary"):
        service.plan_episode(runtime.db, novela_id, episode)
        changed()
        st.rerun()
    st.stop()

board.episode_actions(novela, episode)
board.whole_episode(novela, episode)
agents.show_proposal()
spend.show_pending()
board.scene_grid(novela, episode, resumed)
sound.voices(novela_id, episode)
sound_export.export(novela_id, episode)
with runtime.db.session() as session:
    board.spend_chart(video_repo.spend_over_time(session, novela_id))
