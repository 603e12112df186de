"""Build the provider request for a take: normalized parameters, continuity metadata, local stand-in mapping."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from vsl.catalog import aspect_ratio_of, duration_of, get_catalog, normalize, resolution_of
from vsl.db import novela_repo
from vsl.db.models import NovelaVideo
from vsl.providers.base import SubmitRequest

LOCAL_RESOLUTIONS = ("480p", "720p")


def local_params(model_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """What the local renderer needs to stand in for `model_id`: same duration, aspect ratio and seed."""
    resolution = resolution_of(model_id, params) or "720p"
    return {
        "duration": max(1, min(10, int(duration_of(model_id, params)))),
        "aspect_ratio": aspect_ratio_of(model_id, params) or "16:9",
        "resolution": resolution if resolution in LOCAL_RESOLUTIONS else "720p",
        "seed": int(params.get("seed") or 0),
    }


def build_request(session: Session, video: NovelaVideo) -> SubmitRequest:
    spec = get_catalog().get(video.model_id)
    novela = novela_repo.get(session, video.novela_id)
    params = normalize(video.model_id, video.model_parameters)
    if video.provider == "local":
        params = local_params(video.model_id, params)
    characters = [c.get("name", "") for c in (novela.reference_character_images if novela else [])]
    present = video.scene_details.get("characters") or characters
    prompt = video.script_prompt if spec.prompt is not None or video.provider == "local" else ""
    return job_request(
        video,
        prompt,
        params,
        episode=video.episode_number,
        scene=video.scene_number,
        characters=present,
        novela_title=novela.title if novela else "",
    )


def job_request(video: NovelaVideo, prompt: str, params: dict[str, Any], **metadata: Any) -> SubmitRequest:
    """The request of any job (take, image, speech): its model, idempotency key and the metadata every provider
    gets (`novelaId`, `videoId`, the Lambda's model id, the title), plus `metadata`."""
    spec = get_catalog().get(video.model_id)
    return SubmitRequest(
        model_id=video.model_id,
        media_type=spec.media_type,
        prompt=prompt,
        params=params,
        client_request_id=video.client_request_id or "",
        metadata={
            "novelaId": video.novela_id,
            "videoId": video.id,
            "lambda_model_id": spec.lambda_model_id,
            "title": video.title,
            **metadata,
        },
    )
