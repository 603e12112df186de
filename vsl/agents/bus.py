"""The message bus between agents: every message is written to `agent_messages` before it is delivered.

Delivery is synchronous: `send`, `request` and `broadcast` run the recipient's handler in the caller's
thread. That keeps a conversation deterministic and lets handlers call the bus again (nested requests,
broadcasts from a handler) with no thread pool that could deadlock; no lock is held while a handler runs.
A handler answers by returning a dict (the response content), or returns None and answers later with
`reply()` from any thread; `request()` waits for that answer up to its timeout (a slow handler that is still
running cannot be cut short). A handler that raises produces an `error` message.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select

from vsl.db.engine import Database
from vsl.db.models import AgentMessage

log = logging.getLogger(__name__)

MessageType = Literal["request", "response", "broadcast", "error"]
BUS = "bus"  # the sender of the bus's own error messages (timeouts)
EVERYONE = "*"  # the recipient of a broadcast
MAX_NAME = 40  # agent_messages.from_agent / to_agent


@dataclass(frozen=True)
class BusMessage:
    id: int
    conversation_id: str
    from_agent: str
    to_agent: str
    message_type: MessageType
    action: str
    content: dict[str, Any]
    novela_id: int | None
    video_id: int | None
    response_to: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: AgentMessage) -> BusMessage:
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            from_agent=row.from_agent,
            to_agent=row.to_agent,
            message_type=row.message_type,  # type: ignore[arg-type]
            action=row.action,
            content=dict(row.content or {}),
            novela_id=row.novela_id,
            video_id=row.video_id,
            response_to=row.response_to,
            created_at=_aware(row.created_at),
        )


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Handler = Callable[[BusMessage], dict[str, Any] | None]


class BusError(RuntimeError):
    """A request answered with an error; `message` is the persisted error message."""

    def __init__(self, text: str, message: BusMessage | None = None) -> None:
        super().__init__(text)
        self.message = message


class BusTimeout(BusError, TimeoutError):
    """No answer to a request within its timeout."""


def new_conversation_id() -> str:
    return uuid.uuid4().hex


class Bus:
    """Agents register a handler under their name and exchange messages. Thread-safe."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._handlers: dict[str, Handler] = {}
        self._answers: dict[int, BusMessage | None] = {}  # request id -> its answer, for requests being awaited
        self._changed = threading.Condition()

    def register(self, agent_name: str, handler: Handler) -> None:
        if not agent_name or len(agent_name) > MAX_NAME or agent_name in (BUS, EVERYONE):
            raise ValueError(f"Agent name {agent_name!r} is not usable on the bus: 1-{MAX_NAME} characters, not 'bus'.")
        with self._changed:
            if agent_name in self._handlers:
                raise ValueError(f"An agent named {agent_name!r} is already registered on the bus.")
            self._handlers[agent_name] = handler

    def agents(self) -> list[str]:
        with self._changed:
            return sorted(self._handlers)

    def send(
        self,
        from_agent: str,
        to_agent: str,
        action: str,
        content: dict[str, Any],
        *,
        conversation_id: str,
        novela_id: int | None = None,
        video_id: int | None = None,
    ) -> BusMessage:
        """Deliver a request without waiting for its answer; returns the persisted request."""
        where = (conversation_id, novela_id, video_id)
        handler, message = self._new_request(from_agent, to_agent, action, content, *where)
        self._deliver(handler, message)
        return message

    def _new_request(
        self,
        from_agent: str,
        to_agent: str,
        action: str,
        content: dict[str, Any],
        conversation_id: str,
        novela_id: int | None,
        video_id: int | None,
    ) -> tuple[Handler, BusMessage]:
        """The recipient's handler (refusing unknown agents) and the request, persisted before delivery."""
        handler = self._handler(to_agent)
        message = self._persist(
            message_type="request",
            from_agent=from_agent,
            to_agent=to_agent,
            action=action,
            content=content,
            conversation_id=conversation_id,
            novela_id=novela_id,
            video_id=video_id,
        )
        return handler, message

    def request(
        self,
        from_agent: str,
        to_agent: str,
        action: str,
        content: dict[str, Any],
        *,
        conversation_id: str,
        novela_id: int | None = None,
        video_id: int | None = None,
        timeout_s: float = 60.0,
    ) -> BusMessage:
        """Deliver a request and return its response; BusError if the handler failed, BusTimeout if none."""
        where = (conversation_id, novela_id, video_id)
        handler, message = self._new_request(from_agent, to_agent, action, content, *where)
        with self._changed:
            self._answers[message.id] = None
        try:
            answer = self._deliver(handler, message) or self._wait(message, timeout_s)
        finally:
            with self._changed:
                self._answers.pop(message.id, None)
        if answer.message_type == "error":
            raise BusError(f"Agent '{to_agent}' failed on '{action}': {answer.content.get('error')}", answer)
        return answer

    def reply(self, request: BusMessage, content: dict[str, Any]) -> BusMessage:
        """Answer `request` later, from any thread (for handlers that returned None)."""
        return self._answer(request, "response", content, sender=request.to_agent)

    def reply_error(self, request: BusMessage, error: str) -> BusMessage:
        return self._answer(request, "error", {"error": error}, sender=request.to_agent)

    def broadcast(
        self,
        from_agent: str,
        action: str,
        content: dict[str, Any],
        *,
        conversation_id: str,
        novela_id: int | None = None,
        video_id: int | None = None,
    ) -> BusMessage:
        """Deliver to every registered agent but the sender; one failing agent does not stop the others."""
        message = self._persist(
            message_type="broadcast",
            from_agent=from_agent,
            to_agent=EVERYONE,
            action=action,
            content=content,
            conversation_id=conversation_id,
            novela_id=novela_id,
            video_id=video_id,
        )
        with self._changed:
            recipients = [(name, handler) for name, handler in self._handlers.items() if name != from_agent]
        for name, handler in recipients:
            self._deliver(handler, message, recipient=name)
        return message

    def history(
        self, conversation_id: str | None = None, novela_id: int | None = None, limit: int = 200
    ) -> list[BusMessage]:
        """The latest `limit` messages, oldest first, optionally of one conversation and/or novela."""
        query = select(AgentMessage).order_by(AgentMessage.id.desc()).limit(limit)
        if conversation_id is not None:
            query = query.where(AgentMessage.conversation_id == conversation_id)
        if novela_id is not None:
            query = query.where(AgentMessage.novela_id == novela_id)
        with self.db.session() as session:
            rows = session.scalars(query).all()
            return [BusMessage.of(row) for row in reversed(rows)]

    # -- internals -----------------------------------------------------------------------------------

    def _handler(self, agent_name: str) -> Handler:
        with self._changed:
            handler = self._handlers.get(agent_name)
            known = ", ".join(sorted(self._handlers)) or "none"
        if handler is None:
            raise BusError(f"No agent named {agent_name!r} is registered on the bus (registered: {known}).")
        return handler

    def _deliver(self, handler: Handler, message: BusMessage, recipient: str | None = None) -> BusMessage | None:
        """Run the handler (no lock held) and persist its answer: a response, an error, or nothing yet."""
        recipient = recipient or message.to_agent
        try:
            content = handler(message)
            if content is not None and not isinstance(content, dict):
                raise TypeError(f"the handler returned a {type(content).__name__}, not a dict or None")
        except Exception as exc:
            log.warning("Agent %s failed on %s: %s", recipient, message.action, exc)
            return self._answer(message, "error", {"error": f"{type(exc).__name__}: {exc}"}, sender=recipient)
        return None if content is None else self._answer(message, "response", content, sender=recipient)

    def _answer(self, request: BusMessage, kind: MessageType, content: dict[str, Any], sender: str) -> BusMessage:
        """Persist an answer to `request` and wake the `request()` call waiting for it, if any."""
        answer = self._persist(
            message_type=kind,
            from_agent=sender,
            to_agent=request.from_agent,
            action=request.action,
            content=content,
            conversation_id=request.conversation_id,
            novela_id=request.novela_id,
            video_id=request.video_id,
            response_to=request.id,
        )
        with self._changed:
            if request.id in self._answers and self._answers[request.id] is None:
                self._answers[request.id] = answer
                self._changed.notify_all()
        return answer

    def _wait(self, request: BusMessage, timeout_s: float) -> BusMessage:
        with self._changed:
            self._changed.wait_for(lambda: self._answers.get(request.id) is not None, timeout=timeout_s)
            answer = self._answers.get(request.id)
        if answer is not None:
            return answer
        text = f"Agent '{request.to_agent}' did not answer '{request.action}' within {timeout_s:g} s."
        raise BusTimeout(text, self._answer(request, "error", {"error": text}, sender=BUS))

    def _persist(self, **fields: Any) -> BusMessage:
        """Write one message and return it with its id; delivery happens only after this commits."""
        row = AgentMessage(**fields)
        with self.db.write() as session:
            session.add(row)
            session.flush()
            return BusMessage.of(row)
