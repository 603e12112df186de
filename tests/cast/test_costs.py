"""The cast's plan cost is exact: counts times catalog prices, and a review's GPT-5 token estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vsl.cast import review
from vsl.cast.costs import CastPlan, cast_breakdown, cast_cost, share_count, with_cast
from vsl.catalog import PlanInput, estimate_plan


def test_portraits_keyframes_and_reviews_add_up_exactly() -> None:
    plan = CastPlan(assets=5, candidates_per_asset=3, keyframed_scenes=10, end_frames=2, reviewed_takes=20)
    parts = cast_breakdown(plan)
    assert parts["portraits"] == Decimal("0.003") * 15
    assert parts["keyframes"] == Decimal("0.04") * 12
    # gpt-5: $1.25 per million input tokens, $10 per million output tokens
    one_review = (Decimal(1200 + 85 * 5) * Decimal("1.25") + Decimal(900) * 10) / 10**6
    assert review.estimate(2) == one_review and parts["reviews"] == one_review * 20
    assert cast_cost(plan) == sum(parts.values())


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 0"):
        cast_cost(CastPlan(assets=-1))


def test_a_share_is_a_whole_count_rounded_half_up() -> None:
    assert share_count(80, 15) == 12
    assert share_count(Decimal("96"), 30) == 29  # 28.8
    assert share_count(5, 50) == 3  # 2.5, half up
    assert share_count(Decimal("9.6"), 5) == 0  # 0.48
    with pytest.raises(ValueError, match="0 to 100"):
        share_count(10, 101)


def test_with_cast_adds_the_cast_parts_as_their_own_keys() -> None:
    plan = estimate_plan(PlanInput("wan-2.5-t2v", {}, episodes=2, scenes_per_episode=3))
    whole = with_cast(plan, CastPlan(assets=2))
    assert list(whole.breakdown) == ["video", "image", "audio", "gpt5", "portraits", "keyframes", "reviews"]
    assert whole.cast_total == Decimal("0.006")  # 2 portraits x $0.003
    assert whole.total == plan.total + Decimal("0.006") == sum(whole.breakdown.values())
