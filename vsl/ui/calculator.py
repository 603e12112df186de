"""The cost calculator's cheapest-fit box: the same plan compared like for like, and what a cheaper one changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from vsl.catalog import (
    ModelQuote,
    ModelSpec,
    PlanInput,
    cheapest_configuration,
    compare_video_models,
    duration_choices,
    get_catalog,
    normalize,
)
from vsl.money import usd

_SETTINGS = ("duration", "resolution", "aspect ratio")  # how pricing's own change notes start


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


def _priced(quote: ModelQuote) -> str:
    unverified = " (price unverified)" if not quote.verified else ""
    return f"**{quote.display_name}**, {usd(quote.total)} for the novela{unverified}"


def cheapest_box(plan: PlanInput, duration: int, resolution: str, aspect: str) -> None:
    """The cheapest model for exactly this plan, and, if one is cheaper by changing it, what it changes."""
    paid = [q for q in compare_video_models(plan) if get_catalog().get(q.model_id).provider != "local"]
    same = [q for q in paid if not differences(plan, q, duration, resolution, aspect)]
    best_same = min(same, key=lambda q: q.total, default=None)
    audio = "with audio" if makes_audio(get_catalog().get(plan.model_id), plan.params) else "without audio"
    if best_same is not None:
        st.success(f"Cheapest for this very plan ({duration} s, {resolution}, {audio}): {_priced(best_same)}.")
    else:
        st.info(f"No other model offers this very plan ({duration} s, {resolution}, {audio}).")
    cheaper = cheapest_configuration(plan, resolution, duration)
    if cheaper is None:
        st.info(f"No model offers {resolution} or sharper with clips of at least {duration} s.")
    elif best_same is None or cheaper.total < best_same.total:
        changed = "; ".join(differences(plan, cheaper, duration, resolution, aspect)) or "nothing else"
        st.warning(f"Cheaper if you accept a different plan: {_priced(cheaper)}. It changes: {changed}.")
