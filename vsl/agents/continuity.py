"""The continuity reviewer: GPT-5 looks at a take's sampled frames and its cast's references (Responses API
`input_image`) and answers a strict JSON schema: per cast member present/consistent/what drifted, a 0-100 score
and a prompt fix. The call goes through `LlmClient.structured` (one repair attempt, every call in the
`llm_calls` ledger with its cost); a second bad answer is stored as a failed review with the error's words.
"""

from __future__ import annotations

import base64
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from vsl.agents.llm import AgentProfile, LlmClient, LlmError
from vsl.cast import review
from vsl.cast.names import spoken
from vsl.cast.review import DRIFTS, REVIEW_DETAIL, Material
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import LlmCall, Review
from vsl.storage.base import Storage

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


def review_with_gpt5(
    db: Database, storage: Storage, client: LlmClient, video_id: int, claim: int | None = None
) -> Review:
    """Ask GPT-5; a schema failure after the one repair becomes a `failed` review with the error's words."""
    with tempfile.TemporaryDirectory(prefix="vsl-review-") as tmp:
        material = review.gather(db, storage, video_id, Path(tmp))
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
            return review.save(db, failed, claim)
    score = max(0, min(100, int(verdict["score"])))
    result = Review(
        video_id=video_id,
        method="gpt-5",
        status=review.status_of(score, verdict),
        score=score,
        verdict=verdict,
        fix_prompt=verdict.get("fix_prompt", ""),
        cost_usd=_ledger_cost(db, conversation),
    )
    return review.save(db, result, claim)
