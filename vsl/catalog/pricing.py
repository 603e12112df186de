"""The exact cost engine: catalog prices as `Decimal`, never floats, never rounded here.

Rounding is for display only (`vsl.money.to_cents` / `usd`). Per-second video models bill seconds of output;
Stable Video Diffusion bills GPU seconds (the catalog's typical run time until `metrics.predict_time` is known);
images bill per image, speech per 1,000 input characters, GPT-5 per token (`vsl.catalog.gpt5`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from vsl.catalog.catalog import (
    ModelSpec,
    aspect_ratio_choices,
    aspect_ratio_of,
    duration_choices,
    duration_of,
    get_catalog,
    normalize,
    params_for,
    resolution_choices,
    resolution_height,
    resolution_of,
)
from vsl.catalog.gpt5 import gpt5_cost
from vsl.catalog.validation import check_value, problems_in
from vsl.money import ZERO, to_decimal

THOUSAND = Decimal(1000)
PER_SECOND_KINDS = frozenset({"per_second_by_resolution", "per_second_by_audio"})


class PricingError(ValueError):
    """A price that cannot be computed: wrong kind of model, invalid priced parameter or plan figure."""


# --- single generations ------------------------------------------------------------------------------------


def _spec_of(model_id: str, media_type: str) -> ModelSpec:
    spec = get_catalog().get(model_id)
    if spec.media_type != media_type:
        others = ", ".join(m.id for m in get_catalog().models(media_type))
        raise PricingError(
            f"{spec.display_name} ({model_id}) makes {spec.media_type}, not {media_type}; "
            f"{media_type} prices apply to: {others}."
        )
    return spec


def _output_fields(spec: ModelSpec) -> list[str]:
    """The model's own fields behind the generic duration, resolution and aspect ratio."""
    video = spec.video
    if video is None:
        return []
    names = (
        video.duration_param,
        video.size_param,
        video.resolution_param,
        video.aspect_ratio_param,
        video.frames_param,
        video.fps_param,
    )
    return [name for name in names if name]


def _priced(model_id: str, params: Mapping[str, Any]) -> tuple[ModelSpec, dict[str, Any]]:
    """The video model and its normalized parameters, once the fields its price depends on are valid."""
    spec = _spec_of(model_id, "video")
    values = normalize(model_id, params)
    fields = [*_output_fields(spec), *([spec.pricing.audio_param] if spec.pricing.audio_param else [])]
    problems = problems_in(spec, values, fields)
    if problems:
        raise PricingError(f"Cannot price {spec.display_name}: {' '.join(problems)}")
    return spec, values


def _rate(spec: ModelSpec, values: Mapping[str, Any]) -> Decimal:
    """USD per second of output for the per-second kinds."""
    rule = spec.pricing
    if rule.kind == "per_second_by_audio":
        assert rule.audio_param is not None
        return rule.rates["with_audio" if values[rule.audio_param] else "without_audio"]
    resolution = resolution_of(spec.id, values)
    if rule.kind != "per_second_by_resolution" or resolution not in rule.rates:
        raise PricingError(f"{spec.display_name} has no per-second price for {resolution} in the catalog.")
    return rule.rates[resolution]


def _estimate(spec: ModelSpec, values: Mapping[str, Any]) -> Decimal:
    rule = spec.pricing
    if rule.kind == "free":
        return ZERO
    if rule.kind == "per_gpu_second":
        assert rule.unit_price is not None and rule.estimated_seconds is not None
        return rule.unit_price * rule.estimated_seconds
    return _rate(spec, values) * duration_of(spec.id, values)


def video_cost(model_id: str, params: Mapping[str, Any]) -> Decimal:
    """Estimated USD price of one generation with these parameters (defaults filled in)."""
    return _estimate(*_priced(model_id, params))


def price_per_second(model_id: str, params: Mapping[str, Any]) -> Decimal:
    """USD per second of output video.

    For GPU-billed models it is the estimate divided by the clip length: a quotient at Decimal's 28-digit
    precision, meant for display and comparison, never for adding up.
    """
    spec, values = _priced(model_id, params)
    if spec.pricing.kind in PER_SECOND_KINDS:
        return _rate(spec, values)
    return _estimate(spec, values) / duration_of(model_id, values)


def _known(value: Decimal | None) -> Decimal | None:
    """A positive measurement, or None: a missing, zero or negative report counts as unknown."""
    amount = to_decimal(value)
    return amount if amount.is_finite() and amount > 0 else None


def actual_video_cost(
    model_id: str,
    params: Mapping[str, Any],
    *,
    output_seconds: Decimal | None = None,
    predict_time: Decimal | None = None,
) -> Decimal:
    """What a finished generation costs: per-second models bill the output's seconds, GPU-billed models
    `predict_time` x rate; an unknown (None, zero or negative) measurement falls back to the estimate.
    Image jobs (issue 9) are billed per image and speech per character, so their actual cost is their price."""
    if get_catalog().get(model_id).media_type in ("image", "audio"):
        return generation_cost(model_id, params)
    spec, values = _priced(model_id, params)
    kind = spec.pricing.kind
    seconds, compute = _known(output_seconds), _known(predict_time)
    if kind in PER_SECOND_KINDS and seconds is not None:
        return _rate(spec, values) * seconds
    if kind == "per_gpu_second" and compute is not None:
        assert spec.pricing.unit_price is not None
        return spec.pricing.unit_price * compute
    return _estimate(spec, values)


def _check_count(name: str, value: Any, least: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise PricingError(f"{name} must be a whole number of at least {least} (got {value!r}).")


def image_cost(model_id: str, count: int = 1) -> Decimal:
    """USD price of `count` images."""
    spec = _spec_of(model_id, "image")
    _check_count("count", count)
    assert spec.pricing.unit_price is not None
    return spec.pricing.unit_price * count


def generation_cost(model_id: str, params: Mapping[str, Any]) -> Decimal:
    """Estimated USD price of one job: an image job pays for `num_outputs` images, a speech job for the
    characters of its `text`."""
    media_type = get_catalog().get(model_id).media_type
    if media_type == "image":
        return image_cost(model_id, int(params.get("num_outputs") or 1))
    if media_type == "audio":
        return audio_cost(model_id, len(str(params.get("text") or "")))
    return video_cost(model_id, params)


def audio_cost(model_id: str, characters: int) -> Decimal:
    """USD price of speaking `characters` input characters (pause markers such as <#0.5#> count too)."""
    spec = _spec_of(model_id, "audio")
    _check_count("characters", characters)
    assert spec.pricing.unit_price is not None
    return spec.pricing.unit_price * characters / THOUSAND


# --- plans -------------------------------------------------------------------------------------------------


_PLAN_MINIMUMS = {
    "episodes": 1,
    "scenes_per_episode": 1,
    "takes": 1,
    "images_per_episode": 0,
    "audio_chars_per_scene": 0,
    "gpt_input_tokens_per_scene": 0,
    "gpt_output_tokens_per_scene": 0,
    "gpt_cached_tokens_per_scene": 0,
}


@dataclass(frozen=True)
class PlanInput:
    """What a novela will generate. Figures are checked on creation; a plan has at least one episode."""

    model_id: str
    params: Mapping[str, Any]
    episodes: int
    scenes_per_episode: int
    takes: int = 1
    regeneration_rate: Decimal = Decimal("0")  # expected extra generations per take, e.g. 0.2
    images_per_episode: int = 0
    image_model_id: str = "flux-schnell"
    audio_chars_per_scene: int = 0
    audio_model_id: str = "speech-02-hd"
    gpt_model: str = "gpt-5"
    gpt_input_tokens_per_scene: int = 3000  # includes the cached tokens, as the Responses API reports them
    gpt_output_tokens_per_scene: int = 1500
    gpt_cached_tokens_per_scene: int = 0

    def __post_init__(self) -> None:
        for name, least in _PLAN_MINIMUMS.items():
            _check_count(name, getattr(self, name), least)
        rate = self.regeneration_rate
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
            raise PricingError(
                f"regeneration_rate must be a Decimal of 0 or more, such as Decimal('0.2') for one extra "
                f"generation in five (got {rate!r})."
            )


@dataclass(frozen=True)
class PlanEstimate:
    """A plan's price. `per_scene` holds a scene's video takes, narration and GPT-5 work; the images are
    bought per episode, so `per_episode` = scenes x per_scene + images, and `total` = episodes x per_episode
    = the sum of `breakdown` (keys video, image, audio, gpt5)."""

    per_video: Decimal
    per_scene: Decimal
    per_episode: Decimal
    total: Decimal
    video_count: Decimal  # expected generations, regenerations included (may be fractional)
    breakdown: dict[str, Decimal]


def estimate_plan(plan: PlanInput) -> PlanEstimate:
    """Price a whole plan: videos = episodes x scenes x takes x (1 + regeneration_rate)."""
    scenes = plan.episodes * plan.scenes_per_episode
    per_video = video_cost(plan.model_id, plan.params)
    videos_per_scene = plan.takes * (1 + plan.regeneration_rate)
    scene_audio = audio_cost(plan.audio_model_id, plan.audio_chars_per_scene)
    scene_gpt = gpt5_cost(
        plan.gpt_model,
        plan.gpt_input_tokens_per_scene,
        plan.gpt_cached_tokens_per_scene,
        plan.gpt_output_tokens_per_scene,
    )
    episode_images = image_cost(plan.image_model_id, plan.images_per_episode)
    per_scene = per_video * videos_per_scene + scene_audio + scene_gpt
    breakdown = {
        "video": per_video * videos_per_scene * scenes,
        "image": episode_images * plan.episodes,
        "audio": scene_audio * scenes,
        "gpt5": scene_gpt * scenes,
    }
    return PlanEstimate(
        per_video=per_video,
        per_scene=per_scene,
        per_episode=per_scene * plan.scenes_per_episode + episode_images,
        total=sum(breakdown.values(), ZERO),
        video_count=videos_per_scene * scenes,
        breakdown=breakdown,
    )


# --- comparing models --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelQuote:
    """One video model priced for a plan, with the settings used and how they differ from the plan's."""

    model_id: str
    display_name: str
    params: dict[str, Any]
    duration: Decimal  # seconds of output per video
    resolution: str | None
    aspect_ratio: str | None
    per_video: Decimal
    estimate: PlanEstimate
    verified: bool  # False: the catalog marks this price unverified
    changes: tuple[str, ...]  # e.g. "duration 8 s -> 10 s (nearest offered)"

    @property
    def total(self) -> Decimal:
        return self.estimate.total


@dataclass(frozen=True)
class _Wanted:
    duration: Decimal
    resolution: str
    aspect_ratio: str


def _wanted(plan: PlanInput) -> _Wanted:
    return _Wanted(
        duration=duration_of(plan.model_id, plan.params),
        resolution=resolution_of(plan.model_id, plan.params) or "720p",
        aspect_ratio=aspect_ratio_of(plan.model_id, plan.params) or "16:9",
    )


def _seconds(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _nearest_aspect(spec: ModelSpec, aspect_ratio: str) -> str:
    offered = aspect_ratio_choices(spec.id)
    return aspect_ratio if not offered or aspect_ratio in offered else offered[0]


def _nearest(spec: ModelSpec, wanted: _Wanted) -> tuple[int | Decimal, str, str]:
    """The offered duration and resolution nearest the wanted ones (ties: the longer, the sharper)."""
    durations = duration_choices(spec.id)
    duration = min(durations, key=lambda d: (abs(d - wanted.duration), -d)) if durations else wanted.duration
    height = resolution_height(wanted.resolution)
    resolution = min(
        resolution_choices(spec.id),
        key=lambda r: (abs(resolution_height(r) - height), -resolution_height(r)),
    )
    return duration, resolution, _nearest_aspect(spec, wanted.aspect_ratio)


def _carried(plan: PlanInput, target: ModelSpec) -> tuple[dict[str, Any], list[str]]:
    """The plan's other settings (audio, seed, frames, ...) that `target` accepts, and notes on the rest."""
    source = get_catalog().get(plan.model_id)
    generic = {*_output_fields(source), *_output_fields(target)}
    kept: dict[str, Any] = {}
    notes: list[str] = []
    for name, value in normalize(plan.model_id, plan.params).items():
        if name in generic:
            continue
        param = target.param(name)
        if param is not None and check_value(target, param, value) is None:
            kept[name] = value
        elif name in plan.params:
            notes.append(f"{name} left out: not accepted by {target.display_name}")
    return kept, notes


def _changes(wanted: _Wanted, quote_settings: tuple[Decimal, str | None, str | None]) -> list[str]:
    duration, resolution, aspect = quote_settings
    changes = []
    if duration != wanted.duration:
        changes.append(f"duration {_seconds(wanted.duration)} s -> {_seconds(duration)} s (nearest offered)")
    if resolution != wanted.resolution:
        changes.append(f"resolution {wanted.resolution} -> {resolution}")
    if aspect is not None and aspect != wanted.aspect_ratio:
        changes.append(f"aspect ratio {wanted.aspect_ratio} -> {aspect}")
    return changes


def _quote(plan: PlanInput, spec: ModelSpec, settings: tuple[int | Decimal, str, str], wanted: _Wanted) -> ModelQuote:
    extra, notes = _carried(plan, spec)
    params = params_for(spec.id, *settings, **extra)
    got = (duration_of(spec.id, params), resolution_of(spec.id, params), aspect_ratio_of(spec.id, params))
    unset = [p.name for p in spec.parameters if p.required and p.name not in params]
    missing = [f"needs {name}, which the plan does not set" for name in unset]
    estimate = estimate_plan(replace(plan, model_id=spec.id, params=params))
    return ModelQuote(
        model_id=spec.id,
        display_name=spec.display_name,
        params=params,
        duration=got[0],
        resolution=got[1],
        aspect_ratio=got[2],
        per_video=estimate.per_video,
        estimate=estimate,
        verified=spec.pricing.verified,
        changes=(*_changes(wanted, got), *notes, *missing),
    )


def compare_video_models(plan: PlanInput) -> list[ModelQuote]:
    """Every video model, in catalog order, priced for the plan at the offered settings nearest the plan's."""
    wanted = _wanted(plan)
    return [_quote(plan, spec, _nearest(spec, wanted), wanted) for spec in get_catalog().models("video")]


def _durations_at_least(spec: ModelSpec, duration: int) -> list[int | Decimal]:
    offered = duration_choices(spec.id)
    if not offered:  # the length follows from other fields (SVD): derived, and checked by the caller
        return [Decimal(duration)]
    return [d for d in offered if d >= duration]


def cheapest_configuration(
    plan: PlanInput, min_resolution: str, duration: int, *, include_preview: bool = False
) -> ModelQuote | None:
    """The cheapest model and settings (for the whole plan) of at least `min_resolution` and of *at least*
    `duration` seconds (a longer clip can be trimmed; a shorter one cannot be stretched). The plan's other
    settings, such as audio on or off, are kept. The free local preview only competes with `include_preview`.
    Ties go to the sharper, then the shorter setting, then catalog order; None when nothing qualifies."""
    floor, wanted = resolution_height(min_resolution), _wanted(plan)
    quotes = []
    for spec in get_catalog().models("video"):
        if spec.provider == "local" and not include_preview:
            continue
        durations = _durations_at_least(spec, duration)
        aspect = _nearest_aspect(spec, wanted.aspect_ratio)
        for resolution in resolution_choices(spec.id):
            if resolution_height(resolution) >= floor:
                quotes += [_quote(plan, spec, (d, resolution, aspect), wanted) for d in durations]
    fitting = [q for q in quotes if q.duration >= duration]
    return min(
        fitting,
        key=lambda q: (q.total, -resolution_height(q.resolution or "0p"), q.duration),
        default=None,
    )
