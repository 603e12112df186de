"""What the agents do for a user, one conversation on the bus per flow, every message persisted.

- `draft_novela`: premise → Script Writer plans the season → Integrator fits the model settings and budget
  → a `NovelaDraft` to review; `create_novela` stores it once the user confirms.
- `next_scene`, `regenerate`, `recover`: (Fallback analyses →) Writer drafts → Integrator validates and prices
  → a `Proposal`. A proposal spends nothing: the UI shows it in the confirmation dialog (`vsl.ui.spend.ask`),
  and only the user's click there reserves money, whatever any prompt or chat message says.
- `attach_failure`, `chat_reply`: the agent chat with the Fallback Handler, streamed and stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from vsl.agents import knowledge
from vsl.agents.bus import new_conversation_id
from vsl.agents.fallback import CHAT_HISTORY, FailureContext, briefing, failure_context
from vsl.agents.integrator import plan_settings
from vsl.agents.profiles import FALLBACK, INTEGRATOR, USER, WRITER
from vsl.agents.script_writer import CallContext
from vsl.agents.team import Team
from vsl.cast.prompts import takes_first_frame
from vsl.catalog import get_catalog
from vsl.db import agent_repo, video_repo
from vsl.db.models import Novela, NovelaVideo
from vsl.jobs import actions
from vsl.jobs.actions import Target
from vsl.jobs.states import HOLDS_MONEY, JobStatus
from vsl.novelas import limits, service
from vsl.novelas.validation import MAX_SEED, MAX_TEXT, Character, NovelaInput, text_problem


class FlowError(ValueError):
    """A flow cannot run as asked; the message says why and what to do."""


# -- drafting a novela --------------------------------------------------------------------------------------


@dataclass
class NovelaDraft:
    """A whole novela drafted from a premise, for the user to review, edit and confirm."""

    conversation_id: str
    premise: str
    title: str
    genre: str
    description: str
    episodes: int
    scenes: int
    characters: list[dict[str, str]]  # name, look, voice
    outlines: list[dict[str, Any]]  # number, title, outline, beats
    first_episode: list[dict[str, Any]]  # the writer's scene prompts of episode 1
    bible: dict[str, Any]
    settings: dict[str, Any]  # model_id, duration, resolution, aspect_ratio, generate_audio, estimate/budget
    master_seed: int
    notes: list[str] = field(default_factory=list)
    offline: bool = False

    @property
    def model_id(self) -> str:
        return str(self.settings["model_id"])

    @property
    def estimate(self) -> Decimal:
        return Decimal(self.settings["estimate_usd"])

    @property
    def budget(self) -> Decimal | None:
        return Decimal(self.settings["budget_usd"]) if self.settings["budget_usd"] else None

    def to_input(self, budget: Decimal | None) -> NovelaInput:
        spec = get_catalog().get(self.model_id)
        extra = {"generate_audio": bool(self.settings["generate_audio"])} if spec.param("generate_audio") else {}
        return NovelaInput(
            title=self.title,
            genre=self.genre,
            description=self.description[:MAX_TEXT],
            premise=self.premise,
            episodes=self.episodes,
            scenes_per_episode=self.scenes,
            default_model_id=self.model_id,
            default_duration=int(self.settings["duration"]),
            default_resolution=str(self.settings["resolution"]),
            aspect_ratio=str(self.settings["aspect_ratio"]),
            extra_params=extra,
            characters=[Character(c["name"][:60], f"{c['look']} Voice: {c['voice']}"[:1000]) for c in self.characters],
            master_seed=self.master_seed,
            budget=budget,
            story_bible=self.bible,
        )

    def scene_drafts(self) -> dict[tuple[int, int], dict[str, Any]]:
        return {(1, n): _scene_draft(scene, model_id=self.model_id) for n, scene in enumerate(self.first_episode, 1)}

    def with_model(self, model_id: str) -> NovelaDraft:
        """The draft re-fitted to another model: settings it accepts, a new estimate and budget."""
        return replace(self, settings=plan_settings(model_id, self.settings, self.episodes, self.scenes))


def chains_by_default(scene: dict[str, Any], model_id: str) -> bool:
    """Chaining is the default where the writer marks one unbroken sequence and the model can start from a frame."""
    return bool(scene.get("continues_previous")) and takes_first_frame(model_id)


def _scene_draft(scene: dict[str, Any], agent: str = WRITER, model_id: str | None = None) -> dict[str, Any]:
    """A scene as a planned take's fields; with `model_id`, chaining is set to the writer's default."""
    details = {k: scene[k] for k in ("camera", "characters_present", "dialogue", "audio_cues", "continuity_notes")}
    if model_id is not None:
        details["chain"] = chains_by_default(scene, model_id)
    return {
        "title": scene["title"],
        "prompt": scene["prompt"],
        "negative_prompt": scene["negative_prompt"],
        "details": {**details, "characters": scene["characters_present"], "duration_s": scene["duration_s"]},
        "agent": agent,
    }


def default_model() -> str:
    videos = get_catalog().models("video")
    return next((m.id for m in videos if m.recommended), videos[0].id)


def _seed_of(premise: str) -> int:
    return int(hashlib.sha256(premise.encode()).hexdigest()[:8], 16) % (MAX_SEED + 1)


def draft_novela(
    team: Team,
    premise: str,
    episodes: int | None = None,
    scenes: int | None = None,
    model_id: str | None = None,
) -> NovelaDraft:
    """Writer plans the season and episode 1's scenes; Integrator fits the model settings and suggests a budget."""
    premise = " ".join(premise.split())
    if not premise:
        raise FlowError("Write a premise first: one line about who wants what, and what stands in the way.")
    if len(premise) > MAX_TEXT:
        raise FlowError(f"The premise must be at most {MAX_TEXT} characters (got {len(premise)}).")
    episodes, scenes = episodes or limits.DEFAULT_EPISODES, scenes or limits.DEFAULT_SCENES
    problem = limits.EPISODES.problem(episodes) or limits.SCENES.problem(scenes)
    if problem:
        raise FlowError(problem)
    model_id = model_id or default_model()
    conversation = new_conversation_id()
    ask = {"premise": premise, "episodes": episodes, "scenes": scenes, "model_id": model_id}
    plan = team.bus.request(USER, WRITER, "plan_season", ask, conversation_id=conversation).content
    season = plan["season"]
    wanted = {"model_id": model_id, "duration": _typical_duration(season), "resolution": "720p",
              "aspect_ratio": "16:9", "generate_audio": True, "episodes": episodes, "scenes": scenes}  # fmt: skip
    settings = team.bus.request(WRITER, INTEGRATOR, "check_plan", wanted, conversation_id=conversation).content
    return NovelaDraft(
        conversation_id=conversation,
        premise=premise,
        title=season["title"],
        genre=season["genre"],
        description=season["description"],
        episodes=episodes,
        scenes=scenes,
        characters=season["characters"],
        outlines=season["episodes"],
        first_episode=season["first_episode_scenes"],
        bible=plan["bible"],
        settings=settings,
        master_seed=_seed_of(premise),
        notes=[*plan["notes"], *settings["changes"]],
        offline=bool(plan["offline"]),
    )


def _typical_duration(season: dict[str, Any]) -> int:
    durations = sorted(s["duration_s"] for s in season["first_episode_scenes"]) or [8]
    return durations[len(durations) // 2]


def create_novela(team: Team, draft: NovelaDraft, budget: Decimal | None) -> Novela:
    """Store the reviewed draft (with the budget the user chose, None for none) and episode 1's planned scenes;
    the draft's conversation is filed under the new novela."""
    db = team.runtime.db
    novela = service.create(db, draft.to_input(budget), scene_drafts=draft.scene_drafts())
    with db.write() as session:
        agent_repo.attach_conversation(session, draft.conversation_id, novela.id)
    return novela


# -- proposals: the next scene, a regeneration, a recovery --------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A take the agents prepared: to be shown in the confirmation dialog. It has spent nothing."""

    conversation_id: str
    novela_id: int
    targets: list[Target]
    title: str
    scene: dict[str, Any]
    notes: list[str]
    cost: Decimal
    available: Decimal | None
    offline: bool

    @property
    def fits(self) -> bool:
        return self.available is None or self.cost <= self.available


def _video(team: Team, video_id: int) -> NovelaVideo:
    with team.runtime.db.session() as session:
        video = video_repo.get(session, video_id)
    if video is None:
        raise FlowError(f"Take {video_id} does not exist (it may have been deleted with its novela).")
    return video


def _next_planned(team: Team, novela_id: int) -> NovelaVideo:
    """The first planned take in episode and scene order; plans the next episode when all are used up."""
    db = team.runtime.db
    novela = service.get(db, novela_id)
    with db.session() as session:
        planned = video_repo.by_status(session, novela_id, ["planned"])
        episodes = video_repo.planned_episodes(session, novela_id)
    if planned:
        return planned[0]
    following = max(episodes, default=0) + 1
    if following > novela.target_episodes:
        raise FlowError("Every scene of this novela is generated or in progress: there is no next scene to draft.")
    return service.plan_episode(db, novela_id, following)[0]


def _candidate_params(video: NovelaVideo, scene: dict[str, Any], images: list[str], seed: int | None) -> dict[str, Any]:
    """The take's parameters with the writer's choices applied; the Integrator then fixes what is invalid."""
    spec = get_catalog().get(video.model_id)
    params = dict(video.model_parameters)
    if spec.video is not None and spec.video.duration_param:
        params[spec.video.duration_param] = scene["duration_s"]
    if spec.param("negative_prompt") is not None and scene["negative_prompt"]:
        params["negative_prompt"] = scene["negative_prompt"]
    if spec.param("reference_images") is not None and images:
        params["reference_images"] = images
    if spec.param("seed") is not None and seed is not None:
        params.setdefault("seed", seed)
    return params


def _take_request(video: NovelaVideo, written: dict[str, Any], mode: str, seed: int | None) -> dict[str, Any]:
    scene = written["scene"]
    fresh = "chain" not in (video.scene_details or {})  # else the user's own choice, or the first draft's, stands
    draft = _scene_draft(scene, model_id=video.model_id if fresh else None)
    details = {**draft["details"], "drafted_offline": bool(written["offline"])}
    return {
        "novela_id": video.novela_id,
        "video_id": video.id,
        "mode": mode,
        "model_id": video.model_id,
        "prompt": scene["prompt"],
        "negative_prompt": scene["negative_prompt"],
        "title": scene["title"],
        "details": details,
        "params": _candidate_params(video, scene, written["reference_images"], seed),
        "created_by": WRITER,
    }


def _write_and_prepare(
    team: Team, video: NovelaVideo, conversation: str, mode: str, *, sender: str = USER, **brief: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Writer drafts the scene, hands it to the Integrator; returns both answers."""
    novela = service.get(team.runtime.db, video.novela_id)
    where = {"conversation_id": conversation, "novela_id": video.novela_id, "video_id": video.id}
    ask = {"novela_id": video.novela_id, "episode": video.episode_number, "scene": video.scene_number,
           "model_id": video.model_id, **brief}  # fmt: skip
    if video.script_prompt:
        ask["current"] = {"prompt": video.script_prompt, "negative_prompt": video.negative_prompt}
    written = team.bus.request(sender, WRITER, "write_scene", ask, **where).content
    take = _take_request(video, written, mode, novela.master_seed)
    prepared = team.bus.request(WRITER, INTEGRATOR, "prepare_take", take, **where).content
    return written, prepared


def _proposal(
    team: Team,
    conversation: str,
    video: NovelaVideo,
    title: str,
    written: dict[str, Any],
    prepared: dict[str, Any],
    notes: list[str],
) -> Proposal:
    target = Target(**prepared["target"])
    quote = actions.quote(team.runtime.db, team.runtime.registry, [target])
    said = [n for n in (*notes, prepared["notes"]) if n]
    return Proposal(
        conversation_id=conversation,
        novela_id=video.novela_id,
        targets=[target],
        title=title,
        scene=written["scene"],
        notes=said + [f"Changed: {change}" for change in prepared["changes"] if change not in prepared["notes"]],
        cost=quote.total,
        available=quote.available,
        offline=bool(written["offline"]),
    )


def next_scene(team: Team, novela_id: int) -> Proposal:
    """Draft the next planned scene (Writer → Integrator) and price it; the user confirms or not."""
    video = _next_planned(team, novela_id)
    conversation = new_conversation_id()
    written, prepared = _write_and_prepare(team, video, conversation, "generate")
    title = f"Generate E{video.episode_number} S{video.scene_number} as drafted by the agents"
    return _proposal(team, conversation, video, title, written, prepared, [])


def regenerate(team: Team, video_id: int, feedback: str) -> Proposal:
    """Revise a take's prompt with the user's feedback: a new take (a planned one is re-drafted in place)."""
    video = _video(team, video_id)
    if JobStatus(video.status) in HOLDS_MONEY:
        raise FlowError("This take is still being generated; wait for it to finish (or cancel it) first.")
    if not feedback.strip():
        raise FlowError("Say what to change, for example 'more rain, and Isabel should look angry'.")
    mode = "generate" if video.status == JobStatus.PLANNED else "new_take"
    conversation = new_conversation_id()
    written, prepared = _write_and_prepare(team, video, conversation, mode, feedback=feedback.strip())
    what = "Re-draft" if mode == "generate" else "New take of"
    title = f"{what} E{video.episode_number} S{video.scene_number} with your feedback"
    return _proposal(team, conversation, video, title, written, prepared, [])


def recover(team: Team, video_id: int) -> Proposal:
    """For a failed take: Fallback analyses, Writer revises, Integrator validates → a new take to confirm."""
    video = _video(team, video_id)
    if video.status != JobStatus.FAILED:
        raise FlowError(f"Take {video_id} has not failed (it is {video.status}); there is nothing to recover.")
    conversation = new_conversation_id()
    where = {"conversation_id": conversation, "novela_id": video.novela_id, "video_id": video.id}
    found = team.bus.request(USER, FALLBACK, "analyze_failure", {"video_id": video.id}, **where).content
    diagnosis = f"{found['title']}: {found['cause']} Fix: {found['fix']} {found['advice']}"
    written, prepared = _write_and_prepare(
        team, video, conversation, "new_take", sender=FALLBACK, diagnosis=diagnosis, remedy=found["remedy"]
    )
    title = f"New take of E{video.episode_number} S{video.scene_number} after: {found['title'].lower()}"
    return _proposal(team, conversation, video, title, written, prepared, [f"{found['title']}: {found['fix']}"])


# -- the agent chat -----------------------------------------------------------------------------------------


def attach_failure(team: Team, session_id: str, video_id: int) -> FailureContext:
    """Attach a take's failure to a chat session: stored as the session's opening message, with its context."""
    context = failure_context(team.runtime.db, video_id)
    known = knowledge.diagnose(context.facts).failure
    text = f"Attached {context.summary()}"
    if known is not knowledge.UNKNOWN:
        text += f"\n\nIt looks like **{known.title.lower()}**. Ask me why, or how to fix it."
    with team.runtime.db.write() as session:
        agent_repo.add_chat_message(
            session,
            session_id,
            "assistant",
            text,
            novela_id=context.novela_id,
            video_id=context.video_id,
            context=context.as_json(),
        )
    return context


MAX_CHAT_CHARS = 4000


def chat_reply(team: Team, session_id: str, text: str) -> Iterator[str]:
    """Store the user's message, stream the Fallback Handler's answer, then store it and close the bus request.

    The Fallback Handler has no tool that submits or pays: whatever the message asks, nothing is spent.
    """
    problem = text_problem("Your message", text, MAX_CHAT_CHARS, required=True)
    if problem:
        raise FlowError(problem)
    db = team.runtime.db
    with db.write() as session:
        earlier = [(m.role, m.content) for m in agent_repo.chat_history(session, session_id)]
        attached = agent_repo.attached_video(session, session_id)
        video_id = attached.video_id if attached else None
        novela_id = attached.novela_id if attached else None
        agent_repo.add_chat_message(session, session_id, "user", text, novela_id=novela_id, video_id=video_id)
    context = failure_context(db, video_id) if video_id is not None else None
    brief = briefing(text, context, earlier[-CHAT_HISTORY:])
    request = team.bus.send(
        USER,
        FALLBACK,
        "chat",
        {"question": text},
        conversation_id=session_id,
        novela_id=novela_id,
        video_id=video_id,
    )
    pieces: list[str] = []
    try:
        for piece in team.fallback.answer(brief, CallContext(session_id, novela_id)):
            pieces.append(piece)
            yield piece
    except Exception as exc:
        team.bus.reply_error(request, str(exc))
        raise
    answer = "".join(pieces)
    team.bus.reply(request, {"text": answer})
    with db.write() as session:
        agent_repo.add_chat_message(session, session_id, "assistant", answer, novela_id=novela_id, video_id=video_id)
