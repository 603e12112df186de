"""The cast's share of a plan: portraits, keyframes and continuity reviews, priced exactly from the catalog.

`estimate_plan` prices video, narration and agent work; `with_cast` adds this for the cost calculator and the
plan estimate of a novela.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from vsl.cast import review
from vsl.catalog import PlanEstimate, image_cost
from vsl.money import ZERO


@dataclass(frozen=True)
class CastPlan:
    assets: int = 0  # characters, locations and props
    candidates_per_asset: int = 1  # images generated per asset before one is picked
    portrait_model: str = "flux-schnell"
    keyframed_scenes: int = 0  # scenes given a generated start frame
    end_frames: int = 0  # scenes given a generated end frame as well
    keyframe_model: str = "flux-1.1-pro"
    reviewed_takes: int = 0  # takes reviewed by GPT-5
    references_per_review: int = 2  # reference images sent with each review
    gpt_model: str = "gpt-5"


@dataclass(frozen=True)
class CastedEstimate:
    """A plan's estimate with the cast's share: `total` is the sum of `breakdown` (video, image, audio, gpt5,
    portraits, keyframes, reviews). The plan's per-video, per-scene and per-episode figures leave the cast out."""

    plan: PlanEstimate
    cast: dict[str, Decimal]

    @property
    def breakdown(self) -> dict[str, Decimal]:
        return {**self.plan.breakdown, **self.cast}

    @property
    def cast_total(self) -> Decimal:
        return sum(self.cast.values(), ZERO)

    @property
    def total(self) -> Decimal:
        return sum(self.breakdown.values(), ZERO)


def cast_breakdown(plan: CastPlan) -> dict[str, Decimal]:
    """USD per part: portraits, keyframes, reviews (each a count times its exact unit price)."""
    counts = [plan.assets, plan.candidates_per_asset, plan.keyframed_scenes, plan.end_frames, plan.reviewed_takes]
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
        raise ValueError("Cast plan counts must be whole numbers of at least 0.")
    return {
        "portraits": image_cost(plan.portrait_model, plan.assets * plan.candidates_per_asset),
        "keyframes": image_cost(plan.keyframe_model, plan.keyframed_scenes + plan.end_frames),
        "reviews": review.estimate(plan.references_per_review, plan.gpt_model) * plan.reviewed_takes,
    }


def cast_cost(plan: CastPlan) -> Decimal:
    return sum(cast_breakdown(plan).values(), ZERO)


def with_cast(estimate: PlanEstimate, cast: CastPlan) -> CastedEstimate:
    """The plan's estimate and the cast's parts, side by side."""
    return CastedEstimate(estimate, cast_breakdown(cast))


def share_count(total: int | Decimal, percent: int) -> int:
    """A whole count: `percent` % of `total`, rounded half-up (12.5 → 13)."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValueError(f"A share is a whole percentage from 0 to 100 (got {percent!r}).")
    return int((Decimal(total) * percent / 100).to_integral_value(rounding=ROUND_HALF_UP))
