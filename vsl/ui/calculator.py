"""The cost calculator's parts: the cast and continuity inputs and their whole counts, and the cheapest-fit box
(the same plan compared like for like, and what a cheaper one changes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import streamlit as st

from vsl.cast.costs import CastedEstimate, CastPlan, share_count, with_cast
from vsl.cast.images import MAX_CANDIDATES
from vsl.catalog import (
    ModelQuote,
    ModelSpec,
    PlanInput,
    cheapest_configuration,
    compare_video_models,
    duration_choices,
    estimate_plan,
    get_catalog,
    normalize,
)
from vsl.money import ZERO, usd

_SETTINGS = ("duration", "resolution", "aspect ratio")  # how pricing's own change notes start
MAX_MEMBERS, MAX_REFERENCES = 100, 10


@dataclass(frozen=True)
class CastInputs:
    """The "Cast and continuity" expander's values; the shares are whole percentages."""

    members: int = 0
    candidates: int = 2
    portrait_model: str = CastPlan().portrait_model
    start_share: int = 0  # of the scenes
    end_share: int = 0  # of the scenes; each end frame needs a start frame
    keyframe_model: str = CastPlan().keyframe_model
    review_share: int = 0  # of the takes, regenerations included
    references: int = CastPlan().references_per_review


def _image_model(label: str, default: str) -> str:
    ids = [m.id for m in get_catalog().models("image")]
    return st.selectbox(label, ids, index=ids.index(default), format_func=lambda i: get_catalog().get(i).display_name)


def cast_inputs() -> CastInputs:
    """The expander; its defaults (no cast, no keyframes, no reviews) leave the plan's price as it is."""
    d = CastInputs()
    with st.expander("Cast and continuity"):
        members = st.number_input("Cast members (characters, places, props)", 0, MAX_MEMBERS, d.members)
        candidates = st.number_input("Candidates per member", 1, MAX_CANDIDATES, d.candidates)
        portrait = _image_model("Portrait model", d.portrait_model)
        start = st.slider("Scenes with a generated start frame (%)", 0, 100, d.start_share)
        end = st.slider("Scenes with an end frame too (%)", 0, 100, d.end_share, help="At most the start frames.")
        keyframe = _image_model("Keyframe model", d.keyframe_model)
        review = st.slider("Takes reviewed by GPT-5 (%)", 0, 100, d.review_share, help="Regenerations included.")
        refs = st.number_input("Reference images per review", 0, MAX_REFERENCES, d.references)
    return CastInputs(int(members), int(candidates), portrait, start, end, keyframe, review, int(refs))


def cast_plan(inputs: CastInputs, scenes: int, takes: Decimal, gpt_model: str) -> CastPlan:
    """Whole counts from the shares: start frames of the scenes, end frames among them, reviews of the takes."""
    start = share_count(scenes, inputs.start_share)
    return CastPlan(
        assets=inputs.members,
        candidates_per_asset=inputs.candidates,
        portrait_model=inputs.portrait_model,
        keyframed_scenes=start,
        end_frames=min(share_count(scenes, inputs.end_share), start),
        keyframe_model=inputs.keyframe_model,
        reviewed_takes=share_count(takes, inputs.review_share),
        references_per_review=inputs.references,
        gpt_model=gpt_model,
    )


def price(plan: PlanInput, inputs: CastInputs) -> tuple[CastedEstimate, CastPlan]:
    """The whole novela: the plan's estimate with the cast's portraits, keyframes and reviews."""
    estimate = estimate_plan(plan)
    scenes = plan.episodes * plan.scenes_per_episode
    cast = cast_plan(inputs, scenes, estimate.video_count, plan.gpt_model)
    return with_cast(estimate, cast), cast


def cast_caption(cast: CastPlan, estimate: CastedEstimate) -> str:
    """The cast's whole counts and what they add, e.g. "6 portraits, 12 start frames, 4 end frames, 30 reviews"."""
    counts = {
        ("portrait", "portraits"): cast.assets * cast.candidates_per_asset,
        ("start frame", "start frames"): cast.keyframed_scenes,
        ("end frame", "end frames"): cast.end_frames,
        ("review", "reviews"): cast.reviewed_takes,
    }
    if not any(counts.values()):
        return "Cast and continuity: no portraits, keyframes or reviews planned."
    said = ", ".join(f"{n:,} {one if n == 1 else many}" for (one, many), n in counts.items())
    added = usd(estimate.cast_total)
    return f"Cast and continuity: {said}; {added} of the whole novela, not in the per-video, scene or episode figures."


def makes_audio(spec: ModelSpec, params: Mapping[str, Any]) -> bool:
    """Whether this model makes sound with these settings: its audio switch, else its native audio."""
    switch = spec.pricing.audio_param or ("generate_audio" if spec.param("generate_audio") else None)
    if switch:
        return bool(normalize(spec.id, params).get(switch))
    return "audio" in spec.features


def differences(plan: PlanInput, quote: ModelQuote, duration: int, resolution: str, aspect: str) -> list[str]:
    """What the quoted configuration changes in the plan, in plain words (empty: the same plan)."""
    spec, planned = get_catalog().get(quote.model_id), get_catalog().get(plan.model_id)
    found = []
    if quote.duration != duration:
        offered = " or ".join(f"{d:g}" for d in duration_choices(spec.id)) or f"{quote.duration:g}"
        found.append(f"{quote.duration:g} s clips instead of {duration} s ({spec.display_name} offers {offered} s)")
    if quote.resolution != resolution:
        found.append(f"{quote.resolution} instead of {resolution}")
    if quote.aspect_ratio and quote.aspect_ratio != aspect:
        found.append(f"{quote.aspect_ratio} instead of {aspect}")
    wanted_audio, got_audio = makes_audio(planned, plan.params), makes_audio(spec, quote.params)
    if wanted_audio != got_audio:
        found.append("no audio" if wanted_audio else "audio always on")
    found += [c for c in quote.changes if not c.startswith(_SETTINGS) and "generate_audio" not in c]
    return found


def _priced(quote: ModelQuote, cast: Decimal) -> str:
    unverified = " (price unverified)" if not quote.verified else ""
    return f"**{quote.display_name}**, {usd(quote.total + cast)} for the novela{unverified}"


def cheapest_box(plan: PlanInput, duration: int, resolution: str, aspect: str, cast: Decimal = ZERO) -> None:
    """The cheapest model for exactly this plan, and, if one is cheaper by changing it, what it changes. `cast`
    (the same on every model) is added to each novela's price."""
    paid = [q for q in compare_video_models(plan) if get_catalog().get(q.model_id).provider != "local"]
    same = [q for q in paid if not differences(plan, q, duration, resolution, aspect)]
    best_same = min(same, key=lambda q: q.total, default=None)
    audio = "with audio" if makes_audio(get_catalog().get(plan.model_id), plan.params) else "without audio"
    if best_same is not None:
        st.success(f"Cheapest for this very plan ({duration} s, {resolution}, {audio}): {_priced(best_same, cast)}.")
    else:
        st.info(f"No other model offers this very plan ({duration} s, {resolution}, {audio}).")
    cheaper = cheapest_configuration(plan, resolution, duration)
    if cheaper is None:
        st.info(f"No model offers {resolution} or sharper with clips of at least {duration} s.")
    elif best_same is None or cheaper.total < best_same.total:
        changed = "; ".join(differences(plan, cheaper, duration, resolution, aspect)) or "nothing else"
        st.warning(f"Cheaper if you accept a different plan: {_priced(cheaper, cast)}. It changes: {changed}.")
