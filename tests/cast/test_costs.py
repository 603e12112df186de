"""The cast's plan cost is exact: counts times catalog prices, and a review's GPT-5 token estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vsl.cast import review
from vsl.cast.costs import CastPlan, cast_breakdown, cast_cost


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
