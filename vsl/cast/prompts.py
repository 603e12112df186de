"""Carrying the cast into a take: `@Name` → look description, reference images, first and last frames.

`cast_problems` runs when a take is quoted (an unknown `@Name`, a keyframe or chaining on a model that takes no
image); `prepare` runs when the worker builds the provider request and rewrites it. What did not fit the model
(more assets than it takes references, references outside 16:9/8 s) is written to the take's `scene_details`.
"""

from __future__ import annotations

import base64
import mimetypes
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from vsl.cast import repo
from vsl.cast.keyframes import ChainUnavailable, chain_pending, chain_source, frames_for, previous_scene
from vsl.cast.names import mentions, replace_mentions, spoken
from vsl.catalog import get_catalog, validate
from vsl.catalog.validation import MEDIA_PREFIX
from vsl.db.models import Asset, AssetImage, NovelaVideo
from vsl.media import MediaError
from vsl.providers.base import SubmitRequest
from vsl.storage.base import Storage, StorageError
from vsl.storage.s3 import S3Storage

KIND_ORDER = {"character": 0, "prop": 1, "location": 2}
FIRST_FRAME_PARAMS = ("image", "input_image")  # veo-3.1(-fast) | stable-video-diffusion
URL_TTL_S = 6 * 3600
FRAME_DIR = Path(tempfile.gettempdir()) / "vsl-cast-frames"


@dataclass(frozen=True)
class CastMember:
    asset: Asset
    reference: str | None  # the chosen image's ref
    mentions: int  # times named in the prompt; 0 when only linked to the scene
    first_at: int  # position of the first mention (ties go to who is named first)


# ── phrasing ──────────────────────────────────────────────────────────────────────────────────────────────
def phrase(model_id: str, asset: Asset) -> str:
    """The asset as the target model reads best: Veo and Wan take a parenthesis, image models a clause."""
    name, look = spoken(asset.name), asset.look.strip().rstrip(".")
    if not look:
        return name
    if get_catalog().get(model_id).media_type == "image":
        return f"{name}, {look},"
    return f"{name} ({look})"


def expand_prompt(model_id: str, prompt: str, cast: dict[str, Asset]) -> str:
    return replace_mentions(prompt, {key: phrase(model_id, asset) for key, asset in cast.items()})


# ── checks before pricing ─────────────────────────────────────────────────────────────────────────────────
def first_frame_param(model_id: str) -> str | None:
    spec = get_catalog().get(model_id)
    return next((p for p in FIRST_FRAME_PARAMS if spec.param(p)), None)


def takes_first_frame(model_id: str) -> bool:
    """Whether a model can start from a given frame (the local preview animates from one too)."""
    return first_frame_param(model_id) is not None or get_catalog().get(model_id).provider == "local"


def image_models() -> list[str]:
    """Video models that take a first frame."""
    return [m.id for m in get_catalog().models("video") if takes_first_frame(m.id)]


def takes_last_frame(model_id: str) -> bool:
    return get_catalog().get(model_id).param("last_frame") is not None


def end_frame_models() -> list[str]:
    """Video models that can end on a given frame (`last_frame`)."""
    return [m.id for m in get_catalog().models("video") if takes_last_frame(m.id)]


def no_end_frame(model_id: str) -> str:
    """Why a scene on this model offers no end frame, naming the models that take one."""
    names = [get_catalog().get(m).display_name for m in end_frame_models()]
    listed = " and ".join(n for n in (", ".join(names[:-1]), names[-1] if names else "") if n) or "no model"
    verb = "do" if len(names) > 1 else "does"
    return f"{get_catalog().get(model_id).display_name} takes no end frame; {listed} {verb}."


def _voided_by_refs(model_id: str, param: str) -> bool:
    """Whether the model takes `param` or reference images, not both (Veo 3.1: `image` and `last_frame`)."""
    return any(
        c.kind == "ignored_with" and c.param == param and c.when_present == "reference_images"
        for c in get_catalog().get(model_id).constraints
    )


def end_needs_start(model_id: str) -> bool:
    """Whether the model ends on a given frame only when it also starts from one (Veo: `last_frame` needs `image`)."""
    return any(
        c.kind == "needs" and c.param == "last_frame" and c.value is None and "image" in c.needs
        for c in get_catalog().get(model_id).constraints
    )


def _end_frame(video: NovelaVideo, provider: str, frames: dict[str, str]) -> str:
    """Why the scene's approved end frame is not sent; "" when it is (or there is none)."""
    if not frames.get("end"):
        return ""
    spec = get_catalog().get(video.model_id)
    if provider == "local":
        return "end frame not sent: the offline preview starts on a given frame but does not end on one"
    if not takes_last_frame(video.model_id):
        models = ", ".join(end_frame_models())
        return f"end frame not sent: {spec.display_name} takes no end frame (models that do: {models})"
    if not frames.get("start") and end_needs_start(video.model_id):
        return (
            f"end frame not sent: {spec.display_name} ends on a given frame only when it also starts from one "
            "(last_frame needs image); approve a start frame or continue from the previous scene"
        )
    return ""


def _refs_give_way(video: NovelaVideo, frames: dict[str, str], refs: list[str], note: str) -> tuple[list[str], str]:
    """The frames a scene chose win over its cast's reference images on a model that takes not both (Veo 3.1);
    the take says so."""
    params = {"start": first_frame_param(video.model_id), "end": "last_frame"}
    clashing = [p for pos, p in params.items() if frames.get(pos) and p and _voided_by_refs(video.model_id, p)]
    if not refs or not clashing:
        return refs, note
    dropped = (
        f"reference images not sent: {get_catalog().get(video.model_id).display_name} takes no reference images "
        f"beside {' and '.join(clashing)}, and this scene has its own"
    )
    return [], "; ".join(n for n in (note, dropped) if n)


def cast_problems(
    session: Session,
    video: NovelaVideo,
    prompt: str,
    params: dict[str, Any],
    coming: frozenset[tuple[int, int]] = frozenset(),
) -> list[str]:
    """Why this take cannot be priced yet because of its cast or frames; [] when it can. A chained take may
    wait for its previous scene when that scene is in the same confirmation (`coming`) or already on its way."""
    if video.episode_number == repo.CAST_EPISODE:
        return []
    known = repo.by_key(session, video.novela_id)
    unknown = list(dict.fromkeys(f"@{m.name}" for m in mentions(prompt) if m.key not in known))
    problems = []
    if unknown:
        cast = ", ".join(f"@{a.name}" for a in known.values()) or "nobody yet"
        problems.append(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the cast (cast: {cast}); "
            "add it on the Cast page or fix the prompt."
        )
    if (video.scene_details or {}).get("chain") and previous_scene(session, video) not in coming:
        try:
            chain_source(session, video)
        except ChainUnavailable as exc:
            if chain_pending(session, video) is None:
                problems.append(f"{exc} (or turn off “Continue from the previous scene”)")
    if frames_for(session, video) and not takes_first_frame(video.model_id):
        name = get_catalog().get(video.model_id).display_name
        problems.append(
            f"{name} takes no image, so this scene's keyframe or chained first frame cannot be used; "
            f"choose a model that does ({', '.join(image_models())}) or turn the frame off."
        )
    return problems


# ── the request ───────────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class NovelaCast:
    assets: dict[str, Asset]  # by name key
    images: dict[int, list[AssetImage]]  # asset id → its images, the chosen one first


def novela_cast(session: Session, novela_id: int) -> NovelaCast:
    assets = repo.by_key(session, novela_id)
    return NovelaCast(assets, repo.images(session, [a.id for a in assets.values()]))


def scene_cast(session: Session, video: NovelaVideo) -> list[CastMember]:
    """Who is in the take: those its prompt names and those linked to its scene, the most relevant first."""
    linked = repo.scene_links(session, video.novela_id, video.episode_number, video.scene_number)
    return cast_of(video, novela_cast(session, video.novela_id), set(linked))


def cast_of(video: NovelaVideo, cast: NovelaCast, linked: Collection[int]) -> list[CastMember]:
    """`scene_cast` from the novela's cast and the ids of the assets linked to the take's scene."""
    found = mentions(video.script_prompt)
    members = []
    for key, asset in cast.assets.items():
        named = [m for m in found if m.key == key]
        if named or asset.id in linked:
            ref = next((i.ref for i in cast.images[asset.id] if i.chosen), None)
            members.append(CastMember(asset, ref, len(named), named[0].start if named else 10**9))
    return sorted(members, key=lambda m: (-m.mentions, KIND_ORDER.get(m.asset.kind, 9), m.first_at, m.asset.name))


def resolve_ref(ref: str, provider: str, storage: Storage) -> str:
    """A `media:<key>` made readable by the provider: a local path for the local renderer, a presigned URL
    from the bucket, or a data URI of the file (Replicate and the Lambda API accept both)."""
    if not ref.startswith(MEDIA_PREFIX):
        return ref
    key = ref[len(MEDIA_PREFIX) :]
    if provider == "local":
        FRAME_DIR.mkdir(parents=True, exist_ok=True)
        return str(storage.download_to(key, FRAME_DIR / key.replace("/", "_")))
    if isinstance(storage, S3Storage):
        return storage.playback_source(key, URL_TTL_S)
    content_type = mimetypes.guess_type(key)[0] or "image/png"
    return f"data:{content_type};base64,{base64.b64encode(storage.get_bytes(key)).decode()}"


def _references(video: NovelaVideo, params: dict[str, Any], members: list[CastMember]) -> tuple[list[str], str]:
    """The reference images the model will take, and a note on those left out."""
    spec = get_catalog().get(video.model_id)
    with_refs = [m for m in members if m.reference]
    if not with_refs or not spec.max_reference_images:
        return [], ""
    kept = with_refs[: spec.max_reference_images]
    if validate(video.model_id, {**params, "reference_images": ["media:x"] * len(kept)}):
        names = ", ".join(spoken(m.asset.name) for m in with_refs)
        return [], f"reference images of {names} not sent: {spec.display_name} takes them only with 16:9 and 8 s"
    left = [spoken(m.asset.name) for m in with_refs[len(kept) :]]
    note = f"{spec.display_name} takes {len(kept)} reference images; left out: {', '.join(left)}" if left else ""
    return [m.reference for m in kept if m.reference], note


def _frames(session: Session, video: NovelaVideo, storage: Storage) -> tuple[dict[str, str], str]:
    """The frames this take starts (and ends) on, and a note when chaining had to be skipped."""
    try:
        return frames_for(session, video, storage), ""
    except (ChainUnavailable, StorageError, MediaError) as exc:
        video.scene_details = {**video.scene_details, "chain": False}
        return frames_for(session, video, storage), f"not chained: {exc}"


def prepare(session: Session, video: NovelaVideo, request: SubmitRequest, storage: Storage) -> SubmitRequest:
    """Rewrite a take's request with its cast and frames; records what was left out on the take."""
    if video.episode_number == repo.CAST_EPISODE:
        return request
    members = scene_cast(session, video)
    cast = {m.asset.name_key: m.asset for m in members}
    provider = video.provider or "local"
    prompt = expand_prompt(video.model_id, request.prompt, cast) if request.prompt else request.prompt
    refs, note = _references(video, request.params, members)
    frames, chain_note = _frames(session, video, storage)
    end_note = _end_frame(video, provider, frames)
    if end_note:
        frames = {k: v for k, v in frames.items() if k != "end"}
    if provider != "local":
        refs, note = _refs_give_way(video, frames, refs, note)
    params, meta = dict(request.params), dict(request.metadata)
    if provider == "local":
        meta["characters"] = [spoken(m.asset.name) for m in members] or meta.get("characters", [])
        if frames.get("start"):
            meta["first_frame_path"] = resolve_ref(frames["start"], provider, storage)
    else:
        if refs:
            params["reference_images"] = [resolve_ref(r, provider, storage) for r in refs]
        if frames.get("start") and (param := first_frame_param(video.model_id)):
            params[param] = resolve_ref(frames["start"], provider, storage)
        if frames.get("end") and takes_last_frame(video.model_id):
            params["last_frame"] = resolve_ref(frames["end"], provider, storage)
    video.scene_details = {
        **video.scene_details,
        "cast_sent": [m.asset.name for m in members],
        "cast_references": refs,
        "cast_left_out": note,
        "chain_note": chain_note,
        "end_frame_note": end_note,
        "frames_sent": frames,
    }
    return replace(request, prompt=prompt, params=params, metadata=meta)
