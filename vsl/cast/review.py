"""Continuity review of a finished take: GPT-5 looks at sampled frames and the cast's references, or, offline,
a plain colour-histogram measure compares them (labelled as such, never shown as GPT-5's judgement).

The GPT-5 call goes through `LlmClient.structured` (strict JSON schema, one repair attempt, every call in the
`llm_calls` ledger with its cost); a second bad answer is stored as a failed review with the error's words.
"""

from __future__ import annotations

import base64
import tempfile
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from vsl.agents.llm import AgentProfile, LlmClient, LlmError
from vsl.cast.frames import sample_frames
from vsl.cast.names import spoken
from vsl.cast.prompts import CastMember, scene_cast
from vsl.catalog.gpt5 import gpt5_cost
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import LlmCall, Review
from vsl.media import MediaError
from vsl.money import ZERO
from vsl.storage.base import Storage, StorageError

DRIFTS = ["face", "hair", "wardrobe", "setting", "lighting"]
CONSISTENT_SCORE = 70  # at or above: consistent
OFFLINE_METHOD = "offline-histogram"
OFFLINE_LABEL = "Colour-histogram match (offline image measure, not GPT-5)"
REVIEW_DETAIL = "low"  # input_image detail: frames are already downscaled to 512 px
# A review's size for the estimate: instructions and prompt text, low-detail images, the JSON answer.
TEXT_TOKENS, TOKENS_PER_IMAGE, OUTPUT_TOKENS = 1200, 85, 900

PROFILE = AgentProfile(
    name="continuity_reviewer",
    instructions=(
        "You check continuity in an AI-generated soap opera. You get frames of one take (first, middle, last) "
        "and reference images of the cast members who should appear. For each cast member say whether they are "
        "present, whether they look consistent with their reference, and what drifted (face, hair, wardrobe, "
        "setting, lighting). Give a 0-100 continuity score and a short prompt fix that would correct the drift."
    ),
    effort="low",
    verbosity="low",
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["members", "score", "fix_prompt", "summary"],
    "properties": {
        "members": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "present", "consistent", "drift"],
                "properties": {
                    "name": {"type": "string"},
                    "present": {"type": "boolean"},
                    "consistent": {"type": "boolean"},
                    "drift": {"type": "array", "items": {"type": "string", "enum": DRIFTS}},
                },
            },
        },
        "score": {"type": "integer"},
        "fix_prompt": {"type": "string"},
        "summary": {"type": "string"},
    },
}


class ReviewUnavailable(ValueError):
    """The take cannot be reviewed (not finished, no stored video); the message says why."""


@dataclass(frozen=True)
class Material:
    frames: list[Path]
    members: list[CastMember]
    references: dict[str, Path]  # asset name → local reference image
    prompt: str


def estimate(reference_count: int, model: str = "gpt-5") -> Decimal:
    """What one review costs in GPT-5 tokens (3 frames + the references), for the plan and the button."""
    images = 3 + reference_count
    return gpt5_cost(model, TEXT_TOKENS + TOKENS_PER_IMAGE * images, 0, OUTPUT_TOKENS)


def _gather(db: Database, storage: Storage, video_id: int, tmp: Path) -> Material:
    with db.session() as session:
        video = video_repo.get(session, video_id)
        if video is None or video.status != "completed" or not video.s3_key:
            raise ReviewUnavailable("Only a finished take with a stored video can be reviewed.")
        members = scene_cast(session, video)
        key, prompt = video.s3_key, video.script_prompt
    try:
        frames = sample_frames(storage.download_to(key, tmp / "take.mp4"), tmp / "frames")
        references = {
            m.asset.name: storage.download_to(m.reference.removeprefix("media:"), tmp / f"ref-{m.asset.id}")
            for m in members
            if m.reference and m.reference.startswith("media:")
        }
    except (MediaError, StorageError) as exc:
        raise ReviewUnavailable(f"The take's frames could not be read: {exc}") from exc
    return Material(frames, members, references, prompt)


def _data_url(path: Path) -> str:
    with Image.open(path) as image:
        kind = (image.format or "jpeg").lower()
    return f"data:image/{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def review_input(material: Material) -> list[dict[str, Any]]:
    """One user message: the task text, the take's frames, then each reference labelled with its name."""
    cast = "; ".join(f"{spoken(m.asset.name)}: {m.asset.look or 'no description'}" for m in material.members)
    content: list[dict[str, Any]] = [
        {"type": "input_text", "text": f"Scene prompt: {material.prompt}\nCast: {cast or 'none named'}"},
        {"type": "input_text", "text": "Frames of the take (first, middle, last):"},
    ]
    content += [{"type": "input_image", "image_url": _data_url(f), "detail": REVIEW_DETAIL} for f in material.frames]
    for name, path in material.references.items():
        content.append({"type": "input_text", "text": f"Reference of {spoken(name)}:"})
        content.append({"type": "input_image", "image_url": _data_url(path), "detail": REVIEW_DETAIL})
    return [{"role": "user", "content": content}]


def _ledger_cost(db: Database, conversation_id: str) -> Decimal:
    with db.session() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(LlmCall.conversation_id == conversation_id)
        )
    return Decimal(str(total))


def _status(score: int, verdict: dict[str, Any]) -> str:
    drifted = any(not m.get("consistent", True) or m.get("drift") for m in verdict.get("members", []))
    return "drifted" if drifted or score < CONSISTENT_SCORE else "consistent"


def _save(db: Database, review: Review) -> Review:
    with db.write() as session:
        session.add(review)
    return review


def review_with_gpt5(db: Database, storage: Storage, client: LlmClient, video_id: int) -> Review:
    """Ask GPT-5; a schema failure after the one repair becomes a `failed` review with the error's words."""
    with tempfile.TemporaryDirectory(prefix="vsl-review-") as tmp:
        material = _gather(db, storage, video_id, Path(tmp))
        conversation = f"review-{video_id}-{uuid.uuid4().hex[:8]}"
        with db.session() as session:
            novela_id = video_repo.get(session, video_id).novela_id  # type: ignore[union-attr]
        try:
            verdict = client.structured(
                PROFILE,
                review_input(material),
                schema_name="continuity_review",
                schema=SCHEMA,
                step="continuity_review",
                novela_id=novela_id,
                conversation_id=conversation,
            )
        except LlmError as exc:
            failed = Review(video_id=video_id, method="gpt-5", status="failed", error=str(exc))
            failed.cost_usd = _ledger_cost(db, conversation)
            return _save(db, failed)
    score = max(0, min(100, int(verdict["score"])))
    review = Review(
        video_id=video_id,
        method="gpt-5",
        status=_status(score, verdict),
        score=score,
        verdict=verdict,
        fix_prompt=verdict.get("fix_prompt", ""),
        cost_usd=_ledger_cost(db, conversation),
    )
    return _save(db, review)


def _histogram(path: Path) -> list[float]:
    """Share of pixels in each of 8 x 8 x 8 colour bins, on a 128 x 128 copy."""
    with Image.open(path) as image:
        small = image.convert("RGB").resize((128, 128))
    hist = [0.0] * 512
    for n, (r, g, b) in small.getcolors(maxcolors=128 * 128) or []:
        hist[(r // 32) * 64 + (g // 32) * 8 + b // 32] += n
    total = sum(hist) or 1.0
    return [h / total for h in hist]


def similarity(a: Path, b: Path) -> int:
    """Histogram intersection of two pictures' colours (8 levels per channel), 0..100."""
    return round(100 * sum(min(x, y) for x, y in zip(_histogram(a), _histogram(b), strict=True)))


def review_offline(db: Database, storage: Storage, video_id: int) -> Review:
    """Compare each cast member's reference with the take's frames by colour histogram; free, and labelled."""
    with tempfile.TemporaryDirectory(prefix="vsl-review-") as tmp:
        material = _gather(db, storage, video_id, Path(tmp))
        members = [
            {"name": name, "match": max(similarity(ref, frame) for frame in material.frames)}
            for name, ref in material.references.items()
        ]
    score = min((m["match"] for m in members), default=100)
    status = "consistent" if score >= CONSISTENT_SCORE else "drifted"
    verdict = {"label": OFFLINE_LABEL, "members": members}
    fix = "" if status == "consistent" else _offline_fix(material, members)
    return _save(
        db,
        Review(
            video_id=video_id,
            method=OFFLINE_METHOD,
            status=status,
            score=score,
            verdict=verdict,
            fix_prompt=fix,
            cost_usd=ZERO,
        ),
    )


def _offline_fix(material: Material, members: list[dict[str, Any]]) -> str:
    weak = [m["name"] for m in members if m["match"] < CONSISTENT_SCORE]
    looks = {m.asset.name: m.asset.look for m in material.members}
    return " ".join(f"Keep {spoken(n)} exactly as described: {looks.get(n) or 'as in the reference'}." for n in weak)
