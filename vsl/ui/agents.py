"""The agent team for the pages (built once per server), its mode label, and agent proposals shown for confirmation."""

from __future__ import annotations

import streamlit as st

from vsl.agents.bus import BusError
from vsl.agents.flows import FlowError, Proposal
from vsl.agents.llm import LlmError
from vsl.agents.team import Team, build_team
from vsl.jobs.actions import NothingToDo
from vsl.money import usd
from vsl.novelas.service import NovelaNotFound
from vsl.ui import spend
from vsl.ui.model_text import neutralize
from vsl.ui.runtime import get_runtime
from vsl.ui.widgets import plain, said

# what a flow may raise that the user should read (never silently replaced by offline drafting)
AGENT_ERRORS = (BusError, LlmError, FlowError, NothingToDo, NovelaNotFound)


@st.cache_resource(show_spinner=False)
def get_team() -> Team:
    return build_team(get_runtime())


def team_or_stop() -> Team:
    """The team, or an error naming what to fix (an unsupported OPENAI_MODEL, a bad AGENT_* setting)."""
    try:
        return get_team()
    except ValueError as exc:  # UnsupportedLlmModel is one
        st.error(f"The agents cannot start: {said(exc)}", icon=":material/warning:")
        st.stop()


def mode_note(team: Team) -> None:
    if team.offline:
        st.caption(
            ":orange[:material/computer:] **Offline mode**: no OPENAI_API_KEY is set, so the agents draft from "
            "templates and the story bible and answer from the knowledge base. Set the key in .env to use GPT-5."
        )
    else:
        st.caption(f":green[:material/cloud_done:] Agents think with {team.mode}.")


def show_agent_error(exc: Exception) -> None:
    """An agent's failure; its words may quote the model or a provider, so nothing in them is live."""
    st.error(neutralize(said(exc)), icon=":material/warning:")


PROPOSAL = "_vsl_agent_proposal"


def keep_proposal(proposal: Proposal) -> None:
    st.session_state[PROPOSAL] = proposal


def show_proposal() -> None:
    """The agents' last proposal: the scene, what they changed, the price, and the button to the spend dialog."""
    proposal: Proposal | None = st.session_state.get(PROPOSAL)
    if proposal is None:
        return
    with st.container(border=True):
        st.markdown(f"**Proposal:** {plain(proposal.title)}")
        if proposal.offline:
            st.caption("Drafted offline (no OPENAI_API_KEY).")
        st.text(proposal.scene.get("prompt", ""))
        for note in proposal.notes:
            st.caption(plain(note))
        st.metric("Cost of this take", usd(proposal.cost))
        if not proposal.fits:
            st.warning(f"It exceeds the budget left ({usd(proposal.available)}).")
        st.caption("Nothing is spent until you confirm in the next dialog.")
        log_link(proposal.conversation_id, "What the agents said")
        left, right = st.columns(2)
        go = left.button("Review and generate…", icon=":material/play_arrow:", type="primary", width="stretch")
        if go:
            st.session_state.pop(PROPOSAL, None)  # the dialog owns it now: one proposal, at most one purchase
            spend.ask(proposal.targets, proposal.title)
        if right.button("Dismiss", icon=":material/close:", width="stretch"):
            st.session_state.pop(PROPOSAL, None)
            st.rerun()


def log_link(conversation_id: str, label: str) -> None:
    query = {"conversation": conversation_id}
    st.page_link("pages/agent_log.py", label=label, icon=":material/timeline:", query_params=query)
