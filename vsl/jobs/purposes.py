"""What differs between a video take and an image job inside the worker: how its request is built, how its
output is stored and recorded, and whether it counts as a made video (docs/adr/0004-image-jobs.md).

Everything else (claiming, leases, submit, polling, cancel, budget settlement, events) is the same code path.
"""

from __future__ import annotations

import mimetypes
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.cast.image_jobs import image_key, link_output
from vsl.cast.image_requests import build_image_request
from vsl.cast.images import purpose
from vsl.cast.prompts import prepare
from vsl.db.models import MediaItem, NovelaVideo
from vsl.jobs.outputs import StageError, StoredOutput, record_media, store_output
from vsl.jobs.requests import build_request
from vsl.media import MediaError
from vsl.media.thumbnails import make_thumbnail
from vsl.providers.base import JobSnapshot, SubmitRequest
from vsl.storage.base import Storage, StorageError
from vsl.storage.fetch import download
from vsl.storage.s3 import S3Storage


@dataclass(frozen=True)
class Purpose:
    request: Callable[[Session, NovelaVideo, Storage], SubmitRequest]
    store: Callable[[NovelaVideo, JobSnapshot, Storage], StoredOutput]
    record: Callable[[Session, NovelaVideo, StoredOutput], object]
    counts_as_video: int  # added to novela.created_videos on completion


def _take_request(session: Session, video: NovelaVideo, storage: Storage) -> SubmitRequest:
    return prepare(session, video, build_request(session, video), storage)


def _fetch(snap: JobSnapshot, storage: Storage, local: Path) -> Path:
    try:
        if snap.output_key and isinstance(storage, S3Storage):
            return storage.download_to(storage.reference(snap.output_key).key, local)
        if snap.output_path:
            return Path(snap.output_path)
        if snap.output_url:
            download(snap.output_url, local)
            return local
    except StorageError as exc:
        raise StageError("download", str(exc)) from exc
    raise StageError("download", "the provider reported success but gave no image")


def store_image(video: NovelaVideo, snap: JobSnapshot, storage: Storage) -> StoredOutput:
    """Check the output is an image, store it under images/ (a Lambda output already in the bucket is
    referenced where it is), thumbnail it."""
    with tempfile.TemporaryDirectory(prefix="vsl-img-") as tmp:
        local = _fetch(snap, storage, Path(tmp) / "output")
        try:
            with Image.open(local) as picture:
                fmt = (picture.format or "png").lower()
                picture.verify()
        except (OSError, SyntaxError) as exc:
            raise StageError("download", f"the provider's output is not an image ({exc.__class__.__name__})") from exc
        content_type = snap.content_type or mimetypes.types_map.get(f".{fmt}", "image/png")
        try:
            if snap.output_key and isinstance(storage, S3Storage):
                info = storage.reference(snap.output_key)
            else:
                info = storage.put_file(image_key(video, "jpg" if fmt == "jpeg" else fmt), local, content_type)
        except StorageError as exc:
            raise StageError("store", str(exc)) from exc
        thumb_key, warning = f"thumbnails/{info.key.rsplit('.', 1)[0]}.jpg", None
        try:
            storage.put_file(thumb_key, make_thumbnail(local, "image", Path(tmp) / "thumb.jpg"), "image/jpeg")
        except (MediaError, StorageError) as exc:
            thumb_key, warning = None, f"thumbnail failed: {exc}"
    return StoredOutput(info.key, info.size, None, content_type, thumb_key, warning)


def record_image(session: Session, video: NovelaVideo, out: StoredOutput) -> MediaItem:
    """The library row (media type image) once, and the image attached to its asset or keyframe."""
    link_output(session, video, out.key)
    existing = session.scalars(
        select(MediaItem).where((MediaItem.video_id == video.id) | (MediaItem.s3_key == out.key))
    ).first()
    if existing:
        return existing
    item = MediaItem(
        s3_key=out.key,
        media_type="image",
        content_type=out.content_type,
        file_size_bytes=out.size,
        title=video.title,
        description=video.script_prompt[:2000],
        tags=[(video.scene_details or {}).get("purpose", "image"), video.model_id],
        source="generated",
        novela_id=video.novela_id,
        video_id=video.id,
        job_id=video.job_id,
        thumbnail_key=out.thumbnail_key,
    )
    session.add(item)
    session.flush()
    return item


TAKE = Purpose(_take_request, store_output, record_media, 1)
IMAGE = Purpose(build_image_request, store_image, record_image, 0)


def purpose_of(video: NovelaVideo) -> Purpose:
    return IMAGE if purpose(video) else TAKE
