"""Media library use cases: delete an item with its files, and import what the bucket holds that we do not know."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from vsl.db import media_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import MediaItem
from vsl.storage.base import ObjectInfo, Storage, StorageError

TYPES_BY_SUFFIX = {
    ".mp4": ("video", "video/mp4"),
    ".mov": ("video", "video/quicktime"),
    ".webm": ("video", "video/webm"),
    ".png": ("image", "image/png"),
    ".jpg": ("image", "image/jpeg"),
    ".jpeg": ("image", "image/jpeg"),
    ".webp": ("image", "image/webp"),
    ".mp3": ("audio", "audio/mpeg"),
    ".wav": ("audio", "audio/wav"),
    ".flac": ("audio", "audio/flac"),
}
SKIP_PREFIXES = ("thumbnails/", "references/")


class MediaNotFound(LookupError):
    pass


def delete_item(db: Database, storage: Storage, item_id: int) -> str:
    """Delete the file, its thumbnail and the row. Files first: a failure leaves the row, so nothing is orphaned.

    A scene's take whose video this was loses its file and its choice for the episode: its scene then needs a
    new take (the board says so and offers one).
    """
    with db.session() as session:
        item = media_repo.get(session, item_id)
        if item is None:
            raise MediaNotFound("That media item no longer exists.")
        keys = [k for k in (item.s3_key, item.thumbnail_key) if k]
        title = item.title or item.s3_key
    for key in keys:
        if storage.exists(key):
            storage.delete(key)
    with db.write() as session:
        row = media_repo.get(session, item_id)
        if row is not None:
            _forget_take_video(session, row)
            session.delete(row)
    return f"Deleted {title}."


def _forget_take_video(session: Session, item: MediaItem) -> None:
    take = video_repo.get(session, item.video_id) if item.video_id else None
    if take is None or take.s3_key != item.s3_key:
        return
    take.s3_key, take.thumbnail_key, take.selected = None, None, False
    video_repo.add_event(session, take.id, take.status, take.status, "Its video was deleted from the media library.")


@dataclass
class SyncReport:
    scanned: int = 0
    imported: int = 0
    skipped: int = 0


def sync_from_storage(
    db: Database, storage: Storage, progress: Callable[[SyncReport], None] | None = None, page_size: int = 500
) -> SyncReport:
    """Add a row for every media object in storage that the library does not know yet (idempotent)."""
    report, token = SyncReport(), None
    while True:
        try:
            objects, token = storage.list_page("", token, page_size)
        except StorageError as exc:
            raise StorageError(f"Listing the bucket failed after {report.scanned} objects: {exc}") from exc
        _import_page(db, objects, report)
        if progress:
            progress(report)
        if not token:
            return report


def _import_page(db: Database, objects: list[ObjectInfo], report: SyncReport) -> None:
    report.scanned += len(objects)
    candidates = [o for o in objects if _media_kind(o.key) and not o.key.startswith(SKIP_PREFIXES)]
    report.skipped += len(objects) - len(candidates)
    with db.write() as session:
        known = media_repo.known_keys(session, [o.key for o in candidates])
        for obj in candidates:
            if obj.key in known:
                continue
            media_type, content_type = _media_kind(obj.key)  # type: ignore[misc]
            session.add(
                MediaItem(
                    s3_key=obj.key,
                    media_type=media_type,
                    content_type=content_type,
                    file_size_bytes=obj.size,
                    title=PurePosixPath(obj.key).stem,
                    source="synced",
                )
            )
            report.imported += 1


def _media_kind(key: str) -> tuple[str, str] | None:
    return TYPES_BY_SUFFIX.get(PurePosixPath(key).suffix.lower())
