"""Queries on scene takes (`novela_videos`) and their job events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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


def planned_episodes(session: Session, novela_id: int) -> list[int]:
    rows = session.scalars(select(NovelaVideo.episode_number).where(NovelaVideo.novela_id == novela_id).distinct())
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
