"""What a user's click does to jobs: quote, confirm (reserve), new take, cancel, resolve an unknown submission,
let takes paused by spending past the budget go on.

Money moves only in `confirm`, which needs a `click_id` minted by the UI when it showed the quote. The click id
makes each take's client request id, so the same click confirmed twice (a double click, a rerun) reserves once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.cast.prompts import cast_problems
from vsl.catalog import validate, validate_prompt
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import Novela, NovelaVideo, utcnow
from vsl.jobs import budget, costs, transitions
from vsl.jobs.states import AT_PROVIDER, HOLDS_MONEY, JobStatus
from vsl.money import ZERO, usd
from vsl.novelas.service import NovelaNotFound, mark_in_progress
from vsl.providers.base import ProviderConflict, ProviderError
from vsl.providers.registry import ProviderRegistry

Mode = Literal["generate", "new_take"]


@dataclass(frozen=True)
class Target:
    """One take to pay for: an existing planned take (`generate`) or a new take of a scene (`new_take`)."""

    video_id: int
    mode: Mode = "generate"
    prompt: str | None = None  # new take only: a revised prompt
    params: dict[str, Any] | None = None  # new take only: revised model parameters
    negative_prompt: str | None = None  # new take only
    details: dict[str, Any] | None = None  # new take only: camera, characters, cues, continuity notes
    title: str | None = None  # new take only


@dataclass(frozen=True)
class QuoteLine:
    target: Target
    label: str
    model_id: str
    provider: str
    cost: Decimal


@dataclass(frozen=True)
class Quote:
    novela_id: int
    lines: list[QuoteLine]
    total: Decimal
    available: Decimal | None  # budget left, None without a budget
    click_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def fits(self) -> bool:
        return self.available is None or self.total <= self.available


class NothingToDo(ValueError):
    pass


class InvalidTake(NothingToDo):
    """The take's prompt or parameters are not accepted by its model."""


def quote(db: Database, registry: ProviderRegistry, targets: list[Target]) -> Quote:
    """Price `targets` for a confirmation dialog. Spends nothing."""
    if not targets:
        raise NothingToDo("There is nothing to generate.")
    with db.session() as session:
        coming = frozenset(_scene_of(session, t) for t in targets)
        lines = [_quote_line(session, registry, t, coming) for t in targets]
        novela = _novela_of(session, lines)
        total = sum((line.cost for line in lines), ZERO)
        return Quote(novela.id, lines, total, budget.available(novela))


def _scene_of(session: Session, target: Target) -> tuple[int, int]:
    video = video_repo.get(session, target.video_id)
    return (video.episode_number, video.scene_number) if video else (0, 0)


def _quote_line(
    session: Session, registry: ProviderRegistry, target: Target, coming: frozenset[tuple[int, int]]
) -> QuoteLine:
    video = video_repo.get(session, target.video_id)
    if video is None:
        raise NothingToDo(f"Scene take {target.video_id} no longer exists.")
    if target.mode == "generate" and video.status != JobStatus.PLANNED:
        raise NothingToDo(f"Episode {video.episode_number}, scene {video.scene_number} is already {video.status}.")
    params = target.params if target.params is not None else video.model_parameters
    label = video_repo.job_label(video) or f"E{video.episode_number} S{video.scene_number}" + (
        " (new take)" if target.mode == "new_take" else ""
    )
    prompt = target.prompt if target.prompt is not None else video.script_prompt
    problems = validate(video.model_id, params) + validate_prompt(video.model_id, prompt)
    problems += cast_problems(session, video, prompt, params, coming)  # unknown @Name, frames on a model taking none
    if problems:
        raise InvalidTake(f"{label} cannot be generated yet: " + " ".join(problems))
    provider = registry.route(video.model_id)
    return QuoteLine(target, label, video.model_id, provider, registry.estimate(video.model_id, params))


def _novela_of(session: Session, lines: list[QuoteLine]) -> Novela:
    novela_ids = {video_repo.get(session, line.target.video_id).novela_id for line in lines}  # type: ignore[union-attr]
    if len(novela_ids) != 1:
        raise NothingToDo("One confirmation covers the scenes of one novela.")
    novela = novela_repo.get(session, novela_ids.pop())
    if novela is None:
        raise NovelaNotFound("The novela was deleted.")
    return novela


def confirm(db: Database, registry: ProviderRegistry, q: Quote) -> list[int]:
    """Reserve the quoted takes in one transaction and queue them for the worker; returns their ids.

    Re-pricing happens here, under the novela lock, so a quote that went stale cannot overspend the budget.
    """
    with db.write() as session:
        novela = novela_repo.get(session, q.novela_id, lock=True)
        if novela is None:
            raise NovelaNotFound("The novela was deleted.")
        already = _already_confirmed(session, q.click_id)
        if already:
            return already
        takes = [_take_for(session, line.target) for line in q.lines]
        prices = [registry.estimate(v.model_id, v.model_parameters) for v in takes]
        budget.check(novela, sum(prices, ZERO))
        for i, (video, price) in enumerate(zip(takes, prices, strict=True)):
            _reserve(session, novela, video, price, f"{q.click_id}-{i}", registry.route(video.model_id))
        mark_in_progress(session, novela)
        return [v.id for v in takes]


def _already_confirmed(session: Session, click_id: str) -> list[int]:
    rows = session.scalars(
        select(NovelaVideo.id).where(NovelaVideo.client_request_id.like(f"{click_id}-%")).order_by(NovelaVideo.id)
    )
    return list(rows)


def _take_for(session: Session, target: Target) -> NovelaVideo:
    video = video_repo.get(session, target.video_id, lock=True)
    if video is None:
        raise NothingToDo(f"Scene take {target.video_id} no longer exists.")
    if target.mode == "generate":
        if video.status != JobStatus.PLANNED:
            raise NothingToDo(f"E{video.episode_number} S{video.scene_number} is already {video.status}.")
        return video
    return _new_take(session, video, target)


def _new_take(session: Session, source: NovelaVideo, target: Target) -> NovelaVideo:
    take = video_repo.latest_take_number(session, source.novela_id, source.episode_number, source.scene_number)
    video = NovelaVideo(
        novela_id=source.novela_id,
        episode_number=source.episode_number,
        scene_number=source.scene_number,
        take=take + 1,
        title=(target.title or source.title)[:200],
        script_prompt=target.prompt if target.prompt is not None else source.script_prompt,
        negative_prompt=target.negative_prompt if target.negative_prompt is not None else source.negative_prompt,
        scene_details={**source.scene_details, **(target.details or {})},
        model_id=source.model_id,
        model_parameters=dict(target.params if target.params is not None else source.model_parameters),
        created_by_agent=source.created_by_agent,
        status=JobStatus.PLANNED,
    )
    session.add(video)
    session.flush()
    video_repo.add_event(session, video.id, None, "planned", f"new take of take {source.take}")
    return video


def _reserve(
    session: Session, novela: Novela, video: NovelaVideo, price: Decimal, request_id: str, provider: str
) -> None:
    budget.reserve(novela, video, price)
    video.client_request_id = request_id
    video.provider = provider
    video.next_poll_at = None
    transitions.move(session, video, "reserved", f"reserved {price} USD", {"client_request_id": request_id})


def cancel(db: Database, registry: ProviderRegistry, video_id: int) -> str:
    """Cancel a take at whatever stage it is; returns a sentence for the user."""
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None:
            raise NothingToDo("That take no longer exists.")
        status = JobStatus(video.status)
        if status == JobStatus.STORING:
            return "This take already finished at the provider (and was charged); it is being saved."
        if status in {JobStatus.SUBMITTING, JobStatus.UNKNOWN}:
            video.cancel_requested = True
            transitions.note(session, video, "cancel requested")
            return "Cancel requested: it will be cancelled as soon as the provider confirms the job."
        if status not in AT_PROVIDER:
            return _cancel_locally(session, video)
        job_id, provider_name = video.job_id, video.provider
    return _cancel_at_provider(db, registry, video_id, job_id, provider_name)


def _cancel_locally(session: Session, video: NovelaVideo) -> str:
    status = JobStatus(video.status)
    if status in {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}:
        return f"Nothing to cancel: this take is already {status.value}."
    held = status in HOLDS_MONEY
    if held:
        budget.release(novela_repo.get(session, video.novela_id, lock=True), video)  # type: ignore[arg-type]
    if status == JobStatus.NEEDS_ATTENTION:
        transitions.move(session, video, "canceled", "canceled by the user; the submission outcome stays unknown")
        return (
            "Canceled here and its reservation released. If the provider did accept the job, it may still "
            "run and be billed by the provider."
        )
    transitions.move(session, video, "canceled", "canceled by the user before submission")
    return "Canceled; its reservation went back to the budget." if held else "Canceled; nothing had been reserved."


def _cancel_at_provider(
    db: Database, registry: ProviderRegistry, video_id: int, job_id: str | None, provider_name: str | None
) -> str:
    try:
        snap = registry.get(provider_name or "local").cancel(job_id or "")
    except ProviderConflict:
        return "The provider says this job already finished; it will appear shortly."
    except ProviderError as exc:
        return f"Could not cancel: {exc}. Try again in a moment."
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None or JobStatus(video.status) not in AT_PROVIDER:
            return "The job changed state meanwhile; see its status."
        novela = novela_repo.get(session, video.novela_id, lock=True)
        video.next_poll_at = None
        if snap.cost:  # it ran: GPU-time models bill the compute used (Replicate metrics.predict_time)
            budget.settle(novela, video, snap.cost)  # type: ignore[arg-type]
            transitions.move(session, video, "canceled", f"canceled at {provider_name}", snap.raw)
            return f"Canceled at the provider after it ran; it charged {usd(snap.cost)} for the compute used."
        budget.release(novela, video)  # type: ignore[arg-type]
        transitions.move(session, video, "canceled", f"canceled at {provider_name}")
    return "Canceled at the provider; its reservation went back to the budget."


def give_up(db: Database, video_id: int) -> str:
    """For a take needing attention: mark it failed and release its reservation."""
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None or video.status != JobStatus.NEEDS_ATTENTION:
            return "Nothing to do: that take does not need attention."
        budget.release(novela_repo.get(session, video.novela_id, lock=True), video)  # type: ignore[arg-type]
        transitions.fail(
            session,
            video,
            stage="submit",
            provider=video.provider,
            message="marked failed by the user after an unknown submission outcome",
        )
    return "Marked failed; its reservation went back to the budget."


def retry_submission(db: Database, video_id: int) -> str:
    """For a take needing attention: the user accepts a resubmission with the same client request id."""
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None or video.status != JobStatus.NEEDS_ATTENTION:
            return "Nothing to do: that take does not need attention."
        video.next_poll_at = utcnow()
        transitions.move(session, video, "reserved", "resubmission confirmed by the user (same request id)")
    return "Queued again with the same request id."


def targets_rest_of_episode(db: Database, novela_id: int, episode: int) -> list[Target]:
    """Every scene of the episode still to generate, in scene order: its planned take, or a new take where the
    latest take was canceled or its video was deleted from the library."""
    with db.session() as session:
        planned = video_repo.by_status(session, novela_id, ["planned"], episode)
        redo = [
            v
            for v in _latest_takes(session, novela_id, ["canceled", "completed"], episode)
            if v.status == "canceled" or not v.s3_key
        ]
        ordered = sorted([*planned, *redo], key=lambda v: v.scene_number)
        return [Target(v.id) if v.status == "planned" else Target(v.id, "new_take") for v in ordered]


def targets_retry_failed(db: Database, novela_id: int, episode: int | None = None) -> list[Target]:
    """A new take for every scene whose latest take failed or was canceled."""
    with db.session() as session:
        return [Target(v.id, "new_take") for v in _latest_takes(session, novela_id, ["failed", "canceled"], episode)]


def _latest_takes(session: Session, novela_id: int, statuses: list[str], episode: int | None) -> list[NovelaVideo]:
    """The takes in `statuses` that are their scene's latest take."""
    found = video_repo.by_status(session, novela_id, statuses, episode)
    latest = video_repo.latest_take_numbers(session, novela_id, episode) if found else {}
    return [v for v in found if v.take == latest.get((v.episode_number, v.scene_number))]


def accept_overspend(db: Database, novela_id: int) -> str:
    """The user lets the takes paused by spending past the budget go on (a budget raise lets them go too)."""
    with db.write() as session:
        waiting = video_repo.by_status(session, novela_id, ["reserved"])
        for video in waiting:
            video.next_poll_at = utcnow()
            transitions.note(
                session, video, "spending past the budget accepted by the user", {costs.OVERSPEND_ACCEPTED: True}
            )
    if not waiting:
        return "Nothing is waiting for the budget."
    return f"{len(waiting)} take(s) will be submitted although spending has passed the budget."
