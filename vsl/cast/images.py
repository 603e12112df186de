"""Planning image jobs: portraits and candidates of an asset, start and end keyframes of a scene.

An image job is a planned `novela_videos` row in episode 0 with `scene_details["purpose"]`; it is then priced,
confirmed, reserved, run, stored and recorded exactly like a video take (docs/adr/0004-image-jobs.md). Nothing
here spends: the caller shows `vsl.jobs.actions.quote` of the returned ids in the confirmation dialog.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from vsl.cast import repo
from vsl.cast.names import BadAsset, spoken
from vsl.cast.prompts import expand_prompt, scene_cast
from vsl.catalog import get_catalog
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import Asset, Keyframe, NovelaVideo

IMAGE_PURPOSES = ("portrait", "keyframe")
MAX_CANDIDATES = 4
_SHOT = {
    "character": "Character reference portrait of {who}. Neutral studio background, soft light, head and shoulders.",
    "location": "Establishing shot of {who}. No people, wide angle.",
    "prop": "Product shot of {who} on a plain background.",
}


def image_models() -> list[str]:
    return [m.id for m in get_catalog().models("image")]


def _check_model(model_id: str) -> None:
    if model_id not in image_models():
        raise BadAsset(f"{model_id!r} does not make images; choose one of {', '.join(image_models())}.")


def _params(model_id: str, aspect_ratio: str, seed: int | None) -> dict[str, Any]:
    spec = get_catalog().get(model_id)
    params: dict[str, Any] = {"aspect_ratio": aspect_ratio}
    if seed is not None and spec.param("seed"):
        seed_max = int(spec.param("seed").maximum or 2**31 - 1)  # type: ignore[union-attr]
        params["seed"] = seed % (seed_max + 1)
    if spec.param("num_outputs"):
        params["num_outputs"] = 1  # one row per candidate: each is priced, stored and picked on its own
    return params


def _job(session: Session, novela_id: int, model_id: str, title: str, prompt: str, params: dict, details: dict):
    return video_repo.plan_job(session, novela_id, (repo.CAST_EPISODE, 0), model_id, title, prompt, params, details)


def portrait_prompt(model_id: str, asset: Asset) -> str:
    who = expand_prompt(model_id, f"@{asset.name}", {asset.name_key: asset})
    return _SHOT.get(asset.kind, _SHOT["prop"]).format(who=who.rstrip(","))


def plan_portraits(db: Database, asset_id: int, model_id: str, count: int = 1) -> list[int]:
    """`count` candidate images of an asset, each a planned image job; returns their ids for the quote."""
    _check_model(model_id)
    if not 1 <= count <= MAX_CANDIDATES:
        raise BadAsset(f"Ask for 1 to {MAX_CANDIDATES} candidates at a time (got {count}).")
    with db.write() as session:
        asset = repo.asset(session, asset_id)
        if asset is None:
            raise BadAsset("That asset no longer exists.")
        novela = novela_repo.get(session, asset.novela_id)
        base_seed = (novela.master_seed if novela and novela.master_seed is not None else 0) + asset.id * 101
        aspect = "1:1" if asset.kind == "character" else "16:9"
        rows = [
            _job(
                session,
                asset.novela_id,
                model_id,
                f"{spoken(asset.name)}: candidate {n + 1} of {count}",
                portrait_prompt(model_id, asset),
                _params(model_id, aspect, base_seed + n),
                {"purpose": "portrait", "asset_id": asset.id, "label": f"Portrait of {spoken(asset.name)}"},
            )
            for n in range(count)
        ]
        return [r.id for r in rows]


def plan_keyframe(db: Database, video_id: int, model_id: str, position: str = "start") -> int:
    """A start (or end) frame for the scene of take `video_id`, from its prompt and cast; returns the job id."""
    _check_model(model_id)
    if position not in ("start", "end"):
        raise BadAsset("A keyframe is the start or the end frame of a scene.")
    with db.write() as session:
        take = video_repo.get(session, video_id)
        if take is None or take.episode_number == repo.CAST_EPISODE:
            raise BadAsset("That scene take no longer exists.")
        members = scene_cast(session, take)
        cast = {m.asset.name_key: m.asset for m in members}
        prompt = f"Film still, the {position} of the scene: " + expand_prompt(model_id, take.script_prompt, cast)
        params = _params(model_id, take.model_parameters.get("aspect_ratio") or "16:9", take.take * 7 + take.id)
        reference = next((m.reference for m in members if m.reference), None)
        if reference and get_catalog().get(model_id).param("image_prompt"):
            params["image_prompt"] = reference  # FLUX1.1 [pro] composes from the first cast member's reference
        frame = Keyframe(
            novela_id=take.novela_id,
            episode_number=take.episode_number,
            scene_number=take.scene_number,
            position=position,
            source="generated",
        )
        session.add(frame)
        session.flush()
        label = f"E{take.episode_number} S{take.scene_number} {position} frame"
        details = {"purpose": "keyframe", "keyframe_id": frame.id, "label": label}
        row = _job(session, take.novela_id, model_id, label, prompt, params, details)
        frame.video_id = row.id
        return row.id


def approve_keyframe(db: Database, keyframe_id: int, approved: bool = True) -> None:
    with db.write() as session:
        frame = session.get(Keyframe, keyframe_id)
        if frame is None or frame.ref is None:
            raise BadAsset("That keyframe has no image yet.")
        frame.approved = approved


def purpose(video: NovelaVideo) -> str | None:
    value = (video.scene_details or {}).get("purpose")
    return value if value in IMAGE_PURPOSES else None
