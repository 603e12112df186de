"""The Fallback Handler: explains why a take failed and proposes a fix; answers the user in the agent chat.

The diagnosis itself is deterministic (the knowledge base, `vsl.agents.knowledge`, and the documentation search,
`vsl.agents.docs_search`); GPT-5 (or the offline composer) turns it into advice. It has no tool that spends:
a fix that needs a new take goes through the Script Writer and the Integrator as a proposal for the user.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from vsl.agents import docs_search, knowledge
from vsl.agents.bus import BusMessage
from vsl.agents.docs_search import Hit
from vsl.agents.knowledge import FailureFacts, Match
from vsl.agents.llm import AgentProfile, LlmClient, ToolSpec
from vsl.agents.script_writer import CallContext, brief_input
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.jobs.states import LABELS, JobStatus

RECENT_EVENTS = 8
CHAT_HISTORY = 12  # earlier chat messages sent along with a question
DOC_HITS = 3


class TakeNotFound(LookupError):
    pass


@dataclass(frozen=True)
class FailureContext:
    """A take and its failure, as the chat attaches it and the Fallback Handler analyses it."""

    video_id: int
    novela_id: int
    episode: int
    scene: int
    take: int
    title: str
    status: str
    model_id: str
    stage: str
    provider: str
    code: str
    message: str
    prompt: str
    params: dict[str, Any]
    events: list[str] = field(default_factory=list)

    @property
    def facts(self) -> FailureFacts:
        return FailureFacts(self.stage, self.provider, self.code, self.message)

    @property
    def label(self) -> str:
        return f"E{self.episode} S{self.scene} take {self.take}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        where = f"{self.stage or 'generation'} failed at {self.provider or 'the app'}"
        code = f" (code {self.code})" if self.code else ""
        return f"{self.label} “{self.title}” on {self.model_id}: {where}{code}: {self.message or 'no message'}"


def failure_context(db: Database, video_id: int) -> FailureContext:
    with db.session() as session:
        video = video_repo.get(session, video_id)
        if video is None:
            raise TakeNotFound(f"Take {video_id} does not exist (it may have been deleted with its novela).")
        events = video_repo.events(session, video_id)[-RECENT_EVENTS:]
        return FailureContext(
            video_id=video.id,
            novela_id=video.novela_id,
            episode=video.episode_number,
            scene=video.scene_number,
            take=video.take,
            title=video.title,
            status=LABELS[JobStatus(video.status)],
            model_id=video.model_id,
            stage=video.failure_stage or "",
            provider=video.failure_provider or "",
            code=video.failure_code or "",
            message=video.failure_message or "",
            prompt=video.script_prompt,
            params=dict(video.model_parameters),
            events=[
                f"{e.created_at:%Y-%m-%d %H:%M:%S} {e.from_status or '-'} → {e.to_status}: {e.message}" for e in events
            ],
        )


def _match_json(found: Match) -> dict[str, Any]:
    known = found.failure
    return {
        "id": known.id,
        "title": known.title,
        "cause": known.cause,
        "fix": known.fix,
        "remedy": known.remedy,
        "evidence": list(found.evidence),
    }


def _hit_json(hit: Hit, query: str) -> dict[str, Any]:
    return {"title": hit.passage.title, "source": hit.passage.source, "excerpt": hit.snippet(query)}


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


class FallbackTools:
    """analyze_error and search_documentation: read-only lookups."""

    def specs(self) -> list[ToolSpec]:
        text = {"type": "string"}
        return [
            ToolSpec(
                "analyze_error",
                "Look a failure up in the knowledge base of known failures; empty strings for unknown parts.",
                _schema({"stage": text, "provider": text, "code": text, "message": text}),
                self.analyze_error,
            ),
            ToolSpec(
                "search_documentation",
                "Search the project's documentation, model catalog and provider contract.",
                _schema({"query": text}),
                self.search_documentation,
            ),
        ]

    def analyze_error(self, stage: str, provider: str, code: str, message: str) -> dict[str, Any]:
        found = knowledge.match(FailureFacts(stage, provider, code, message))
        return {"matches": [_match_json(m) for m in found[:3]], "known": bool(found)}

    def search_documentation(self, query: str) -> dict[str, Any]:
        return {"results": [_hit_json(hit, query) for hit in docs_search.search(query, DOC_HITS)]}


@dataclass(frozen=True)
class Briefing:
    """What the Fallback Handler knows when it answers: the question, the failure, the lookups."""

    question: str
    diagnosis: Match | None
    hits: list[Hit]
    context: FailureContext | None = None
    history: list[tuple[str, str]] = field(default_factory=list)  # (role, text), oldest first

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "attached_failure": self.context.as_json() if self.context else None,
            "knowledge_base": _match_json(self.diagnosis) if self.diagnosis else None,
            "documentation": [_hit_json(hit, self.question) for hit in self.hits],
        }

    def as_input(self) -> list[dict[str, Any]]:
        earlier = [{"role": role, "content": text} for role, text in self.history]
        return [*earlier, {"role": "user", "content": brief_input(self.as_json())}]


def briefing(question: str, context: FailureContext | None, history: list[tuple[str, str]]) -> Briefing:
    """Look up the attached failure (or the question itself) in the knowledge base and the docs."""
    facts = context.facts if context else FailureFacts(message=question)
    found = knowledge.match(facts) or (knowledge.match(FailureFacts(message=question)) if context else [])
    query = " ".join(filter(None, [question, context.message if context else ""]))
    return Briefing(question, found[0] if found else None, docs_search.search(query, DOC_HITS), context, history)


class Advisor(Protocol):
    offline: bool

    def advise(self, context: FailureContext, tools: FallbackTools, ctx: CallContext) -> str: ...

    def answer(self, brief: Briefing, ctx: CallContext) -> Iterator[str]: ...


class GptAdvisor:
    offline = False

    def __init__(self, llm: LlmClient, profile: AgentProfile) -> None:
        self.llm = llm
        self.profile = profile

    def advise(self, context: FailureContext, tools: FallbackTools, ctx: CallContext) -> str:
        brief = {"task": "diagnose this failed take and propose a fix", **context.as_json()}
        result = self.llm.run_tools(
            self.profile,
            brief_input(brief),
            tools.specs(),
            step="analyze_failure",
            novela_id=ctx.novela_id,
            conversation_id=ctx.conversation_id,
        )
        return result.text.strip()

    def answer(self, brief: Briefing, ctx: CallContext) -> Iterator[str]:
        return self.llm.stream_text(
            self.profile,
            brief.as_input(),
            step="chat",
            novela_id=ctx.novela_id,
            conversation_id=ctx.conversation_id,
        )


class Fallback:
    """Bus handler for `analyze_failure`; `chat` requests are answered by the chat flow once streamed."""

    def __init__(self, db: Database, advisor: Advisor) -> None:
        self.db = db
        self.advisor = advisor
        self.tools = FallbackTools()

    @property
    def offline(self) -> bool:
        return self.advisor.offline

    def handle(self, message: BusMessage) -> dict[str, Any] | None:
        if message.message_type == "broadcast" or message.action == "chat":
            return None
        if message.action == "analyze_failure":
            ctx = CallContext(message.conversation_id, message.novela_id)
            return self.analyze(int(message.content["video_id"]), ctx)
        raise ValueError(f"The Fallback Handler cannot do {message.action!r}; it does analyze_failure and chat.")

    def analyze(self, video_id: int, ctx: CallContext) -> dict[str, Any]:
        context = failure_context(self.db, video_id)
        found = knowledge.diagnose(context.facts)
        hits = docs_search.search(found.failure.doc_query, DOC_HITS)
        return {
            **_match_json(found),
            "advice": self.advisor.advise(context, self.tools, ctx),
            "sources": [hit.passage.title for hit in hits],
            "failure": context.summary(),
            "offline": self.offline,
        }

    def answer(self, brief: Briefing, ctx: CallContext) -> Iterator[str]:
        return self.advisor.answer(brief, ctx)
