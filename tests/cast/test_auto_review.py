"""Automatic continuity review on opt-in: each take completed afterwards is reviewed once (offline measure or GPT-5
through the fake), its cost in the ledger and the budget respected; claims survive races and crashes."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from tests.cast.conftest import LocalStack, client, isabel_scene, render
from tests.cast.test_review import VERDICT
from tests.fakes.openai_server import FakeOpenAI, json_reply
from vsl.agents import auto_review
from vsl.agents.auto_review import AutoReviewer, Opinion
from vsl.cast import review
from vsl.config import Settings
from vsl.db.engine import Database
from vsl.db.models import LlmCall, Novela, NovelaVideo, Review
from vsl.jobs import actions
from vsl.novelas import service as novelas
from vsl.runtime import build_runtime

OFFLINE = Opinion(llm=None)


def _opted_in_and_rendered(db: Database, stack: LocalStack) -> tuple[int, int]:
    """Isabel's one-scene novela, opted in, then its take rendered: (novela id, completed take id)."""
    novela_id, take_id = isabel_scene(db, stack)
    auto_review.set_auto_review(db, novela_id, True)
    return novela_id, render(db, stack, take_id)


def _reviews(db: Database, video_id: int) -> list[Review]:
    with db.session() as session:
        return list(session.scalars(select(Review).where(Review.video_id == video_id)))


def test_a_take_completed_after_the_opt_in_is_reviewed_once_offline(db: Database, local_stack: LocalStack) -> None:
    novela_id, video_id = _opted_in_and_rendered(db, local_stack)
    reviewer = AutoReviewer(db, local_stack.storage, OFFLINE)
    assert auto_review.awaiting(db, [video_id])  # the board stays live for the verdict

    (result,) = reviewer.sweep()
    again = reviewer.sweep()

    assert again == [] and [r.id for r in _reviews(db, video_id)] == [result.id]
    assert not auto_review.awaiting(db, [video_id])
    assert (result.video_id, result.automatic, result.method) == (video_id, True, review.OFFLINE_METHOD)
    assert result.status == "drifted" and result.score is not None  # a red square against the preview's card
    assert auto_review.spent(db, novela_id) == (1, Decimal("0"))


def test_takes_completed_before_the_opt_in_or_without_it_are_not_reviewed(
    db: Database, local_stack: LocalStack
) -> None:
    novela_id, take_id = isabel_scene(db, local_stack)
    before = render(db, local_stack, take_id)
    auto_review.set_auto_review(db, novela_id, True)
    _, other_take = isabel_scene(db, local_stack)  # never opted in
    render(db, local_stack, other_take)

    assert AutoReviewer(db, local_stack.storage, OFFLINE).sweep() == []
    assert _reviews(db, before) == [] and not auto_review.awaiting(db, [before])

    auto_review.set_auto_review(db, novela_id, False)
    with db.session() as session:
        assert session.get(Novela, novela_id).auto_review_since is None  # type: ignore[union-attr]


def test_gpt5_reviews_automatically_and_its_cost_is_in_the_ledger(
    db: Database, local_stack: LocalStack, openai: FakeOpenAI
) -> None:
    novela_id, _ = _opted_in_and_rendered(db, local_stack)
    openai.enqueue(json_reply(VERDICT))

    (result,) = AutoReviewer(db, local_stack.storage, Opinion(lambda: client(db, openai))).sweep()

    assert len(openai.bodies) == 1 and (result.method, result.status, result.score) == ("gpt-5", "drifted", 55)
    assert result.automatic and result.fix_prompt == VERDICT["fix_prompt"]
    with db.session() as session:
        (call,) = session.scalars(select(LlmCall).where(LlmCall.step == "continuity_review"))
    assert call.cost_usd > 0 and result.cost_usd == call.cost_usd
    assert auto_review.spent(db, novela_id) == (1, call.cost_usd)


def test_a_review_the_budget_cannot_pay_for_is_skipped_without_calling_gpt5(
    db: Database, local_stack: LocalStack, openai: FakeOpenAI
) -> None:
    novela_id, video_id = _opted_in_and_rendered(db, local_stack)
    opinion = Opinion(lambda: client(db, openai))
    cost = review.estimate(1)
    novelas.update(db, novela_id, budget=cost / 2)  # the local preview spent nothing; half a review is left

    (result,) = AutoReviewer(db, local_stack.storage, opinion).sweep()

    assert openai.bodies == [] and result.status == "skipped" and result.cost_usd == 0
    assert "more than this novela's budget has left" in (result.error or "")
    assert [r.id for r in _reviews(db, video_id)] == [result.id]  # recorded once, not retried every sweep


def test_a_scene_without_a_stored_reference_is_skipped_with_the_reason(
    db: Database, local_stack: LocalStack, openai: FakeOpenAI
) -> None:
    novela_id, take_id = isabel_scene(db, local_stack)
    with db.write() as session:
        session.get(NovelaVideo, take_id).script_prompt = "Rain on the windows."  # type: ignore[union-attr]
    auto_review.set_auto_review(db, novela_id, True)
    render(db, local_stack, take_id)

    (result,) = AutoReviewer(db, local_stack.storage, Opinion(lambda: client(db, openai))).sweep()

    assert openai.bodies == [] and result.status == "skipped"
    assert result.error == "No one in this scene has a reference image to compare the take with."


def test_only_one_claim_per_take_wins_and_a_crashed_claim_fails_without_a_retry(
    db: Database, local_stack: LocalStack
) -> None:
    _, video_id = _opted_in_and_rendered(db, local_stack)

    first = auto_review.claim(db, video_id, "gpt-5")
    assert first is not None and auto_review.claim(db, video_id, "gpt-5") is None
    assert auto_review.due(db) == []  # claimed: no other process picks it up
    assert auto_review.awaiting(db, [video_id])  # but its verdict is still to come
    assert auto_review.expire_stale(db) == 0  # still within its time

    later = datetime.now(UTC) + auto_review.STALE_AFTER * 2
    assert auto_review.expire_stale(db, now=later) == 1
    (stale,) = _reviews(db, video_id)
    assert stale.status == "failed" and stale.error == auto_review.INTERRUPTED
    assert AutoReviewer(db, local_stack.storage, OFFLINE).sweep() == []  # never paid twice by itself


def test_a_take_already_reviewed_on_a_click_is_not_reviewed_again(db: Database, local_stack: LocalStack) -> None:
    _, video_id = _opted_in_and_rendered(db, local_stack)
    clicked = review.review_offline(db, local_stack.storage, video_id)

    assert AutoReviewer(db, local_stack.storage, OFFLINE).sweep() == []
    assert [(r.id, r.automatic) for r in _reviews(db, video_id)] == [(clicked.id, False)]


def test_the_running_app_reviews_a_finished_take_by_itself(settings: Settings) -> None:
    runtime = build_runtime(replace(settings, poll_min_s=0.2, poll_max_s=0.5), start_worker=True)
    try:
        stack = LocalStack(runtime.registry, runtime.storage, runtime.worker)
        novela_id, take_id = isabel_scene(runtime.db, stack)
        auto_review.set_auto_review(runtime.db, novela_id, True)
        quote = actions.quote(runtime.db, runtime.registry, [actions.Target(take_id)])
        (video_id,) = actions.confirm(runtime.db, runtime.registry, quote)
        deadline = time.monotonic() + 60
        while not (found := _reviews(runtime.db, video_id)) or found[0].status == "reviewing":
            assert time.monotonic() < deadline, "no automatic review within 60 s"
            time.sleep(0.2)
    finally:
        runtime.close()
    assert found[0].automatic and found[0].method == review.OFFLINE_METHOD


def test_a_model_that_cannot_be_priced_fails_the_review_with_its_words_and_calls_nothing(
    db: Database, local_stack: LocalStack, openai: FakeOpenAI
) -> None:
    _opted_in_and_rendered(db, local_stack)

    (result,) = AutoReviewer(db, local_stack.storage, Opinion(lambda: client(db, openai), "gpt-4o")).sweep()

    assert openai.bodies == [] and result.status == "failed" and result.cost_usd == 0
    assert "'gpt-4o' is not a GPT-5 model" in (result.error or "")
