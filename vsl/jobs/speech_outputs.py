"""A speech job inside the worker: its request, and its recording checked, stored under audio/ and put in the
media library (docs/adr/0008-speech-jobs.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from vsl.catalog import normalize
from vsl.db.models import MediaItem, NovelaVideo
from vsl.jobs.outputs import MediaFields, StageError, StoredOutput, fetch_output, keep_output, library_row, thumbnail_of
from vsl.jobs.requests import job_request
from vsl.media.ffmpeg import MediaError, probe
from vsl.providers.base import JobSnapshot, SubmitRequest
from vsl.storage.base import Storage


def build_speech_request(session: Session, video: NovelaVideo, storage: Storage) -> SubmitRequest:
    """speech-02-hd takes no prompt: the line is its `text` parameter, so the prompt is left empty."""
    details = video.scene_details or {}
    params = normalize(video.model_id, video.model_parameters)
    return job_request(video, "", params, purpose=details.get("purpose"), label=details.get("label", ""))


def speech_key(video: NovelaVideo, suffix: str) -> str:
    return f"audio/novela-{video.novela_id}/line-{video.id}.{suffix}"


def store_speech(video: NovelaVideo, snap: JobSnapshot, storage: Storage) -> StoredOutput:
    """Check the output holds sound (a picture or a page of text is refused), store it, draw its waveform."""
    with tempfile.TemporaryDirectory(prefix="vsl-speech-") as tmp:
        local = fetch_output(snap, storage, Path(tmp) / "output", "recording")
        try:
            media = probe(local)
        except MediaError as exc:
            raise StageError("download", f"the provider's output is not a sound file: {exc}") from exc
        if not media.has_audio:
            raise StageError("download", "the provider's output has no sound")
        suffix = str((video.model_parameters or {}).get("audio_format") or "mp3")
        content_type = snap.content_type or ("audio/mpeg" if suffix == "mp3" else f"audio/{suffix}")
        info = keep_output(snap, storage, speech_key(video, suffix), local, content_type)
        thumb_key, warning = thumbnail_of(info.key, local, storage, Path(tmp), "audio")
    return StoredOutput(info.key, info.size, media.duration_s, content_type, thumb_key, warning)


def record_speech(session: Session, video: NovelaVideo, out: StoredOutput) -> MediaItem:
    tags = ["speech", str((video.scene_details or {}).get("speaker") or ""), video.model_id]
    return library_row(session, video, out, MediaFields("audio", video.title, [t for t in tags if t]))
