"""The cost engine: hand-derived prices from the published rates, plans, model comparison and properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsl.catalog import (
    PlanInput,
    PricingError,
    actual_video_cost,
    aspect_ratio_choices,
    audio_cost,
    cheapest_configuration,
    compare_video_models,
    duration_choices,
    estimate_plan,
    generation_cost,
    get_catalog,
    image_cost,
    params_for,
    price_per_second,
    resolution_choices,
    video_cost,
)
from vsl.catalog.gpt5 import gpt5_cost

D = Decimal
IMG = "media:novelas/1/isabel.png"


def _plan_total(**kwargs: object) -> Decimal:
    return estimate_plan(PlanInput(**kwargs)).total  # type: ignore[arg-type]


CASES: list[tuple[str, Callable[[], Decimal], str]] = [
    # --- video_cost: per second of output -------------------------------------------------------------
    # veo-3.1 8 s 1080p with audio = 8 x 0.40 = 3.20
    ("veo 8s 1080p audio", lambda: video_cost("veo-3.1", {"duration": 8, "resolution": "1080p"}), "3.20"),
    # same rate at 720p: 8 x 0.40 = 3.20
    ("veo 8s 720p audio", lambda: video_cost("veo-3.1", {"duration": 8, "resolution": "720p"}), "3.20"),
    # without audio: 4 x 0.20 = 0.80
    ("veo 4s silent", lambda: video_cost("veo-3.1", {"duration": 4, "generate_audio": False}), "0.80"),
    # 6 x 0.40 = 2.40 (audio on by default)
    ("veo 6s", lambda: video_cost("veo-3.1", {"duration": 6}), "2.40"),
    # defaults 8 s with audio: 8 x 0.40 = 3.20
    ("veo defaults", lambda: video_cost("veo-3.1", {}), "3.20"),
    # 8 x 0.20 = 1.60
    ("veo 8s silent", lambda: video_cost("veo-3.1", {"generate_audio": False}), "1.60"),
    # veo-3.1-fast with audio: 8 x 0.15 = 1.20
    ("veo-fast 8s audio", lambda: video_cost("veo-3.1-fast", {"duration": 8}), "1.20"),
    # 8 x 0.10 = 0.80
    ("veo-fast 8s silent", lambda: video_cost("veo-3.1-fast", {"generate_audio": False}), "0.80"),
    # 4 x 0.10 = 0.40
    ("veo-fast 4s silent", lambda: video_cost("veo-3.1-fast", {"duration": 4, "generate_audio": False}), "0.40"),
    # 6 x 0.15 = 0.90, 1080p costs the same
    ("veo-fast 6s 1080p", lambda: video_cost("veo-3.1-fast", {"duration": 6, "resolution": "1080p"}), "0.90"),
    # 4 x 0.15 = 0.60
    ("veo-fast 4s audio", lambda: video_cost("veo-3.1-fast", {"duration": 4}), "0.60"),
    # wan 720p 10 s = 10 x 0.10 = 1.00
    ("wan 720p 10s", lambda: video_cost("wan-2.5-t2v", {"size": "1280*720", "duration": 10}), "1.00"),
    # 5 x 0.10 = 0.50
    ("wan 720p 5s", lambda: video_cost("wan-2.5-t2v", {"size": "1280*720", "duration": 5}), "0.50"),
    # 480p: 5 x 0.05 = 0.25
    ("wan 480p 5s", lambda: video_cost("wan-2.5-t2v", {"size": "832*480", "duration": 5}), "0.25"),
    # 480p portrait: 10 x 0.05 = 0.50
    ("wan 480p portrait 10s", lambda: video_cost("wan-2.5-t2v", {"size": "480*832", "duration": 10}), "0.50"),
    # 1080p: 10 x 0.15 = 1.50
    ("wan 1080p 10s", lambda: video_cost("wan-2.5-t2v", {"size": "1920*1080", "duration": 10}), "1.50"),
    # 1080p portrait: 5 x 0.15 = 0.75
    ("wan 1080p portrait 5s", lambda: video_cost("wan-2.5-t2v", {"size": "1080*1920"}), "0.75"),
    # defaults 720p 5 s: 5 x 0.10 = 0.50
    ("wan defaults", lambda: video_cost("wan-2.5-t2v", {}), "0.50"),
    # wan-fast 1080p 5 s = 5 x 0.102 = 0.51
    ("wan-fast 1080p 5s", lambda: video_cost("wan-2.5-t2v-fast", {"size": "1920*1080", "duration": 5}), "0.51"),
    # 10 x 0.102 = 1.02
    ("wan-fast 1080p 10s", lambda: video_cost("wan-2.5-t2v-fast", {"size": "1920*1080", "duration": 10}), "1.02"),
    # 720p: 5 x 0.068 = 0.34
    ("wan-fast 720p 5s", lambda: video_cost("wan-2.5-t2v-fast", {}), "0.34"),
    # 720p portrait: 10 x 0.068 = 0.68
    ("wan-fast 720p 10s", lambda: video_cost("wan-2.5-t2v-fast", {"size": "720*1280", "duration": 10}), "0.68"),
    # SVD estimate: 60 GPU s x 0.0014 = 0.084
    ("svd estimate", lambda: video_cost("stable-video-diffusion", {"input_image": IMG}), "0.084"),
    # the estimate does not depend on the clip length: 60 x 0.0014 = 0.084
    (
        "svd xt estimate",
        lambda: video_cost("stable-video-diffusion", {"video_length": "25_frames_with_svd_xt"}),
        "0.084",
    ),
    # local preview is free
    ("local preview", lambda: video_cost("local-preview", {"duration": 10}), "0"),
    # --- actual_video_cost -----------------------------------------------------------------------------
    # billed on the output's seconds: 7.5 x 0.40 = 3.00
    ("veo actual 7.5s", lambda: actual_video_cost("veo-3.1", {}, output_seconds=D("7.5")), "3.00"),
    # 8 x 0.10 = 0.80
    (
        "veo-fast actual silent",
        lambda: actual_video_cost("veo-3.1-fast", {"generate_audio": False}, output_seconds=D(8)),
        "0.80",
    ),
    # 10.04 x 0.10 = 1.004
    (
        "wan actual 10.04s",
        lambda: actual_video_cost("wan-2.5-t2v", {"duration": 10}, output_seconds=D("10.04")),
        "1.004",
    ),
    # SVD: predict_time 42.5 x 0.0014 = 0.0595
    ("svd actual", lambda: actual_video_cost("stable-video-diffusion", {}, predict_time=D("42.5")), "0.0595"),
    # unknown predict_time falls back to the estimate 60 x 0.0014 = 0.084
    ("svd actual unknown", lambda: actual_video_cost("stable-video-diffusion", {}), "0.084"),
    # unknown output length falls back to the estimate 8 x 0.40 = 3.20
    ("veo actual unknown", lambda: actual_video_cost("veo-3.1", {}, predict_time=D(50)), "3.20"),
    # a negative measurement is unknown: 60 x 0.0014 = 0.084
    ("svd actual negative", lambda: actual_video_cost("stable-video-diffusion", {}, predict_time=D(-1)), "0.084"),
    # a zero-length output is unknown: 5 x 0.102 = 0.51
    (
        "wan-fast actual zero",
        lambda: actual_video_cost("wan-2.5-t2v-fast", {"size": "1920*1080"}, output_seconds=D(0)),
        "0.51",
    ),
    # free stays free
    ("local actual", lambda: actual_video_cost("local-preview", {}, output_seconds=D(10)), "0"),
    # --- images: per image -----------------------------------------------------------------------------
    ("flux-schnell 1", lambda: image_cost("flux-schnell"), "0.003"),  # 1 x 0.003
    ("flux-schnell 4", lambda: image_cost("flux-schnell", 4), "0.012"),  # 4 x 0.003
    ("flux-pro 3", lambda: image_cost("flux-1.1-pro", 3), "0.12"),  # 3 x 0.04
    ("ideogram 2", lambda: image_cost("ideogram-v3-quality", 2), "0.18"),  # 2 x 0.09
    ("no images", lambda: image_cost("flux-schnell", 0), "0"),  # 0 x 0.003
    # --- speech: per 1,000 characters ------------------------------------------------------------------
    ("speech 1000", lambda: audio_cost("speech-02-hd", 1000), "0.10"),  # 1000 / 1000 x 0.10
    ("speech 2500", lambda: audio_cost("speech-02-hd", 2500), "0.25"),  # 2.5 x 0.10
    ("speech 1 char", lambda: audio_cost("speech-02-hd", 1), "0.0001"),  # 0.001 x 0.10
    ("speech max text", lambda: audio_cost("speech-02-hd", 10_000), "1.00"),  # 10 x 0.10
    # a speech job pays for the characters of its text, "Burn it." = 8: 0.008 x 0.10
    ("speech job", lambda: generation_cost("speech-02-hd", {"text": "Burn it."}), "0.0008"),
    # billed at its price whatever the recording's length
    ("speech actual", lambda: actual_video_cost("speech-02-hd", {"text": "Burn it."}, output_seconds=D(9)), "0.0008"),
    # --- GPT-5 per 1M tokens ---------------------------------------------------------------------------
    # 3000 x 1.25/1M + 1500 x 10/1M = 0.00375 + 0.015 = 0.01875
    ("gpt-5 scene", lambda: gpt5_cost("gpt-5", 3000, 0, 1500), "0.01875"),
    # cached: 6000 x 1.25/1M + 4000 x 0.125/1M + 2000 x 10/1M = 0.0075 + 0.0005 + 0.02 = 0.028
    ("gpt-5 cached", lambda: gpt5_cost("gpt-5", 10_000, 4000, 2000), "0.028"),
    # 3000 x 0.25/1M + 1500 x 2/1M = 0.00075 + 0.003 = 0.00375
    ("gpt-5-mini scene", lambda: gpt5_cost("gpt-5-mini", 3000, 0, 1500), "0.00375"),
    # 200K x 0.05/1M + 1M x 0.40/1M = 0.01 + 0.40 = 0.41 (gpt-5-nano takes at most 272K input tokens)
    ("gpt-5-nano 200K/1M", lambda: gpt5_cost("gpt-5-nano", 200_000, 0, 1_000_000), "0.41"),
    # --- price per second of output --------------------------------------------------------------------
    ("veo $/s", lambda: price_per_second("veo-3.1", {}), "0.40"),  # with audio
    ("wan-fast 1080p $/s", lambda: price_per_second("wan-2.5-t2v-fast", {"size": "1080*1920"}), "0.102"),
    # SVD 25 frames at 5 fps = 5 s: 0.084 / 5 = 0.0168
    (
        "svd $/s",
        lambda: price_per_second(
            "stable-video-diffusion", {"video_length": "25_frames_with_svd_xt", "frames_per_second": 5}
        ),
        "0.0168",
    ),
    ("local $/s", lambda: price_per_second("local-preview", {}), "0"),
    # --- plans -----------------------------------------------------------------------------------------
    # 2 x 5 scenes x 1 take x 1.2 = 12 videos x 1.20 = 14.40; GPT-5 10 x 0.01875 = 0.1875; total 14.5875
    (
        "plan veo-fast regen 0.2",
        lambda: _plan_total(
            model_id="veo-3.1-fast", params={}, episodes=2, scenes_per_episode=5, regeneration_rate=D("0.2")
        ),
        "14.5875",
    ),
    # 3 x 4 x 2 takes x 1.5 = 36 videos x 1.00 = 36; images 3 x 2 x 0.003 = 0.018;
    # speech 12 scenes x 500/1000 x 0.10 = 0.60; GPT-5 12 x 0.01875 = 0.225; total 36.843
    (
        "plan wan with images and speech",
        lambda: _plan_total(
            model_id="wan-2.5-t2v",
            params={"duration": 10},
            episodes=3,
            scenes_per_episode=4,
            takes=2,
            regeneration_rate=D("0.5"),
            images_per_episode=2,
            audio_chars_per_scene=500,
        ),
        "36.843",
    ),
    # local preview and no GPT-5 tokens: 0
    (
        "plan free",
        lambda: _plan_total(
            model_id="local-preview",
            params={},
            episodes=1,
            scenes_per_episode=1,
            gpt_input_tokens_per_scene=0,
            gpt_output_tokens_per_scene=0,
        ),
        "0",
    ),
    # 10 x 8 x 1.25 = 100 videos x 3.20 = 320; gpt-5-mini per scene 1000 x 0.25/1M + 2000 x 0.025/1M
    # + 1500 x 2/1M = 0.00025 + 0.00005 + 0.003 = 0.0033, x 80 = 0.264; total 320.264
    (
        "plan veo with cached gpt-5-mini",
        lambda: _plan_total(
            model_id="veo-3.1",
            params={},
            episodes=10,
            scenes_per_episode=8,
            regeneration_rate=D("0.25"),
            gpt_model="gpt-5-mini",
            gpt_cached_tokens_per_scene=2000,
        ),
        "320.264",
    ),
    # 1 x 10 x 3 takes = 30 x 0.084 = 2.52; 5 ideogram images x 0.09 = 0.45; total 2.97
    (
        "plan svd with ideogram",
        lambda: _plan_total(
            model_id="stable-video-diffusion",
            params={"input_image": IMG},
            episodes=1,
            scenes_per_episode=10,
            takes=3,
            images_per_episode=5,
            image_model_id="ideogram-v3-quality",
            gpt_input_tokens_per_scene=0,
            gpt_output_tokens_per_scene=0,
        ),
        "2.97",
    ),
]


@pytest.mark.parametrize(("compute", "expected"), [(c, e) for _, c, e in CASES], ids=[n for n, _, _ in CASES])
def test_hand_derived_prices(compute: Callable[[], Decimal], expected: str) -> None:
    result = compute()
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)


def test_there_are_at_least_forty_hand_derived_cases() -> None:
    assert len(CASES) >= 40


def test_gpu_billed_price_per_second_is_a_quotient_for_display() -> None:
    # SVD defaults: 14 frames at 6 fps = 14/6 s; 0.084 / (14/6) = 0.036, at Decimal's 28-digit precision
    assert abs(price_per_second("stable-video-diffusion", {}) - D("0.036")) < D("1e-26")


def test_plan_parts_add_up() -> None:
    plan = PlanInput("veo-3.1-fast", {}, episodes=2, scenes_per_episode=5, regeneration_rate=D("0.2"))
    estimate = estimate_plan(plan)
    assert estimate.per_video == D("1.20")
    assert estimate.video_count == 12  # 2 x 5 x 1 x 1.2
    assert estimate.per_scene == D("1.45875")  # 1.2 x 1.20 + 0.01875
    assert estimate.per_episode == D("7.29375")  # 5 x 1.45875
    assert estimate.breakdown == {"video": D("14.40"), "image": 0, "audio": 0, "gpt5": D("0.1875")}
    assert estimate.total == estimate.per_episode * 2 == sum(estimate.breakdown.values())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: image_cost("veo-3.1"), "Veo 3.1 (veo-3.1) makes video, not image; image prices apply to: flux-"),
        (lambda: audio_cost("flux-schnell", 10), "makes image, not audio; audio prices apply to: speech-02-hd"),
        (lambda: video_cost("speech-02-hd", {}), "makes audio, not video; video prices apply to: wan-2.5-t2v"),
        (lambda: video_cost("veo-3.1", {"duration": 5}), "Cannot price Veo 3.1: duration must be one of 4, 6, 8"),
        (lambda: video_cost("wan-2.5-t2v-fast", {"size": "832*480"}), "Cannot price Wan 2.5 Fast: size must be"),
        (lambda: video_cost("veo-3.1", {"generate_audio": "yes"}), "generate_audio must be true or false"),
        (lambda: image_cost("flux-schnell", -1), "count must be a whole number of at least 0 (got -1)."),
        (lambda: audio_cost("speech-02-hd", 1.5), "characters must be a whole number of at least 0 (got 1.5)."),
        (lambda: PlanInput("veo-3.1", {}, 0, 5), "episodes must be a whole number of at least 1 (got 0)."),
        (lambda: PlanInput("veo-3.1", {}, 1, 0), "scenes_per_episode must be a whole number of at least 1 (got 0)."),
        (lambda: PlanInput("veo-3.1", {}, 1, 1, takes=0), "takes must be a whole number of at least 1 (got 0)."),
        (lambda: PlanInput("veo-3.1", {}, 1, 1, regeneration_rate=0.2), "regeneration_rate must be a Decimal"),
        (lambda: PlanInput("veo-3.1", {}, 1, 1, regeneration_rate=D(-1)), "regeneration_rate must be a Decimal"),
    ],
)
def test_prices_that_cannot_be_computed_say_why(call: Callable[[], object], message: str) -> None:
    with pytest.raises(PricingError) as err:
        call()
    assert message in str(err.value)


# --- comparing models ----------------------------------------------------------------------------------


def _plan(model_id: str = "veo-3.1", **params: object) -> PlanInput:
    return PlanInput(model_id, params, episodes=2, scenes_per_episode=5, regeneration_rate=D("0.2"))


def test_compare_quotes_every_video_model_at_the_nearest_settings() -> None:
    quotes = {q.model_id: q for q in compare_video_models(_plan())}  # veo-3.1: 8 s, 1080p, 16:9, audio
    assert list(quotes) == [m.id for m in get_catalog().models("video")]
    summary = {m: (q.duration, q.resolution, q.per_video, q.verified) for m, q in quotes.items()}
    assert summary == {
        "wan-2.5-t2v": (10, "1080p", D("1.50"), False),  # 8 s -> 10 s (|10-8| < |5-8|): 10 x 0.15
        "wan-2.5-t2v-fast": (10, "1080p", D("1.02"), False),  # 10 x 0.102
        "veo-3.1": (8, "1080p", D("3.20"), True),  # 8 x 0.40
        "veo-3.1-fast": (8, "1080p", D("1.20"), True),  # 8 x 0.15 (audio kept on)
        "stable-video-diffusion": (5, "576p", D("0.084"), True),  # 25 frames at 5 fps; 60 x 0.0014
        "local-preview": (8, "720p", D("0"), True),
    }
    assert quotes["veo-3.1"].changes == ()
    assert quotes["wan-2.5-t2v"].changes == ("duration 8 s -> 10 s (nearest offered)",)
    assert quotes["stable-video-diffusion"].changes == (
        "duration 8 s -> 5 s (nearest offered)",
        "resolution 1080p -> 576p",
        "needs input_image, which the plan does not set",
    )
    # 12 videos x 1.02 + 10 scenes x 0.01875 = 12.24 + 0.1875
    assert quotes["wan-2.5-t2v-fast"].total == D("12.4275")


def test_compare_keeps_the_plans_own_settings_where_the_model_has_them() -> None:
    plan = _plan("veo-3.1", generate_audio=False, seed=9, reference_images=[IMG])
    quotes = {q.model_id: q for q in compare_video_models(plan)}
    fast = quotes["veo-3.1-fast"]
    assert fast.params["generate_audio"] is False and fast.params["seed"] == 9
    assert fast.per_video == D("0.80")  # 8 x 0.10 without audio
    assert "reference_images left out: not accepted by Veo 3.1 Fast" in fast.changes
    assert "generate_audio left out: not accepted by Wan 2.5" in quotes["wan-2.5-t2v"].changes


def test_compare_names_a_changed_aspect_ratio() -> None:
    quotes = {q.model_id: q for q in compare_video_models(_plan("local-preview", aspect_ratio="1:1", duration=6))}
    assert quotes["veo-3.1"].changes == ("resolution 480p -> 720p", "aspect ratio 1:1 -> 16:9")
    assert quotes["veo-3.1"].aspect_ratio == "16:9" and quotes["stable-video-diffusion"].aspect_ratio is None


@pytest.mark.parametrize(
    ("plan", "min_resolution", "duration", "expected"),
    [
        # 1080p, >= 8 s, audio on: wan-fast 10 s = 1.02 beats veo-fast 8 s = 1.20 and wan 10 s = 1.50
        (_plan(), "1080p", 8, ("wan-2.5-t2v-fast", 10, "1080p", D("1.02"))),
        # audio off: veo-fast 8 s x 0.10 = 0.80 beats wan-fast 1.02
        (_plan(generate_audio=False), "1080p", 8, ("veo-3.1-fast", 8, "1080p", D("0.80"))),
        # 720p, >= 4 s: wan-fast 5 s x 0.068 = 0.34 beats veo-fast 4 s x 0.15 = 0.60
        (_plan(), "720p", 4, ("wan-2.5-t2v-fast", 5, "720p", D("0.34"))),
        # 480p, >= 4 s: SVD 25 frames at 6 fps (4.17 s) for 0.084 beats wan 480p 5 s = 0.25
        (_plan(), "480p", 4, ("stable-video-diffusion", D(25) / 6, "576p", D("0.084"))),
        # veo at the same price in 720p and 1080p: the sharper one wins
        (_plan(generate_audio=False), "720p", 6, ("veo-3.1-fast", 6, "1080p", D("0.60"))),
    ],
)
def test_cheapest_configuration(plan: PlanInput, min_resolution: str, duration: int, expected: tuple) -> None:
    quote = cheapest_configuration(plan, min_resolution, duration)
    assert quote is not None
    assert (quote.model_id, quote.duration, quote.resolution, quote.per_video) == expected


def test_cheapest_configuration_when_nothing_qualifies_or_preview_allowed() -> None:
    assert cheapest_configuration(_plan(), "1080p", 11) is None  # no model makes 11 s at 1080p
    assert cheapest_configuration(_plan(), "2160p", 4) is None
    preview = cheapest_configuration(_plan(), "720p", 6, include_preview=True)
    assert preview is not None and (preview.model_id, preview.per_video) == ("local-preview", 0)


# --- properties ------------------------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> PlanInput:
    model = draw(st.sampled_from([m.id for m in get_catalog().models("video")]))
    durations = duration_choices(model) or [draw(st.integers(1, 6))]
    aspects = aspect_ratio_choices(model) or ["16:9"]
    params = params_for(
        model,
        draw(st.sampled_from(durations)),
        draw(st.sampled_from(resolution_choices(model))),
        draw(st.sampled_from(aspects)),
    )
    if "generate_audio" in params:
        params["generate_audio"] = draw(st.booleans())
    tokens = draw(st.integers(0, 200_000))
    return PlanInput(
        model,
        params,
        episodes=draw(st.integers(1, 120)),
        scenes_per_episode=draw(st.integers(1, 40)),
        takes=draw(st.integers(1, 4)),
        regeneration_rate=draw(st.decimals(min_value=0, max_value=3, places=2)),
        images_per_episode=draw(st.integers(0, 12)),
        image_model_id=draw(st.sampled_from([m.id for m in get_catalog().models("image")])),
        audio_chars_per_scene=draw(st.integers(0, 10_000)),
        gpt_model=draw(st.sampled_from(["gpt-5", "gpt-5-mini", "gpt-5-nano"])),
        gpt_input_tokens_per_scene=tokens,
        gpt_cached_tokens_per_scene=draw(st.integers(0, tokens)),
        gpt_output_tokens_per_scene=draw(st.integers(0, 50_000)),
    )


@settings(max_examples=60, deadline=None)
@given(plans())
def test_costs_are_never_negative(plan: PlanInput) -> None:
    estimate = estimate_plan(plan)
    amounts = [estimate.per_video, estimate.per_scene, estimate.per_episode, estimate.total]
    assert all(a >= 0 for a in [*amounts, *estimate.breakdown.values()])


@settings(max_examples=60, deadline=None)
@given(plans(), st.integers(1, 50))
def test_costs_scale_linearly_with_episodes(plan: PlanInput, factor: int) -> None:
    base = estimate_plan(plan)
    scaled = estimate_plan(replace(plan, episodes=plan.episodes * factor))
    assert scaled.total == base.total * factor
    assert scaled.per_episode == base.per_episode and scaled.per_video == base.per_video


@settings(max_examples=60, deadline=None)
@given(plans())
def test_costs_are_exact_decimals(plan: PlanInput) -> None:
    estimate = estimate_plan(plan)
    fields = [estimate.per_video, estimate.per_scene, estimate.per_episode, estimate.total, estimate.video_count]
    assert all(type(v) is Decimal for v in [*fields, *estimate.breakdown.values()])
    scenes = plan.episodes * plan.scenes_per_episode
    # recomputed with rational numbers: nothing was rounded on the way
    videos = Fraction(plan.takes) * (1 + Fraction(plan.regeneration_rate)) * scenes
    assert Fraction(estimate.video_count) == videos
    assert Fraction(estimate.breakdown["video"]) == Fraction(estimate.per_video) * videos
    assert Fraction(estimate.total) == sum(Fraction(v) for v in estimate.breakdown.values())
    assert Fraction(estimate.total) == Fraction(estimate.per_episode) * plan.episodes
