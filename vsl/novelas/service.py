"""Novela use cases: create, read, update, delete, plan scenes, status changes and cost totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, func, select

from vsl.catalog import resolution_of
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import MediaItem, Novela, NovelaVideo, utcnow
from vsl.jobs.states import HOLDS_MONEY
from vsl.money import ZERO
from vsl.novelas import validation
from vsl.novelas.estimate import plan_estimate
from vsl.novelas.validation import NovelaInput, NovelaInvalid
from vsl.storage.base import Storage, StorageError

STATUS_MOVES: dict[str, frozenset[str]] = {
    "planning": frozenset({"in_progress", "paused"}),
    "in_progress": frozenset({"paused", "completed"}),
    "paused": frozenset({"in_progress"}),
    "completed": frozenset({"in_progress"}),
}


class NovelaNotFound(LookupError):
    pass


class IllegalNovelaStatus(ValueError):
    pass


class NovelaBusy(ValueError):
    """The novela has jobs in flight; the action would lose track of money."""


@dataclass(frozen=True)
class CostSummary:
    estimated: Decimal
    reserved: Decimal
    spent: Decimal
    budget: Decimal | None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent - self.reserved


def _new_novela(data: NovelaInput) -> Novela:
    params = validation.model_params(data)
    return Novela(
        title=data.title,
        genre=data.genre,
        description=data.description,
        premise=data.premise,
        target_episodes=data.episodes,
        scenes_per_episode=data.scenes_per_episode,
        default_model_id=data.default_model_id,
        default_duration=data.default_duration,
        default_resolution=resolution_of(data.default_model_id, params) or data.default_resolution,
        default_parameters=params,
        reference_character_images=[c.as_dict() for c in data.characters],
        story_bible=data.story_bible,
        master_seed=data.master_seed,
        budget=data.budget,
        estimated_cost=plan_estimate(data).total,
        status="planning",
    )


def create(
    db: Database, data: NovelaInput, scene_drafts: dict[tuple[int, int], dict[str, Any]] | None = None
) -> Novela:
    """Validate and store a novela with its first episode's scenes planned. Raises NovelaInvalid."""
    validation.check(data)
    novela = _new_novela(data)
    with db.write() as session:
        session.add(novela)
        session.flush()
        _plan_episode(session, novela, 1, scene_drafts or {})
    return novela


def _scene_row(novela: Novela, episode: int, scene: int, draft: dict[str, Any]) -> NovelaVideo:
    return NovelaVideo(
        novela_id=novela.id,
        episode_number=episode,
        scene_number=scene,
        take=1,
        title=(draft.get("title") or f"Episode {episode}, scene {scene}")[:200],
        script_prompt=draft.get("prompt") or default_prompt(novela, episode, scene),
        negative_prompt=draft.get("negative_prompt", ""),
        scene_details=draft.get("details", {}),
        model_id=novela.default_model_id,
        model_parameters=dict(novela.default_parameters),
        created_by_agent=draft.get("agent"),
        status="planned",
    )


def default_prompt(novela: Novela, episode: int, scene: int) -> str:
    """A starting prompt for a scene nobody has written yet; the board lets the user edit it."""
    story = novela.premise or novela.description or novela.title
    return f"{story} Episode {episode}, scene {scene}."


def revise_planned_take(db: Database, video_id: int, prompt: str, **changes: Any) -> NovelaVideo:
    """Rewrite a take that has not been generated yet (prompt, and optionally negative_prompt, title,
    details, params, created_by, validated_by). Planning only: nothing is spent."""
    problem = validation.text_problem("Prompt", prompt, validation.MAX_TEXT, required=True)
    if problem:
        raise NovelaInvalid({"prompt": problem})
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None:
            raise NovelaNotFound("That scene no longer exists.")
        if video.status != "planned":
            raise NovelaInvalid({"prompt": "Only a scene that has not been generated can be edited; regenerate it."})
        video.script_prompt = prompt
        _apply_revision(video, changes)
        return video


def _apply_revision(video: NovelaVideo, changes: dict[str, Any]) -> None:
    if "negative_prompt" in changes:
        video.negative_prompt = changes["negative_prompt"]
    if changes.get("title"):
        video.title = changes["title"][:200]
    if changes.get("details"):
        video.scene_details = {**video.scene_details, **changes["details"]}
    if changes.get("params") is not None:
        video.model_parameters = changes["params"]
    video.created_by_agent = changes.get("created_by") or video.created_by_agent
    video.validated_by_agent = changes.get("validated_by") or video.validated_by_agent


def _plan_episode(
    session: Any, novela: Novela, episode: int, drafts: dict[tuple[int, int], dict[str, Any]]
) -> list[NovelaVideo]:
    existing = {v.scene_number for v in video_repo.episode_takes(session, novela.id, episode)}
    rows = [
        _scene_row(novela, episode, scene, drafts.get((episode, scene), {}))
        for scene in range(1, novela.scenes_per_episode + 1)
        if scene not in existing
    ]
    session.add_all(rows)
    session.flush()
    return rows


def plan_episode(
    db: Database, novela_id: int, episode: int, drafts: dict[tuple[int, int], dict[str, Any]] | None = None
) -> list[NovelaVideo]:
    """Create the planned scene rows of `episode` that do not exist yet (idempotent)."""
    with db.write() as session:
        novela = _require(session, novela_id)
        if not 1 <= episode <= novela.target_episodes:
            raise NovelaInvalid({"episode": f"Episode must be from 1 to {novela.target_episodes}."})
        return _plan_episode(session, novela, episode, drafts or {})


def _require(session: Any, novela_id: int, *, lock: bool = False) -> Novela:
    novela = novela_repo.get(session, novela_id, lock=lock)
    if novela is None:
        raise NovelaNotFound(f"Novela {novela_id} does not exist (it may have been deleted).")
    return novela


def get(db: Database, novela_id: int) -> Novela:
    with db.session() as session:
        return _require(session, novela_id)


def update(db: Database, novela_id: int, **changes: Any) -> Novela:
    """Change editable fields (title, genre, description, premise, budget, story_bible) with validation."""
    allowed = {"title", "genre", "description", "premise", "budget", "story_bible", "target_episodes"}
    unknown = set(changes) - allowed
    if unknown:
        raise NovelaInvalid({k: "This field cannot be changed here." for k in unknown})
    with db.write() as session:
        novela = _require(session, novela_id, lock=True)
        _check_update(novela, changes)
        for key, value in changes.items():
            setattr(novela, key, value)
        novela.updated_at = utcnow()
        return novela


def _check_update(novela: Novela, changes: dict[str, Any]) -> None:
    draft = NovelaInput(
        title=changes.get("title", novela.title),
        genre=changes.get("genre", novela.genre),
        description=changes.get("description", novela.description),
        premise=changes.get("premise", novela.premise),
        episodes=changes.get("target_episodes", novela.target_episodes),
        scenes_per_episode=novela.scenes_per_episode,
        budget=changes.get("budget", novela.budget),
    )
    errors = {k: v for k, v in validation.problems(draft).items() if k not in {"model_settings"}}
    budget = changes.get("budget")
    if budget is not None and budget < novela.total_cost + novela.reserved_cost:
        errors["budget"] = (
            f"Budget cannot be lower than what is already spent or reserved "
            f"(${novela.total_cost + novela.reserved_cost:,.2f})."
        )
    if errors:
        raise NovelaInvalid(errors)


def set_status(db: Database, novela_id: int, target: str) -> Novela:
    with db.write() as session:
        novela = _require(session, novela_id, lock=True)
        if target not in STATUS_MOVES.get(novela.status, frozenset()):
            raise IllegalNovelaStatus(
                f"A novela cannot go from {novela.status.replace('_', ' ')} to {target.replace('_', ' ')}."
            )
        novela.status = target
        return novela


def mark_in_progress(session: Any, novela: Novela) -> None:
    """First generation of a planned novela moves it to in progress."""
    if novela.status == "planning":
        novela.status = "in_progress"


def costs(db: Database, novela_id: int) -> CostSummary:
    with db.session() as session:
        n = _require(session, novela_id)
        return CostSummary(estimated=n.estimated_cost, reserved=n.reserved_cost, spent=n.total_cost, budget=n.budget)


def media_count(db: Database, novela_id: int) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(MediaItem.id)).where(MediaItem.novela_id == novela_id)) or 0


def delete_novela(
    db: Database, novela_id: int, media: Literal["keep", "delete"], storage: Storage | None = None
) -> int:
    """Delete a novela. Its media is kept (detached) or deleted with its files; returns files deleted.

    Refused while jobs hold money, so no reservation or running job is lost.
    """
    with db.write() as session:
        novela = _require(session, novela_id, lock=True)
        busy = video_repo.in_flight_count(session, novela_id, [s.value for s in HOLDS_MONEY])
        if busy:
            raise NovelaBusy(f"{busy} job(s) of this novela are still running; cancel them or wait first.")
        items = list(session.scalars(select(MediaItem).where(MediaItem.novela_id == novela_id)))
        deleted = _delete_media_files(items, storage) if media == "delete" else 0
        if media == "delete":
            session.execute(delete(MediaItem).where(MediaItem.novela_id == novela_id))
        session.delete(novela)
    return deleted


def _delete_media_files(items: list[MediaItem], storage: Storage | None) -> int:
    if storage is None:
        raise ValueError("Deleting media needs the storage it lives in.")
    for item in items:
        for key in (item.s3_key, item.thumbnail_key):
            if key:
                try:
                    storage.delete(key)
                except StorageError as exc:
                    message = f"Could not delete {key}: {exc}. Nothing was deleted from the database."
                    raise StorageError(message) from exc
    return len(items)


def spent_or_reserved(novela: Novela) -> Decimal:
    return (novela.total_cost or ZERO) + (novela.reserved_cost or ZERO)
