"""Queries on the media library: filtered, searched, paginated."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from vsl.db.models import MediaItem


@dataclass(frozen=True)
class MediaFilter:
    media_type: str | None = None
    novela_id: int | None = None
    source: str | None = None
    text: str = ""
    video_id: int | None = None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # PostgreSQL refuses NUL in text; none of these can be searched for


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(stmt: Select, f: MediaFilter) -> Select:
    if f.media_type:
        stmt = stmt.where(MediaItem.media_type == f.media_type)
    if f.novela_id is not None:
        stmt = stmt.where(MediaItem.novela_id == f.novela_id)
    if f.source:
        stmt = stmt.where(MediaItem.source == f.source)
    if f.video_id is not None:
        stmt = stmt.where(MediaItem.video_id == f.video_id)
    text = _CONTROL.sub("", f.text).strip()
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(MediaItem.title).like(pattern, escape="\\"),
                func.lower(MediaItem.description).like(pattern, escape="\\"),
                func.lower(MediaItem.s3_key).like(pattern, escape="\\"),
            )
        )
    return stmt


def search(session: Session, f: MediaFilter, *, offset: int = 0, limit: int = 24) -> tuple[list[MediaItem], int]:
    """One page of matching items, newest first, and the number of all matches."""
    total = session.scalar(_filtered(select(func.count(MediaItem.id)), f)) or 0
    rows = session.scalars(
        _filtered(select(MediaItem), f)
        .order_by(MediaItem.created_at.desc(), MediaItem.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def get(session: Session, item_id: int) -> MediaItem | None:
    return session.get(MediaItem, item_id)


def known_keys(session: Session, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    found = session.scalars(select(MediaItem.s3_key).where(MediaItem.s3_key.in_(keys)))
    thumbs = session.scalars(select(MediaItem.thumbnail_key).where(MediaItem.thumbnail_key.in_(keys)))
    return set(found) | {k for k in thumbs if k}


def episode_cut(session: Session, novela_id: int, episode: int) -> MediaItem | None:
    """The assembled video of one episode, if it has been assembled."""
    return session.scalars(
        select(MediaItem)
        .where(
            MediaItem.novela_id == novela_id,
            MediaItem.episode_number == episode,
            MediaItem.source == "assembled",
        )
        .order_by(MediaItem.id.desc())
    ).first()
