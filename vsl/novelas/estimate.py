"""The plan estimate of a novela input: its videos and agent work, and one portrait per reference character.

The wizard's cost preview shows it and `service.create` stores its total, so both always agree.
"""

from __future__ import annotations

from vsl.cast.costs import CastedEstimate, CastPlan, with_cast
from vsl.cast.legacy import wizard_assets
from vsl.catalog import estimate_plan
from vsl.catalog.pricing import PlanInput
from vsl.novelas import validation
from vsl.novelas.validation import NovelaInput


def plan_input(data: NovelaInput) -> PlanInput:
    """The videos of every planned scene with the novela's model settings, and their agent work."""
    return PlanInput(
        model_id=data.default_model_id,
        params=validation.model_params(data),
        episodes=data.episodes,
        scenes_per_episode=data.scenes_per_episode,
    )


def cast_plan(data: NovelaInput) -> CastPlan:
    """One portrait (the default portrait model) per cast member the reference characters become."""
    return CastPlan(assets=len(wizard_assets([c.as_dict() for c in data.characters])))


def plan_estimate(data: NovelaInput) -> CastedEstimate:
    return with_cast(estimate_plan(plan_input(data)), cast_plan(data))
