"""Continuity review: what GPT-5 is sent (input_image frames and references), the ledger, the one retry, and the
offline histogram measure."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.cast.conftest import LocalStack, client, isabel_scene, png, render
from tests.fakes.openai_server import FakeOpenAI, json_reply, text_reply
from vsl.agents import continuity
from vsl.cast import review
from vsl.db.engine import Database
from vsl.db.models import LlmCall

VERDICT = {
    "members": [{"name": "Isabel", "present": True, "consistent": False, "drift": ["hair"]}],
    "score": 55,
    "fix_prompt": "Isabel keeps her silver streak and red shawl.",
    "summary": "Her hair turned dark in the middle frame.",
}


def _finished_take(db: Database, stack: LocalStack) -> int:
    return render(db, stack, isabel_scene(db, stack)[1])


def test_gpt5_gets_three_frames_and_the_references_and_its_cost_is_in_the_ledger(
    db: Database, local_stack: LocalStack, openai: FakeOpenAI
) -> None:
    video_id = _finished_take(db, local_stack)
    openai.enqueue(json_reply(VERDICT))

    result = continuity.review_with_gpt5(db, local_stack.storage, client(db, openai), video_id)

    (body,) = openai.bodies
    parts = body["input"][0]["content"]
    images = [p for p in parts if p["type"] == "input_image"]
    assert len(images) == 4 and all(p["image_url"].startswith("data:image/") for p in images)
    assert any("Reference of Isabel" in p.get("text", "") for p in parts)
    assert body["text"]["format"]["strict"] is True and body["text"]["format"]["name"] == "continuity_review"
    assert (result.status, result.score, result.fix_prompt) == ("drifted", 55, VERDICT["fix_prompt"])
    with db.session() as session:
        (call,) = session.scalars(select(LlmCall).where(LlmCall.step == "continuity_review"))
    assert call.cost_usd > 0 and result.cost_usd == call.cost_usd


def test_a_bad_answer_is_retried_once_then_the_review_failed_with_the_reason(
    db: Database, local_stack: LocalStack, openai: FakeOpenAI
) -> None:
    video_id = _finished_take(db, local_stack)
    openai.enqueue(text_reply("I think she looks fine."), text_reply("Really, she is fine."))

    result = continuity.review_with_gpt5(db, local_stack.storage, client(db, openai), video_id)

    assert len(openai.bodies) == 2
    assert result.status == "failed" and "continuity_review" in (result.error or "")
    assert "not valid JSON" in (result.error or "")
    assert result.cost_usd > 0  # both calls were paid for


def test_the_fake_refuses_an_image_that_is_not_a_url(openai: FakeOpenAI, sqlite_db: Database) -> None:
    from vsl.agents.llm import LlmError

    bad = [{"role": "user", "content": [{"type": "input_image", "image_url": "/tmp/x.png"}]}]
    with pytest.raises(LlmError, match="Invalid image URL"):
        client(sqlite_db, openai).text(continuity.PROFILE, bad, step="continuity_review")


def test_offline_review_is_a_labelled_histogram_measure(db: Database, local_stack: LocalStack) -> None:
    video_id = _finished_take(db, local_stack)

    result = review.review_offline(db, local_stack.storage, video_id)

    assert result.method == "offline-histogram" and result.cost_usd == 0
    assert result.verdict["label"].startswith("Colour-histogram match (offline image measure, not GPT-5)")
    assert result.status == "drifted" and result.score < review.CONSISTENT_SCORE  # a red square vs a title card
    assert "Keep Isabel exactly as described" in result.fix_prompt


def test_similarity_tells_the_same_picture_from_another(tmp_path: Path) -> None:
    red, blue = tmp_path / "r.png", tmp_path / "b.png"
    red.write_bytes(png(colour=(200, 20, 20)))
    blue.write_bytes(png(colour=(20, 20, 200)))
    assert (review.similarity(red, red), review.similarity(red, blue)) == (100, 0)


def test_review_estimate_counts_every_image() -> None:
    assert review.estimate(2) - review.estimate(1) == Decimal(review.TOKENS_PER_IMAGE) * Decimal("1.25") / 10**6
