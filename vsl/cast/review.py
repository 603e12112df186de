"""Continuity review of a finished take: the material (sampled frames, the cast's references), the stored
verdict, and the offline review, a plain colour-histogram measure labelled as such and never shown as GPT-5's
judgement. GPT-5's review is `vsl.agents.continuity`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image

from vsl.cast.frames import sample_frames
from vsl.cast.names import spoken
from vsl.cast.prompts import CastMember, scene_cast
from vsl.catalog.gpt5 import gpt5_cost
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import Review
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


def stored_references(members: list[CastMember]) -> list[CastMember]:
    """The members whose reference image is in storage, the only ones a review can compare with."""
    return [m for m in members if m.reference and m.reference.startswith("media:")]


def gather(db: Database, storage: Storage, video_id: int, tmp: Path) -> Material:
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
            for m in stored_references(members)
        }
    except (MediaError, StorageError) as exc:
        raise ReviewUnavailable(f"The take's frames could not be read: {exc}") from exc
    return Material(frames, members, references, prompt)


def status_of(score: int, verdict: dict[str, Any]) -> str:
    drifted = any(not m.get("consistent", True) or m.get("drift") for m in verdict.get("members", []))
    return "drifted" if drifted or score < CONSISTENT_SCORE else "consistent"


def save(db: Database, review: Review, claim: int | None = None) -> Review:
    """Store a verdict; with `claim`, into that automatic review's row (docs/adr/0010-automatic-review.md)."""
    with db.write() as session:
        if claim is None:
            session.add(review)
            return review
        review.id, review.automatic = claim, True
        return session.merge(review)


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


def review_offline(db: Database, storage: Storage, video_id: int, claim: int | None = None) -> Review:
    """Compare each cast member's reference with the take's frames by colour histogram; free, and labelled."""
    with tempfile.TemporaryDirectory(prefix="vsl-review-") as tmp:
        material = gather(db, storage, video_id, Path(tmp))
        members = [
            {"name": name, "match": max(similarity(ref, frame) for frame in material.frames)}
            for name, ref in material.references.items()
        ]
    score = min((m["match"] for m in members), default=100)
    status = "consistent" if score >= CONSISTENT_SCORE else "drifted"
    verdict = {"label": OFFLINE_LABEL, "members": members}
    fix = "" if status == "consistent" else _offline_fix(material, members)
    return save(
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
        claim,
    )


def _offline_fix(material: Material, members: list[dict[str, Any]]) -> str:
    weak = [m["name"] for m in members if m["match"] < CONSISTENT_SCORE]
    looks = {m.asset.name: m.asset.look for m in material.members}
    return " ".join(f"Keep {spoken(n)} exactly as described: {looks.get(n) or 'as in the reference'}." for n in weak)
