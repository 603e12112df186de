"""Parameter validation: every problem at once, each a sentence naming the field and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from vsl.catalog import ParamSpec, get_catalog, normalize, validate, validate_prompt

IMAGE = "https://cdn.example.com/isabel.png"


def _sample(param: ParamSpec) -> Any:
    """A valid value of the parameter's type."""
    return {
        "url": IMAGE,
        "url_list": [IMAGE],
        "str": "some text",
        "bool": True,
        "enum": (param.choices or ("",))[0],
        "int": int(param.minimum or 0),
        "float": float(param.minimum or 0),
    }[param.type]


def _required(model_id: str) -> dict[str, Any]:
    spec = get_catalog().get(model_id)
    return {p.name: _sample(p) for p in spec.parameters if p.required}


MODEL_IDS = [m.id for m in get_catalog().models()]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_defaults_validate_clean(model_id: str) -> None:
    assert validate(model_id, _required(model_id)) == []
    assert validate(model_id, normalize(model_id, _required(model_id))) == []


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_parameter_accepts_a_value_of_its_type(model_id: str) -> None:
    spec = get_catalog().get(model_id)
    params = {p.name: _sample(p) for p in spec.parameters}
    # the one catalog rule a full set breaks on purpose: giving everything gives conflicting fields
    problems = validate(model_id, params)
    assert all(any(c.param in problem for c in spec.constraints) for problem in problems), problems


CONSTRAINTS = [(m.id, c) for m in get_catalog().models() for c in m.constraints]


def _violation(model_id: str, rule) -> dict[str, Any]:
    spec = get_catalog().get(model_id)
    params = _required(model_id)
    if rule.kind == "only_with":
        params[rule.param] = _sample(spec.param(rule.param))
        name, wanted = next(iter(rule.requires.items()))
        params[name] = next(c for c in spec.param(name).choices if c != wanted)
    elif rule.kind == "ignored_with":
        params[rule.param] = _sample(spec.param(rule.param))
        params[rule.when_present] = _sample(spec.param(rule.when_present))
    else:
        params[rule.param] = _sample(spec.param(rule.param)) if rule.value is None else rule.value
    return params


@pytest.mark.parametrize(("model_id", "rule"), CONSTRAINTS, ids=[f"{m}:{c.kind}:{c.param}" for m, c in CONSTRAINTS])
def test_every_catalog_constraint_is_enforced(model_id: str, rule) -> None:
    problems = validate(model_id, _violation(model_id, rule))
    # Veo's rules overlap (last_frame needs image; neither goes with reference images): this rule's words are there
    name = get_catalog().get(model_id).display_name
    assert [p for p in problems if p.startswith(rule.param) and name in p], problems


@pytest.mark.parametrize(
    ("model_id", "params", "message"),
    [
        (
            "veo-3.1",
            {"reference_images": [IMAGE], "duration": 4},
            "reference_images can only be used with aspect_ratio 16:9 and duration 8 for Veo 3.1 (got duration 4).",
        ),
        (
            "veo-3.1",
            {"reference_images": [IMAGE], "aspect_ratio": "9:16", "duration": 6},
            "reference_images can only be used with aspect_ratio 16:9 and duration 8 for Veo 3.1 "
            "(got aspect_ratio 9:16, duration 6).",
        ),
        (
            "veo-3.1",
            {"reference_images": [IMAGE], "image": IMAGE},
            "image is ignored by Veo 3.1 when reference_images is given; remove one of the two.",
        ),
        (
            "veo-3.1-fast",
            {"last_frame": IMAGE},
            "last_frame needs image for Veo 3.1 Fast (missing: image).",  # Google's Veo API: last_frame only with image
        ),
        (
            "flux-1.1-pro",
            {"aspect_ratio": "custom", "width": 512},
            "aspect_ratio custom needs width and height for FLUX1.1 [pro] (missing: height).",
        ),
        (
            "flux-1.1-pro",
            {"width": 512},
            "width can only be used with aspect_ratio custom for FLUX1.1 [pro] (got aspect_ratio 1:1).",
        ),
    ],
)
def test_constraint_messages(model_id: str, params: dict, message: str) -> None:
    assert validate(model_id, params) == [message]


@pytest.mark.parametrize(
    ("model_id", "params"),
    [
        ("veo-3.1", {"reference_images": [IMAGE, IMAGE, IMAGE]}),  # defaults are 16:9 and 8 s
        ("veo-3.1", {"reference_images": [], "image": IMAGE, "last_frame": IMAGE, "duration": 4}),  # [] = none
        ("flux-1.1-pro", {"aspect_ratio": "custom", "width": 1440, "height": 256}),
    ],
)
def test_constraints_accept_what_they_allow(model_id: str, params: dict) -> None:
    assert validate(model_id, params) == []


@pytest.mark.parametrize(
    ("model_id", "params", "message"),
    [
        ("veo-3.1", {"duration": 5}, "duration must be one of 4, 6, 8 for Veo 3.1 (got 5)."),
        ("veo-3.1", {"duration": "8"}, "duration must be one of 4, 6, 8 for Veo 3.1 (got '8')."),
        ("veo-3.1", {"duration": 8.0}, "duration must be one of 4, 6, 8 for Veo 3.1 (got 8.0)."),
        ("veo-3.1", {"generate_audio": 1}, "generate_audio must be true or false for Veo 3.1 (got 1)."),
        ("veo-3.1", {"seed": True}, "seed must be an integer from 0 to 4294967295 for Veo 3.1 (got True)."),
        ("veo-3.1", {"seed": -1}, "seed must be an integer from 0 to 4294967295 for Veo 3.1 (got -1)."),
        ("veo-3.1", {"seed": 2**32}, "seed must be an integer from 0 to 4294967295 for Veo 3.1 (got 4294967296)."),
        ("veo-3.1", {"seed": 1.5}, "seed must be an integer from 0 to 4294967295 for Veo 3.1 (got 1.5)."),
        (
            "ideogram-v3-quality",
            {"seed": 2**31},
            "seed must be an integer from 0 to 2147483647 for Ideogram v3 Quality (got 2147483648).",
        ),
        ("local-preview", {"duration": 11}, "duration must be an integer from 1 to 10 for Local preview (got 11)."),
        (
            "wan-2.5-t2v-fast",
            {"size": "832*480"},
            "size must be one of 1280*720, 720*1280, 1920*1080, 1080*1920 for Wan 2.5 Fast (got '832*480').",
        ),
        (
            "wan-2.5-t2v",
            {"negative_prompt": "x" * 501},
            "negative_prompt must be at most 500 characters for Wan 2.5 (got 501).",
        ),
        ("wan-2.5-t2v", {"negative_prompt": ["blurry"]}, "negative_prompt must be text for Wan 2.5 (got list)."),
        (
            "speech-02-hd",
            {"text": "hola", "speed": 2.5},
            "speed must be a number from 0.5 to 2 for MiniMax Speech-02-HD (got 2.5).",
        ),
        (
            "speech-02-hd",
            {"text": "hola", "volume": float("nan")},
            "volume must be a number from 0 to 10 for MiniMax Speech-02-HD (got nan).",
        ),
        (
            "speech-02-hd",
            {"text": "x" * 10_001},
            "text must be at most 10000 characters for MiniMax Speech-02-HD (got 10001).",
        ),
        (
            "stable-video-diffusion",
            {"input_image": IMAGE, "cond_aug": -0.1},
            "cond_aug must be a number of at least 0 for Stable Video Diffusion (got -0.1).",
        ),
        (
            "veo-3.1",
            {"reference_images": [IMAGE] * 4},
            "reference_images takes at most 3 images for Veo 3.1 (got 4).",
        ),
        (
            "veo-3.1",
            {"reference_images": IMAGE},
            "reference_images must be a list of image URLs for Veo 3.1 (got str).",
        ),
    ],
)
def test_type_and_range_messages(model_id: str, params: dict, message: str) -> None:
    assert validate(model_id, params) == [message]


@pytest.mark.parametrize("seed", [0, 42, 2**32 - 1])
def test_seed_bounds_are_inclusive(seed: int) -> None:
    assert validate("veo-3.1-fast", {"seed": seed}) == []


@pytest.mark.parametrize(
    ("model_id", "params", "message"),
    [
        (
            "stable-video-diffusion",
            {},
            "input_image is required for Stable Video Diffusion: The image to animate (its first frame).",
        ),
        ("speech-02-hd", {"text": "   "}, "text is required for MiniMax Speech-02-HD: "),
    ],
)
def test_required_parameters(model_id: str, params: dict, message: str) -> None:
    (problem,) = validate(model_id, params)
    assert problem.startswith(message)


def test_unknown_parameters_name_the_model_that_has_them() -> None:
    (problem,) = validate("veo-3.1-fast", {"reference_images": [IMAGE]})
    assert problem.startswith("Unknown parameter 'reference_images' for Veo 3.1 Fast")
    assert "(reference_images is offered by: veo-3.1)" in problem and "generate_audio" in problem


def test_prompt_is_not_a_parameter() -> None:
    assert validate("veo-3.1", {"prompt": "rain"}) == [
        "'prompt' is not a parameter of Veo 3.1: the prompt travels separately, not in parameters."
    ]
    assert validate("speech-02-hd", {"text": "hola", "prompt": "x"}) == [
        "'prompt' is not a parameter of MiniMax Speech-02-HD: the prompt is not used by this model."
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/a.png",
        "http://127.0.0.1:9000/bucket/a.png?X-Amz-Signature=abc",
        "media:novelas/12/isabel.png",
    ],
)
def test_urls_accepted(url: str) -> None:
    assert validate("veo-3.1", {"image": url}) == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/a.png", "only http(s) URLs and media:<key> references are accepted"),
        ("file:///etc/passwd", "only http(s) URLs and media:<key> references are accepted"),
        ("javascript:alert(1)", "only http(s) URLs and media:<key> references are accepted"),
        ("https://", "only http(s) URLs and media:<key> references are accepted"),
        ("https://exa mple.com/a.png", "it contains spaces or control characters"),
        ("https://example.com/a.png\n", "it contains spaces or control characters"),
        ("media:a\x00b", "it contains spaces or control characters"),
        ("media:", "the media key after 'media:' is empty"),
        ("https://example.com/" + "a" * 2048, "it is longer than 2048 characters"),
        (42, "it is int, not text"),
    ],
)
def test_urls_refused_with_the_reason(url: object, reason: str) -> None:
    (problem,) = validate("veo-3.1", {"image": url})
    assert problem.startswith("image must be an http(s) URL or a stored-media reference 'media:<key>' for Veo 3.1: ")
    assert reason in problem


def test_bad_list_item_is_named_by_index() -> None:
    (problem,) = validate("veo-3.1", {"reference_images": [IMAGE, "ftp://x/y.png"]})
    assert problem.startswith("reference_images[1] must be an http(s) URL")


def test_signed_query_strings_are_not_echoed() -> None:
    (problem,) = validate("veo-3.1", {"image": "ftp://x/a.png?X-Amz-Signature=SECRET"})
    assert "SECRET" not in problem and "ftp://x/a.png?…" in problem


def test_all_problems_are_reported_at_once() -> None:
    problems = validate(
        "veo-3.1",
        {"duration": 5, "resolution": "4k", "seed": -3, "style": "noir", "reference_images": [IMAGE]},
    )
    assert [p.split(" ")[0] for p in problems] == ["Unknown", "duration", "resolution", "seed", "reference_images"]


def test_parameters_must_be_a_mapping() -> None:
    assert validate("veo-3.1", ["duration", 8]) == [  # type: ignore[arg-type]
        "Parameters for Veo 3.1 must be a mapping of names to values (got list)."
    ]


@pytest.mark.parametrize(
    ("model_id", "prompt", "expected"),
    [
        ("veo-3.1", "Rain on the hacienda windows.", []),
        ("veo-3.1", "  ", ["A prompt is required for Veo 3.1: describe the scene to generate."]),
        ("wan-2.5-t2v", None, ["A prompt is required for Wan 2.5: describe the scene to generate."]),
        ("wan-2.5-t2v", "x" * 2000, []),
        ("wan-2.5-t2v", "x" * 2001, ["The prompt must be at most 2000 characters for Wan 2.5 (got 2001); shorten it."]),
        ("local-preview", "", []),  # optional for the local card
        ("stable-video-diffusion", "ignored", []),  # takes no prompt: it is not sent
        ("speech-02-hd", None, []),  # the text is the `text` parameter
    ],
)
def test_validate_prompt(model_id: str, prompt: str | None, expected: list[str]) -> None:
    assert validate_prompt(model_id, prompt) == expected
