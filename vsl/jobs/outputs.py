"""Turning a finished provider job into stored media: fetch or reference the file, thumbnail it, record it once."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.db.models import MediaItem, NovelaVideo
from vsl.media.ffmpeg import MediaError, probe
from vsl.media.thumbnails import make_thumbnail
from vsl.providers.base import JobSnapshot
from vsl.storage.base import ObjectInfo, Storage, StorageError
from vsl.storage.fetch import download
from vsl.storage.s3 import S3Storage


class StageError(Exception):
    """A failure in one stage of storing an output (download, store, thumbnail)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


@dataclass(frozen=True)
class StoredOutput:
    key: str
    size: int
    duration_s: Decimal | None
    content_type: str
    thumbnail_key: str | None
    warning: str | None = None


def media_key(video: NovelaVideo, suffix: str = "mp4") -> str:
    return (
        f"videos/novela-{video.novela_id}/e{video.episode_number:03d}-s{video.scene_number:03d}"
        f"-t{video.take}-{video.id}.{suffix}"
    )


def store_output(video: NovelaVideo, snap: JobSnapshot, storage: Storage) -> StoredOutput:
    """Put the finished output in storage (or reference it where it already is) and make its thumbnail."""
    with tempfile.TemporaryDirectory(prefix="vsl-out-") as tmp:
        local, info = _materialise(video, snap, storage, Path(tmp))
        key = info.key
        duration = snap.duration_seconds
        warning = None
        try:
            duration = duration or probe(local).duration_s
            thumb_key = _thumbnail(key, local, storage, Path(tmp))
        except (MediaError, StorageError) as exc:
            thumb_key, warning = None, f"thumbnail failed: {exc}"
    return StoredOutput(key, info.size, duration, snap.content_type or "video/mp4", thumb_key, warning)


def _materialise(video: NovelaVideo, snap: JobSnapshot, storage: Storage, tmp: Path) -> tuple[Path, ObjectInfo]:
    """A local copy of the output for probing, and the stored object (whose key the library records)."""
    local = tmp / "output.mp4"
    if snap.output_key and isinstance(storage, S3Storage):
        try:
            info = storage.reference(snap.output_key)  # referenced, not copied: we only read it
            storage.download_to(info.key, local)
        except StorageError as exc:
            raise StageError("store", f"the output {snap.output_key} could not be read from the bucket: {exc}") from exc
        return local, info
    if snap.output_path:
        local = Path(snap.output_path)
    elif snap.output_url:
        try:
            download(snap.output_url, local, headers=snap.output_headers)
        except StorageError as exc:
            raise StageError("download", str(exc)) from exc
    else:
        raise StageError("download", snap.error_message or "the provider reported success but gave no output")
    try:
        return local, storage.put_file(media_key(video), local, snap.content_type or "video/mp4")
    except StorageError as exc:
        raise StageError("store", str(exc)) from exc


def fetch_output(snap: JobSnapshot, storage: Storage, local: Path, what: str) -> Path:
    """A local copy of a finished image or speech job's output (a Lambda output is read from the bucket)."""
    try:
        if snap.output_key and isinstance(storage, S3Storage):
            return storage.download_to(storage.reference(snap.output_key).key, local)
        if snap.output_path:
            return Path(snap.output_path)
        if snap.output_url:
            download(snap.output_url, local, headers=snap.output_headers)
            return local
    except StorageError as exc:
        raise StageError("download", str(exc)) from exc
    raise StageError("download", snap.error_message or f"the provider reported success but gave no {what}")


def keep_output(snap: JobSnapshot, storage: Storage, key: str, local: Path, content_type: str) -> ObjectInfo:
    """Store a checked image or speech output under `key`; a Lambda output already in the bucket is referenced
    where it is."""
    try:
        if snap.output_key and isinstance(storage, S3Storage):
            return storage.reference(snap.output_key)
        return storage.put_file(key, local, content_type)
    except StorageError as exc:
        raise StageError("store", str(exc)) from exc


def thumbnail_of(key: str, local: Path, storage: Storage, tmp: Path, media_type: str) -> tuple[str | None, str | None]:
    """The stored thumbnail's key, or None and a warning: a missing thumbnail never fails a paid job."""
    try:
        return _thumbnail(key, local, storage, tmp, media_type), None
    except (MediaError, StorageError) as exc:
        return None, f"thumbnail failed: {exc}"


def _thumbnail(key: str, local: Path, storage: Storage, tmp: Path, media_type: str = "video") -> str:
    thumb = make_thumbnail(local, media_type, tmp / "thumb.jpg")
    thumb_key = f"thumbnails/{key.rsplit('.', 1)[0]}.jpg"
    storage.put_file(thumb_key, thumb, "image/jpeg")
    return thumb_key


def record_media(session: Session, video: NovelaVideo, out: StoredOutput) -> MediaItem:
    """Insert the library row for this take once; a repeated completion finds the existing row."""
    title = video.title or f"Episode {video.episode_number}, scene {video.scene_number}"
    return library_row(
        session,
        video,
        out,
        MediaFields("video", title, [f"take-{video.take}", video.model_id]),
        episode_number=video.episode_number,
        scene_number=video.scene_number,
    )


@dataclass(frozen=True)
class MediaFields:
    media_type: str
    title: str
    tags: list[str]


def library_row(
    session: Session, video: NovelaVideo, out: StoredOutput, fields: MediaFields, **extra: Any
) -> MediaItem:
    """The media library's row of a finished job, inserted once (a repeated completion finds it)."""
    existing = session.scalars(
        select(MediaItem).where((MediaItem.video_id == video.id) | (MediaItem.s3_key == out.key))
    ).first()
    if existing:
        return existing
    item = MediaItem(
        s3_key=out.key,
        media_type=fields.media_type,
        content_type=out.content_type,
        file_size_bytes=out.size,
        duration_seconds=out.duration_s,
        title=fields.title,
        description=video.script_prompt[:2000],
        tags=fields.tags,
        source="generated",
        novela_id=video.novela_id,
        video_id=video.id,
        job_id=video.job_id,
        thumbnail_key=out.thumbnail_key,
        **extra,
    )
    session.add(item)
    session.flush()
    return item
