"""The catalog as data: what loads, how models are described, and the generic video controls."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from vsl.catalog import (
    CatalogError,
    UnknownModel,
    aspect_ratio_choices,
    aspect_ratio_of,
    duration_choices,
    duration_of,
    get_catalog,
    normalize,
    params_for,
    resolution_choices,
    resolution_of,
)
from vsl.catalog.catalog import CATALOG_PATH, load_catalog

VIDEO_IDS = ["wan-2.5-t2v", "wan-2.5-t2v-fast", "veo-3.1", "veo-3.1-fast", "stable-video-diffusion", "local-preview"]


def test_catalog_lists_every_model_in_file_order() -> None:
    catalog = get_catalog()
    assert [m.id for m in catalog.models("video")] == VIDEO_IDS
    assert [m.id for m in catalog.models("image")] == ["flux-schnell", "flux-1.1-pro", "ideogram-v3-quality"]
    assert [m.id for m in catalog.models("audio")] == ["speech-02-hd"]
    assert len(catalog.models()) == 10


def test_catalog_is_loaded_once() -> None:
    assert get_catalog() is get_catalog()


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(UnknownModel) as err:
        get_catalog().get("sora-2")
    assert isinstance(err.value, ValueError)
    assert "'sora-2'" in str(err.value) and "veo-3.1-fast" in str(err.value) and "speech-02-hd" in str(err.value)


def test_unknown_media_type_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown media type 'videos'"):
        get_catalog().models("videos")


def test_prices_are_exact_decimals_with_a_source_and_date() -> None:
    for spec in get_catalog().models():
        rule = spec.pricing
        amounts = [*rule.rates.values(), rule.unit_price, rule.estimated_seconds]
        assert all(isinstance(a, Decimal) for a in amounts if a is not None), spec.id
        assert rule.checked == "2026-11"
        if rule.kind != "free":
            assert rule.source is not None and rule.source.startswith("https://"), spec.id


@pytest.mark.parametrize(
    ("model_id", "verified"),
    [("wan-2.5-t2v-fast", False), ("speech-02-hd", False), ("wan-2.5-t2v", False), ("veo-3.1", True)],
)
def test_unverified_prices_are_marked(model_id: str, verified: bool) -> None:
    assert get_catalog().get(model_id).pricing.verified is verified


def test_one_recommended_video_model_and_one_free_one() -> None:
    videos = get_catalog().models("video")
    assert [m.id for m in videos if m.recommended] == ["veo-3.1-fast"]
    assert [m.id for m in videos if m.pricing.kind == "free"] == ["local-preview"]
    assert get_catalog().get("local-preview").provider == "local"


def test_provider_ids_and_runtime_limits() -> None:
    svd = get_catalog().get("stable-video-diffusion")
    assert svd.replicate_version is None and "version" in svd.setup_note and "Configure" in svd.setup_note
    assert svd.lambda_model_id == "stability-video"
    for spec in get_catalog().models():
        if spec.id != "stable-video-diffusion":
            assert spec.lambda_model_id == spec.id and spec.replicate_version is None
        if spec.provider == "replicate":
            assert spec.replicate_model is not None and spec.replicate_model.count("/") == 1
            assert spec.max_runtime_s <= 1800
    assert get_catalog().get("local-preview").max_runtime_s == 120
    assert get_catalog().get("veo-3.1").max_runtime_s == 1800


@pytest.mark.parametrize("spec", get_catalog().models(), ids=lambda s: s.id)
def test_features_agree_with_parameters(spec) -> None:
    for feature in ("reference_images", "seed", "negative_prompt"):
        assert (feature in spec.features) == (spec.param(feature) is not None), feature
    assert ("text_prompt" in spec.features) == (spec.prompt is not None)
    refs = spec.param("reference_images")
    assert spec.max_reference_images == (refs.max_items if refs else 0)
    for param in spec.parameters:
        if param.type == "enum":
            assert param.choices, param.name
        if param.name == "seed":
            assert param.minimum == 0 and param.maximum in (2**32 - 1, 2**31 - 1)


@pytest.mark.parametrize(
    ("model_id", "durations", "resolutions", "aspects"),
    [
        ("wan-2.5-t2v", [5, 10], ["480p", "720p", "1080p"], ["16:9", "9:16"]),
        ("wan-2.5-t2v-fast", [5, 10], ["720p", "1080p"], ["16:9", "9:16"]),
        ("veo-3.1", [4, 6, 8], ["720p", "1080p"], ["16:9", "9:16"]),
        ("veo-3.1-fast", [4, 6, 8], ["720p", "1080p"], ["16:9", "9:16"]),
        ("stable-video-diffusion", [], ["576p"], []),
        ("local-preview", list(range(1, 11)), ["480p", "720p"], ["16:9", "9:16", "1:1"]),
    ],
)
def test_generic_choices(model_id: str, durations: list[int], resolutions: list[str], aspects: list[str]) -> None:
    assert duration_choices(model_id) == durations
    assert resolution_choices(model_id) == resolutions
    assert aspect_ratio_choices(model_id) == aspects


def test_choices_are_for_video_models_only() -> None:
    with pytest.raises(ValueError, match="image model, not a video model"):
        duration_choices("flux-schnell")


@pytest.mark.parametrize(
    ("model_id", "args", "expected"),
    [
        ("wan-2.5-t2v", (10, "720p", "16:9"), {"duration": 10, "size": "1280*720"}),
        ("wan-2.5-t2v", (5, "1080p", "9:16"), {"duration": 5, "size": "1080*1920"}),
        ("wan-2.5-t2v", (5, "480p", "16:9"), {"duration": 5, "size": "832*480"}),
        ("wan-2.5-t2v-fast", (10, "720p", "9:16"), {"duration": 10, "size": "720*1280"}),
        ("veo-3.1", (6, "720p", "9:16"), {"duration": 6, "resolution": "720p", "aspect_ratio": "9:16"}),
        ("local-preview", (3, "480p", "1:1"), {"duration": 3, "resolution": "480p", "aspect_ratio": "1:1"}),
        # SVD: the frame count and fps whose length (frames / fps) is nearest the asked seconds
        ("stable-video-diffusion", (2, "576p"), {"video_length": "14_frames_with_svd", "frames_per_second": 7}),
        ("stable-video-diffusion", (4, "576p"), {"video_length": "25_frames_with_svd_xt", "frames_per_second": 6}),
        ("stable-video-diffusion", (8, "576p"), {"video_length": "25_frames_with_svd_xt", "frames_per_second": 5}),
    ],
)
def test_params_for_maps_generic_choices_onto_model_fields(model_id: str, args: tuple, expected: dict) -> None:
    params = params_for(model_id, *args)
    assert params.items() >= expected.items()
    assert normalize(model_id, params) == params  # defaults already filled


def test_params_for_keeps_extras_but_generic_arguments_win() -> None:
    params = params_for("veo-3.1", 4, "1080p", generate_audio=False, seed=7)
    assert params["generate_audio"] is False and params["seed"] == 7 and params["duration"] == 4
    assert params_for("wan-2.5-t2v", 10, "720p", size="1920*1080")["size"] == "1280*720"


@pytest.mark.parametrize(
    ("model_id", "args", "message"),
    [
        ("veo-3.1", (5, "1080p"), "duration must be one of 4, 6, 8 seconds for Veo 3.1 (got 5)."),
        ("wan-2.5-t2v-fast", (5, "480p"), "resolution must be one of 720p, 1080p for Wan 2.5 Fast (got '480p')."),
        ("veo-3.1-fast", (8, "720p", "1:1"), "aspect_ratio must be one of 16:9, 9:16 for Veo 3.1 Fast (got '1:1')."),
    ],
)
def test_params_for_refuses_settings_a_model_does_not_offer(model_id: str, args: tuple, message: str) -> None:
    with pytest.raises(ValueError) as err:
        params_for(model_id, *args)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("model_id", "params", "seconds", "resolution", "aspect"),
    [
        ("veo-3.1", {}, Decimal(8), "1080p", "16:9"),
        ("veo-3.1-fast", {"duration": 4}, Decimal(4), "720p", "16:9"),
        ("wan-2.5-t2v", {"size": "480*832", "duration": 10}, Decimal(10), "480p", "9:16"),
        ("stable-video-diffusion", {"input_image": "media:a"}, Decimal(14) / 6, "576p", None),
        ("stable-video-diffusion", {"video_length": "25_frames_with_svd_xt", "frames_per_second": 5}, 5, "576p", None),
        ("local-preview", {}, Decimal(5), "480p", "16:9"),
    ],
)
def test_output_of_parameters(model_id: str, params: dict, seconds: Decimal, resolution: str, aspect: str) -> None:
    assert duration_of(model_id, params) == seconds
    assert resolution_of(model_id, params) == resolution
    assert aspect_ratio_of(model_id, params) == aspect


@pytest.mark.parametrize(
    ("model_id", "params", "message"),
    [
        ("veo-3.1", {"duration": "8"}, "duration must be a whole number of seconds for Veo 3.1 (got '8')."),
        (
            "stable-video-diffusion",
            {"video_length": "30_frames"},
            "video_length and frames_per_second do not give a clip length for Stable Video Diffusion.",
        ),
    ],
)
def test_duration_of_refuses_values_that_give_no_length(model_id: str, params: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        duration_of(model_id, params)
    assert str(err.value) == message


def test_every_offered_resolution_has_a_price() -> None:
    for spec in get_catalog().models("video"):
        if spec.pricing.kind == "per_second_by_resolution":
            assert set(resolution_choices(spec.id)) == set(spec.pricing.rates), spec.id
        if spec.pricing.kind == "per_second_by_audio":
            assert set(spec.pricing.rates) == {"with_audio", "without_audio"}
            assert spec.param(spec.pricing.audio_param).type == "bool"


def test_image_and_audio_models_have_no_video_output() -> None:
    assert resolution_of("flux-schnell", {}) is None and aspect_ratio_of("speech-02-hd", {}) is None


def test_normalize_fills_defaults_drops_none_and_copies() -> None:
    refs = ["https://cdn.example.com/a.png"]
    params = {"reference_images": refs, "seed": None}
    out = normalize("veo-3.1", params)
    assert out == {
        "reference_images": refs,
        "aspect_ratio": "16:9",
        "duration": 8,
        "resolution": "1080p",
        "generate_audio": True,
    }
    out["reference_images"].append("https://cdn.example.com/b.png")
    assert refs == ["https://cdn.example.com/a.png"] and params["seed"] is None


def _write_catalog(tmp_path: Path, mutate) -> Path:
    raw = json.loads(CATALOG_PATH.read_text())
    mutate(raw["models"])
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda ms: ms[2]["pricing"]["rates"].update(with_audio=0.4), "Model veo-3.1 in models.json is malformed"),
        (lambda ms: ms[6]["pricing"].update(price=0.003), 'must be a string such as "0.10"'),
        (lambda ms: ms[0].pop("display_name"), "missing field 'display_name'"),
        (lambda ms: ms[1]["parameters"]["seed"].update(type="integer"), "parameter seed has type 'integer'"),
        (lambda ms: ms[3]["pricing"].update(kind="per_token"), "pricing kind 'per_token' is unknown"),
        (lambda ms: ms.append(dict(ms[0])), "same model id twice"),
    ],
)
def test_malformed_catalog_names_model_and_field(tmp_path: Path, mutate, fragment: str) -> None:
    with pytest.raises(CatalogError) as err:
        load_catalog(_write_catalog(tmp_path, mutate))
    assert fragment in str(err.value)
