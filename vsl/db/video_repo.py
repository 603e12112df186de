"""Queries on scene takes (`novela_videos`) and their job events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vsl.db.models import JobEvent, NovelaVideo, utcnow


def get(session: Session, video_id: int, *, lock: bool = False) -> NovelaVideo | None:
    stmt = select(NovelaVideo).where(NovelaVideo.id == video_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def episode_takes(session: Session, novela_id: int, episode: int) -> list[NovelaVideo]:
    """Every take of every scene of one episode, by scene then take."""
    return list(
        session.scalars(
            select(NovelaVideo)
            .where(NovelaVideo.novela_id == novela_id, NovelaVideo.episode_number == episode)
            .order_by(NovelaVideo.scene_number, NovelaVideo.take)
        )
    )


def scene_takes(session: Session, novela_id: int, episode: int, scene: int) -> list[NovelaVideo]:
    return list(
        session.scalars(
            select(NovelaVideo)
            .where(
                NovelaVideo.novela_id == novela_id,
                NovelaVideo.episode_number == episode,
                NovelaVideo.scene_number == scene,
            )
            .order_by(NovelaVideo.take)
        )
    )


def latest_take_number(session: Session, novela_id: int, episode: int, scene: int) -> int:
    return (
        session.scalar(
            select(func.max(NovelaVideo.take)).where(
                NovelaVideo.novela_id == novela_id,
                NovelaVideo.episode_number == episode,
                NovelaVideo.scene_number == scene,
            )
        )
        or 0
    )


def latest_take_numbers(session: Session, novela_id: int, episode: int | None = None) -> dict[tuple[int, int], int]:
    """(episode, scene) → `latest_take_number`, for every scene of the novela (or of one episode) in one query."""
    scene = (NovelaVideo.episode_number, NovelaVideo.scene_number)
    stmt = select(*scene, func.max(NovelaVideo.take)).where(NovelaVideo.novela_id == novela_id).group_by(*scene)
    if episode is not None:
        stmt = stmt.where(NovelaVideo.episode_number == episode)
    return {(e, s): take for e, s, take in session.execute(stmt)}


def planned_episodes(session: Session, novela_id: int) -> list[int]:
    episodes = select(NovelaVideo.episode_number).where(
        NovelaVideo.novela_id == novela_id, NovelaVideo.episode_number > 0
    )
    rows = session.scalars(episodes.distinct())  # episode 0 holds image jobs (docs/adr/0004-image-jobs.md)
    return sorted(rows)


def by_status(
    session: Session, novela_id: int, statuses: Sequence[str], episode: int | None = None
) -> list[NovelaVideo]:
    stmt = select(NovelaVideo).where(NovelaVideo.novela_id == novela_id, NovelaVideo.status.in_(statuses))
    if episode is not None:
        stmt = stmt.where(NovelaVideo.episode_number == episode)
    return list(session.scalars(stmt.order_by(NovelaVideo.episode_number, NovelaVideo.scene_number, NovelaVideo.take)))


def claim(
    session: Session,
    statuses: Sequence[str],
    now: datetime,
    limit: int,
    providers: tuple[Sequence[str], bool] | None = None,
) -> list[NovelaVideo]:
    """Lock and return due jobs. On PostgreSQL, `SKIP LOCKED` lets several workers share the queue.

    `providers=(names, True)` claims only jobs of those providers, `(names, False)` only jobs of others."""
    stmt = (
        select(NovelaVideo)
        .where(
            NovelaVideo.status.in_(statuses),
            or_(NovelaVideo.next_poll_at.is_(None), NovelaVideo.next_poll_at <= now),
        )
        .order_by(NovelaVideo.next_poll_at.is_(None).desc(), NovelaVideo.next_poll_at, NovelaVideo.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if providers is not None:
        names, inside = providers
        of_provider = func.coalesce(NovelaVideo.provider, "local").in_(names)
        stmt = stmt.where(of_provider if inside else ~of_provider)
    return list(session.scalars(stmt))


def in_flight_count(session: Session, novela_id: int | None, statuses: Sequence[str]) -> int:
    stmt = select(func.count(NovelaVideo.id)).where(NovelaVideo.status.in_(statuses))
    if novela_id is not None:
        stmt = stmt.where(NovelaVideo.novela_id == novela_id)
    return session.scalar(stmt) or 0


def plan_job(
    session: Session,
    novela_id: int,
    at: tuple[int, int],
    model_id: str,
    title: str,
    prompt: str,
    params: dict,
    details: dict,
) -> NovelaVideo:
    """A planned row at (episode, scene) with the next take number: an image or speech job (ADR 0004, 0008)."""
    episode, scene = at
    row = NovelaVideo(
        novela_id=novela_id,
        episode_number=episode,
        scene_number=scene,
        take=latest_take_number(session, novela_id, episode, scene) + 1,
        title=title[:200],
        script_prompt=prompt,
        model_id=model_id,
        model_parameters=params,
        scene_details=details,
        status="planned",
    )
    session.add(row)
    session.flush()
    add_event(session, row.id, None, "planned", title)
    return row


def job_label(video: NovelaVideo) -> str | None:
    """The quote line of an image or speech job ("Portrait of Isabel"), None for a scene take."""
    details = video.scene_details or {}
    return details.get("label") if details.get("purpose") else None


def add_event(
    session: Session,
    video_id: int,
    from_status: str | None,
    to_status: str,
    message: str,
    payload: dict[str, Any] | None = None,
) -> None:
    session.add(
        JobEvent(
            video_id=video_id,
            from_status=from_status,
            to_status=to_status,
            message=message,
            payload=payload or {},
            created_at=utcnow(),
        )
    )


def events(session: Session, video_id: int) -> list[JobEvent]:
    return list(session.scalars(select(JobEvent).where(JobEvent.video_id == video_id).order_by(JobEvent.id)))


def spend_over_time(session: Session, novela_id: int) -> list[tuple[datetime, Any]]:
    """(completion time, actual cost) of every settled take, oldest first, for the spend chart."""
    rows = session.execute(
        select(NovelaVideo.completed_at, NovelaVideo.actual_cost)
        .where(
            NovelaVideo.novela_id == novela_id,
            NovelaVideo.actual_cost.is_not(None),
            NovelaVideo.completed_at.is_not(None),
        )
        .order_by(NovelaVideo.completed_at)
    )
    return [(t, c) for t, c in rows]


def take_numbers(session: Session, video_ids: Sequence[int]) -> dict[int, int]:
    """Take number of each of these takes (ids of takes that no longer exist are left out)."""
    if not video_ids:
        return {}
    rows = session.execute(select(NovelaVideo.id, NovelaVideo.take).where(NovelaVideo.id.in_(list(video_ids))))
    return {video_id: take for video_id, take in rows}


def in_flight_since_before(
    session: Session, novela_id: int, statuses: Sequence[str], before: datetime
) -> list[NovelaVideo]:
    """Takes in `statuses` that were already reserved before `before` (say, when this server started): the ones
    a worker resumes after a restart. Times are compared in Python, as SQLite keeps them without a zone."""
    takes = list(
        session.scalars(
            select(NovelaVideo)
            .where(NovelaVideo.novela_id == novela_id, NovelaVideo.status.in_(statuses))
            .order_by(NovelaVideo.episode_number, NovelaVideo.scene_number, NovelaVideo.take)
        )
    )
    if not takes:
        return []
    reserved = session.execute(
        select(JobEvent.video_id, func.min(JobEvent.created_at))
        .where(JobEvent.video_id.in_([t.id for t in takes]), JobEvent.to_status == "reserved")
        .group_by(JobEvent.video_id)
    )
    early = {video_id for video_id, when in reserved if _aware(when) < _aware(before)}
    return [t for t in takes if t.id in early]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
