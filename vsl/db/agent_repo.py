"""Queries for the agent pages: chat sessions and their messages, the agent log (bus messages and GPT-5 calls)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from vsl.db.models import AgentMessage, LlmCall, UserChatMessage
from vsl.money import ZERO

# -- chat ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatSession:
    session_id: str
    title: str  # the first user message, shortened
    last_at: datetime
    messages: int
    video_id: int | None


def add_chat_message(
    session: Session,
    session_id: str,
    role: str,
    content: str,
    *,
    novela_id: int | None = None,
    video_id: int | None = None,
    context: dict[str, Any] | None = None,
) -> UserChatMessage:
    row = UserChatMessage(
        session_id=session_id,
        role=role,
        content=content,
        novela_id=novela_id,
        video_id=video_id,
        context=context or {},
    )
    session.add(row)
    session.flush()
    return row


def chat_history(session: Session, session_id: str, limit: int = 200) -> list[UserChatMessage]:
    """The latest `limit` messages of a chat session, oldest first."""
    rows = session.scalars(
        select(UserChatMessage)
        .where(UserChatMessage.session_id == session_id)
        .order_by(UserChatMessage.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def attached_video(session: Session, session_id: str) -> UserChatMessage | None:
    """The message that attached a failed take to the session, if any."""
    return session.scalars(
        select(UserChatMessage)
        .where(UserChatMessage.session_id == session_id, UserChatMessage.video_id.is_not(None))
        .order_by(UserChatMessage.id)
        .limit(1)
    ).first()


def session_for_video(session: Session, video_id: int) -> str | None:
    """The latest chat session that has this take attached."""
    return session.scalar(
        select(UserChatMessage.session_id)
        .where(UserChatMessage.video_id == video_id)
        .order_by(UserChatMessage.id.desc())
        .limit(1)
    )


def chat_sessions(session: Session, limit: int = 30) -> list[ChatSession]:
    """Chat sessions, most recently active first."""
    stats = (
        select(
            UserChatMessage.session_id,
            func.max(UserChatMessage.created_at).label("last_at"),
            func.count(UserChatMessage.id).label("messages"),
            func.min(UserChatMessage.id).label("first_id"),
            func.max(UserChatMessage.video_id).label("video_id"),
        )
        .group_by(UserChatMessage.session_id)
        .order_by(func.max(UserChatMessage.id).desc())
        .limit(limit)
    )
    rows = session.execute(stats).all()
    titles = _first_user_lines(session, [r.session_id for r in rows])
    return [
        ChatSession(r.session_id, titles.get(r.session_id, "(attached failure)"), r.last_at, r.messages, r.video_id)
        for r in rows
    ]


def _first_user_lines(session: Session, session_ids: list[str]) -> dict[str, str]:
    if not session_ids:
        return {}
    firsts = (
        select(func.min(UserChatMessage.id))
        .where(UserChatMessage.session_id.in_(session_ids), UserChatMessage.role == "user")
        .group_by(UserChatMessage.session_id)
    )
    rows = session.scalars(select(UserChatMessage).where(UserChatMessage.id.in_(firsts))).all()
    return {r.session_id: " ".join(r.content.split())[:60] for r in rows}


# -- agent log ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    novela_id: int | None = None
    conversation_id: str | None = None
    agents: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # request | response | broadcast | error


@dataclass(frozen=True)
class LogPage:
    messages: list[AgentMessage]
    calls: list[LlmCall]  # GPT-5 calls made while these messages were exchanged
    total: int
    call_cost: Decimal = ZERO
    call_tokens: int = 0


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    started_at: datetime
    first_action: str
    messages: int


def _messages(f: LogFilter) -> Select[Any]:
    query = select(AgentMessage)
    if f.novela_id is not None:
        query = query.where(AgentMessage.novela_id == f.novela_id)
    if f.conversation_id:
        query = query.where(AgentMessage.conversation_id == f.conversation_id)
    if f.agents:
        query = query.where(or_(AgentMessage.from_agent.in_(f.agents), AgentMessage.to_agent.in_(f.agents)))
    if f.kinds:
        query = query.where(AgentMessage.message_type.in_(f.kinds))
    return query


def _calls(f: LogFilter, start: datetime | None, end: datetime | None) -> Select[Any]:
    query = select(LlmCall).order_by(LlmCall.id)
    if f.novela_id is not None:
        query = query.where(LlmCall.novela_id == f.novela_id)
    if f.conversation_id:
        query = query.where(LlmCall.conversation_id == f.conversation_id)
    if f.agents:
        query = query.where(LlmCall.agent.in_(f.agents))
    if start is not None:
        query = query.where(LlmCall.created_at >= start)
    if end is not None:
        query = query.where(LlmCall.created_at < end)
    return query


def log_count(session: Session, f: LogFilter) -> int:
    return session.scalar(select(func.count()).select_from(_messages(f).subquery())) or 0


def log_page(session: Session, f: LogFilter, *, offset: int = 0, limit: int = 50) -> LogPage:
    """One page of the timeline, oldest first, with the GPT-5 calls made from this page's first message up to
    the next page's first message."""
    total = log_count(session, f)
    rows = list(session.scalars(_messages(f).order_by(AgentMessage.id).offset(offset).limit(limit + 1)))
    shown, following = rows[:limit], rows[limit:]
    start = shown[0].created_at if shown and offset else None
    end = following[0].created_at if following else None
    calls = list(session.scalars(_calls(f, start, end))) if shown else []
    return LogPage(
        messages=shown,
        calls=calls,
        total=total,
        call_cost=sum((c.cost_usd for c in calls), ZERO),
        call_tokens=sum(c.input_tokens + c.output_tokens for c in calls),
    )


def conversations(session: Session, novela_id: int | None = None, limit: int = 50) -> list[Conversation]:
    """Recent conversations on the bus (optionally of one novela), newest first."""
    query = (
        select(
            AgentMessage.conversation_id,
            func.min(AgentMessage.created_at).label("started_at"),
            func.min(AgentMessage.id).label("first_id"),
            func.count(AgentMessage.id).label("messages"),
        )
        .group_by(AgentMessage.conversation_id)
        .order_by(func.max(AgentMessage.id).desc())
        .limit(limit)
    )
    if novela_id is not None:
        query = query.where(AgentMessage.novela_id == novela_id)
    rows = session.execute(query).all()
    actions = dict(
        session.execute(
            select(AgentMessage.id, AgentMessage.action).where(AgentMessage.id.in_([r.first_id for r in rows]))
        ).all()
    )
    return [Conversation(r.conversation_id, r.started_at, actions.get(r.first_id, ""), r.messages) for r in rows]


def attach_conversation(session: Session, conversation_id: str, novela_id: int) -> None:
    """File a conversation that started before its novela existed (a draft) under that novela."""
    session.execute(
        update(AgentMessage).where(AgentMessage.conversation_id == conversation_id).values(novela_id=novela_id)
    )
    session.execute(update(LlmCall).where(LlmCall.conversation_id == conversation_id).values(novela_id=novela_id))
