"""The agent chat: sessions kept in `user_chat_messages`, listed and resumable; streamed replies from the Fallback
Handler; a failed take attached with `?video=ID` (the board's "Ask the agents about this failure"), with buttons
for the agents' fixes. Any new take they propose goes through the spend confirmation dialog."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import streamlit as st

from vsl.agents import flows
from vsl.agents.fallback import TakeNotFound
from vsl.agents.team import Team
from vsl.db import agent_repo
from vsl.ui import model_text, spend
from vsl.ui.agents import (
    AGENT_ERRORS,
    keep_proposal,
    log_link,
    mode_note,
    show_agent_error,
    show_proposal,
    team_or_stop,
)
from vsl.ui.home_cards import novela_titles
from vsl.ui.runtime import changed
from vsl.ui.widgets import plain, said

SESSION = "_vsl_chat_session"


def render() -> None:
    team = team_or_stop()
    spend.show_pending()
    session_id = current_session(team)
    _sessions(team, session_id)
    mode_note(team)
    with team.runtime.db.session() as session:
        history = agent_repo.chat_history(session, session_id)
        attached = agent_repo.attached_video(session, session_id)
    if attached is not None and attached.video_id is not None:
        _fix_buttons(team, attached.video_id)
    else:
        _next_scene(team)
    show_proposal()
    if not history:
        st.caption("Ask about a failed take, a model's limits, prices or what to do next.")
    for message in history:
        with st.chat_message(message.role):
            show(message.role, message.content)
    question = st.chat_input("Ask the agents…", max_chars=flows.MAX_CHAT_CHARS)
    if question:
        _answer(team, session_id, question)


def current_session(team: Team) -> str:
    """`?video=ID` attaches that take (resuming its chat if there is one), `?session=` resumes a session."""
    video = st.query_params.get("video")
    if video and video.isdigit():
        with team.runtime.db.session() as session:
            found = agent_repo.session_for_video(session, int(video))
        session_id = found or uuid.uuid4().hex
        if found is None:
            try:
                flows.attach_failure(team, session_id, int(video))
            except TakeNotFound as exc:
                st.warning(said(exc))
                session_id = uuid.uuid4().hex
        _switch_to(session_id)
    wanted = st.query_params.get("session")
    if wanted:
        st.session_state[SESSION] = wanted[:64]
    return st.session_state.setdefault(SESSION, uuid.uuid4().hex)


def _switch_to(session_id: str) -> None:
    st.session_state[SESSION] = session_id
    st.query_params.pop("video", None)
    st.query_params["session"] = session_id


def _sessions(team: Team, current: str) -> None:
    with st.sidebar:
        st.markdown("**Chat sessions**")
        if st.button("New chat", icon=":material/add:", width="stretch", key="chat_new"):
            _switch_to(uuid.uuid4().hex)
            st.rerun()
        log_link(current, "This chat in the agent log")
        with team.runtime.db.session() as session:
            sessions = agent_repo.chat_sessions(session)
        for item in sessions:
            icon = ":material/chevron_right:" if item.session_id == current else None
            icon = icon or (":material/error:" if item.video_id else ":material/chat:")
            label = f"{plain(item.title)} · {item.last_at:%d %b %H:%M}"
            if st.button(label, icon=icon, key=f"chat_{item.session_id}", width="stretch", type="tertiary"):
                _switch_to(item.session_id)
                st.rerun()


def _fix_buttons(team: Team, video_id: int) -> None:
    with st.expander("Let the agents fix this take", expanded=True):
        st.caption("The agents prepare a new take and price it; nothing is spent until you confirm it.")
        if st.button("Propose a fix (new take)", icon=":material/build:", key=f"chat_recover_{video_id}"):
            _run(lambda: flows.recover(team, video_id))
        feedback = st.text_input("Or say what to change", key=f"chat_feedback_{video_id}")
        revise = st.button(
            "Revise with my feedback",
            icon=":material/edit:",
            key=f"chat_regen_{video_id}",
            disabled=not feedback.strip(),
        )
        if revise:
            _run(lambda: flows.regenerate(team, video_id, feedback))


def _run(flow: Callable[[], flows.Proposal]) -> None:
    try:
        with st.spinner("The agents are working…"):
            keep_proposal(flow())
    except AGENT_ERRORS as exc:
        show_agent_error(exc)
        return
    changed()


def _answer(team: Team, session_id: str, question: str) -> None:
    with st.chat_message("user"):
        show("user", question)
    with st.chat_message("assistant"):
        try:
            model_text.stream(flows.chat_reply(team, session_id, question))
        except AGENT_ERRORS as exc:
            show_agent_error(exc)


def _next_scene(team: Team) -> None:
    titles = novela_titles()
    if not titles:
        return
    with st.expander("Draft the next scene with the agents"):
        novela_id = st.selectbox("Novela", list(titles), format_func=titles.get, key="chat_next_novela")
        if st.button("Draft the next scene", icon=":material/edit_note:", key="chat_next_scene"):
            _run(lambda: flows.next_scene(team, novela_id))


def show(role: str, text: str) -> None:
    """A user's words as plain text; the agents' answers as Markdown with no live image or link (never HTML)."""
    if role == "user":
        st.markdown(plain(text))
    else:
        model_text.show(text)
