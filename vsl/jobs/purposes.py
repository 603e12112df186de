"""What differs between a video take, an image job and a speech job inside the worker: how its request is built,
how its output is stored and recorded, and whether it counts as a made video (docs/adr/0004-image-jobs.md,
docs/adr/0008-speech-jobs.md).

Everything else (claiming, leases, submit, polling, cancel, budget settlement, events) is the same code path.
"""

from __future__ import annotations

import mimetypes
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session

from vsl.cast.image_jobs import image_key, link_output
from vsl.cast.image_requests import build_image_request
from vsl.cast.images import purpose
from vsl.cast.prompts import prepare
from vsl.db.models import MediaItem, NovelaVideo
from vsl.jobs.outputs import (
    MediaFields,
    StageError,
    StoredOutput,
    fetch_output,
    keep_output,
    library_row,
    record_media,
    store_output,
    thumbnail_of,
)
from vsl.jobs.requests import build_request
from vsl.jobs.speech_outputs import build_speech_request, record_speech, store_speech
from vsl.providers.base import JobSnapshot, SubmitRequest
from vsl.sound.speech_jobs import is_speech
from vsl.storage.base import Storage


@dataclass(frozen=True)
class Purpose:
    request: Callable[[Session, NovelaVideo, Storage], SubmitRequest]
    store: Callable[[NovelaVideo, JobSnapshot, Storage], StoredOutput]
    record: Callable[[Session, NovelaVideo, StoredOutput], object]
    counts_as_video: int  # added to novela.created_videos on completion


def _take_request(session: Session, video: NovelaVideo, storage: Storage) -> SubmitRequest:
    return prepare(session, video, build_request(session, video), storage)


def store_image(video: NovelaVideo, snap: JobSnapshot, storage: Storage) -> StoredOutput:
    """Check the output is an image, store it under images/ (a Lambda output already in the bucket is
    referenced where it is), thumbnail it."""
    with tempfile.TemporaryDirectory(prefix="vsl-img-") as tmp:
        local = fetch_output(snap, storage, Path(tmp) / "output", "image")
        try:
            with Image.open(local) as picture:
                fmt = (picture.format or "png").lower()
                picture.verify()
        except (OSError, SyntaxError) as exc:
            raise StageError("download", f"the provider's output is not an image ({exc.__class__.__name__})") from exc
        content_type = snap.content_type or mimetypes.types_map.get(f".{fmt}", "image/png")
        info = keep_output(snap, storage, image_key(video, "jpg" if fmt == "jpeg" else fmt), local, content_type)
        thumb_key, warning = thumbnail_of(info.key, local, storage, Path(tmp), "image")
    return StoredOutput(info.key, info.size, None, content_type, thumb_key, warning)


def record_image(session: Session, video: NovelaVideo, out: StoredOutput) -> MediaItem:
    """The library row (media type image) once, and the image attached to its asset or keyframe."""
    link_output(session, video, out.key)
    tags = [(video.scene_details or {}).get("purpose", "image"), video.model_id]
    return library_row(session, video, out, MediaFields("image", video.title, tags))


TAKE = Purpose(_take_request, store_output, record_media, 1)
IMAGE = Purpose(build_image_request, store_image, record_image, 0)


SPEECH = Purpose(build_speech_request, store_speech, record_speech, 0)


def purpose_of(video: NovelaVideo) -> Purpose:
    if is_speech(video):
        return SPEECH
    return IMAGE if purpose(video) else TAKE
