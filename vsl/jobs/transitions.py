"""Apply a status change to a take, with its `job_events` row, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from vsl.db import video_repo
from vsl.db.models import NovelaVideo, utcnow
from vsl.jobs.states import check_transition


def move(
    session: Session,
    video: NovelaVideo,
    target: str,
    message: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    """Change `video.status` to `target` (raising IllegalTransition if not allowed) and record the event."""
    check_transition(video.status, target)
    previous = video.status
    video.status = target
    video.updated_at = utcnow()
    video_repo.add_event(session, video.id, previous, target, message, payload)


def note(session: Session, video: NovelaVideo, message: str, payload: dict[str, Any] | None = None) -> None:
    """Record an event that does not change the status (progress, a retry, a warning)."""
    video_repo.add_event(session, video.id, video.status, video.status, message, payload)


def fail(
    session: Session,
    video: NovelaVideo,
    *,
    stage: str,
    provider: str | None,
    message: str,
    code: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Mark failed with the stage, provider and the provider's own words."""
    video.failure_stage = stage
    video.failure_provider = provider
    video.failure_code = code
    video.failure_message = message
    video.next_poll_at = None
    move(session, video, "failed", f"{stage} failed at {provider or 'app'}: {message}", payload)
