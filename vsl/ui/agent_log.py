"""The agent log: the bus messages of a novela or a conversation as a timeline (who → whom, action, content),
with the GPT-5 calls made meanwhile (tokens and cost), filterable and paginated. Deep links: `?novela=ID`,
`?conversation=ID`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from vsl.agents.bus import BUS
from vsl.agents.profiles import FALLBACK, INTEGRATOR, USER, WRITER
from vsl.db import agent_repo
from vsl.db.agent_repo import LogFilter
from vsl.db.models import AgentMessage, LlmCall
from vsl.money import usd
from vsl.ui.home_cards import novela_titles
from vsl.ui.model_text import neutralize
from vsl.ui.runtime import get_runtime

PAGE_SIZE = 40
AGENTS = (USER, WRITER, INTEGRATOR, FALLBACK, BUS)
KINDS = ("request", "response", "broadcast", "error")
KIND_BADGES = {"request": ":blue-badge[request]", "response": ":green-badge[response]",
               "broadcast": ":violet-badge[broadcast]", "error": ":red-badge[error]"}  # fmt: skip


def render() -> None:
    log_filter = filters()
    db = get_runtime().db
    with db.session() as session:
        total = agent_repo.log_count(session, log_filter)
    if total == 0:
        st.info("No agent messages yet. Draft a novela with the agents, or ask something in the agent chat.")
        return
    pages = max(1, -(-total // PAGE_SIZE))
    key = f"log_page_{abs(hash(log_filter))}"  # a new filter starts at page 1
    page = int(st.number_input(f"Page (of {pages})", 1, pages, 1, key=key)) if pages > 1 else 1
    with db.session() as session:
        shown = agent_repo.log_page(session, log_filter, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    c1, c2, c3 = st.columns(3)
    c1.metric("Messages", total)
    c2.metric("GPT-5 calls on this page", len(shown.calls))
    c3.metric("Their cost", usd(shown.call_cost), help=f"{shown.call_tokens:,} tokens")
    for moment, item in timeline(shown.messages, shown.calls):
        if isinstance(item, LlmCall):
            _call(moment, item)
        else:
            _message(moment, item)


def filters() -> LogFilter:
    wanted = st.query_params.get("novela")
    titles = novela_titles(wanted or "")
    choices: list[int | None] = [None, *titles]
    start = int(wanted) if wanted and wanted.isdigit() and int(wanted) in titles else None
    c1, c2 = st.columns(2)
    novela_id = c1.selectbox(
        "Novela", choices, index=choices.index(start), format_func=lambda i: titles.get(i, "All novelas")
    )
    conversation = _conversation(c2, novela_id)
    c3, c4 = st.columns(2)
    agents = c3.multiselect("Agents (sender or recipient)", AGENTS)
    kinds = c4.multiselect("Message types", KINDS)
    return LogFilter(novela_id, conversation, tuple(agents), tuple(kinds))


def _conversation(column: Any, novela_id: int | None) -> str | None:
    with get_runtime().db.session() as session:
        found = agent_repo.conversations(session, novela_id)
    labels = {
        c.conversation_id: f"{c.started_at:%d %b %H:%M} · {c.first_action} · {c.messages} messages" for c in found
    }
    wanted = st.query_params.get("conversation")
    if wanted and wanted not in labels:  # a deep link to an older conversation
        labels[wanted[:64]] = "the linked conversation"
    options: list[str | None] = [None, *labels]
    start = options.index(wanted[:64]) if wanted else 0
    return column.selectbox(
        "Conversation", options, index=start, format_func=lambda c: labels.get(c, "All conversations")
    )


def timeline(messages: list[AgentMessage], calls: list[LlmCall]) -> list[tuple[datetime, AgentMessage | LlmCall]]:
    """Messages and calls in time order; a call is shown after the messages of the same moment."""
    items: list[tuple[datetime, int, int, AgentMessage | LlmCall]] = [
        *((m.created_at, 0, m.id, m) for m in messages),
        *((c.created_at, 1, c.id, c) for c in calls),
    ]
    return [(moment, item) for moment, _, _, item in sorted(items, key=lambda i: (_naive(i[0]), i[1], i[2]))]


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _message(moment: datetime, message: AgentMessage) -> None:
    with st.container(border=True):
        st.markdown(
            f"`{moment:%H:%M:%S}` **{message.from_agent} → {message.to_agent}** "
            f"{KIND_BADGES.get(message.message_type, message.message_type)} `{message.action}`"
        )
        content = message.content or {}
        if message.message_type == "error":
            st.error(neutralize(str(content.get("error", content))))
        elif set(content) == {"text"} or set(content) == {"question"}:
            st.text(next(iter(content.values())))
        else:
            st.json(content, expanded=False)


def _call(moment: datetime, call: LlmCall) -> None:
    tokens = (
        f"{call.input_tokens:,} in ({call.cached_tokens:,} cached) · {call.output_tokens:,} out "
        f"({call.reasoning_tokens:,} reasoning)"
    )
    origin = " · from the response cache" if call.cached_response else ""
    st.caption(
        f"`{moment:%H:%M:%S}` :material/psychology: GPT-5 call by **{call.agent}** · {call.step} · {tokens} · "
        f"{usd(call.cost_usd)} · {call.latency_ms:,} ms{origin}"
    )
    if not call.ok:
        st.error(f"That call failed: {neutralize(call.error)}")
