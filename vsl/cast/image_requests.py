"""The provider request of an image job (portrait, candidate or keyframe)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vsl.cast.prompts import resolve_ref
from vsl.catalog import normalize
from vsl.db.models import NovelaVideo
from vsl.jobs.requests import job_request
from vsl.providers.base import SubmitRequest
from vsl.storage.base import Storage


def build_image_request(session: Session, video: NovelaVideo, storage: Storage) -> SubmitRequest:
    """Normalized parameters with stored references made readable by the provider; for the local renderer,
    what a labelled stand-in needs (kind, name, aspect ratio, seed)."""
    provider = video.provider or "local"
    params = normalize(video.model_id, video.model_parameters)
    if provider == "local":
        params = {k: params[k] for k in ("aspect_ratio", "seed") if params.get(k) is not None}
    elif params.get("image_prompt"):
        params["image_prompt"] = resolve_ref(str(params["image_prompt"]), provider, storage)
    details = video.scene_details or {}
    purpose, label = details.get("purpose"), details.get("label", "")
    return job_request(video, video.script_prompt, params, purpose=purpose, label=label)
