"""The model catalog: `models.json` loaded once into frozen specs, plus the generic video controls.

The prompt is not a parameter: it travels beside the parameters (`SubmitRequest.prompt`) and `ModelSpec.prompt`
says whether a model takes one and how long it may be (None: the model takes no prompt and none is sent).
The exception is speech (`speech-02-hd`): its input *is* the text to speak, so `text` is an ordinary required
parameter, validated like any other and priced per 1,000 characters.

The generic controls (duration, resolution, aspect ratio) are what the UI offers for every video model;
`params_for` maps them onto each model's own fields (Wan's `size` "1280*720", SVD's frame count and fps).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

CATALOG_PATH = Path(__file__).with_name("models.json")
PARAM_TYPES = frozenset({"int", "float", "bool", "str", "enum", "url", "url_list"})
MEDIA_TYPES = ("video", "image", "audio")
PRICING_KINDS = frozenset(
    {"per_second_by_resolution", "per_second_by_audio", "per_gpu_second", "per_image", "per_1k_chars", "free"}
)
CONSTRAINT_KINDS = frozenset({"only_with", "ignored_with", "needs"})


class CatalogError(ValueError):
    """`models.json` is malformed: the message names the model and the field."""


class UnknownModel(ValueError):
    """A model id that is not in the catalog."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # one of PARAM_TYPES
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    max_length: int | None = None
    max_items: int | None = None
    help: str = ""


@dataclass(frozen=True)
class PromptSpec:
    required: bool
    max_length: int | None


@dataclass(frozen=True)
class Constraint:
    """A rule across parameters.

    `only_with`: `param` may be given only when every `requires` parameter has that value.
    `ignored_with`: `param` is ignored by the model when `when_present` is given (so giving both is a mistake).
    `needs`: when `param` equals `value` (with no `value`: whenever `param` is given), every parameter in `needs`
    must be given.
    """

    kind: str
    param: str
    requires: Mapping[str, Any]
    when_present: str | None = None
    value: Any = None
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class VideoOutput:
    """Which of a video model's own fields carry the generic duration, resolution and aspect ratio."""

    frame_counts: Mapping[str, int]  # frames per `frames_param` choice (SVD), else empty
    duration_param: str | None = None
    size_param: str | None = None  # "W*H" choices carry both resolution and orientation
    resolution_param: str | None = None
    aspect_ratio_param: str | None = None
    frames_param: str | None = None  # duration = frame count / fps (SVD)
    fps_param: str | None = None
    fixed_resolution: str | None = None


@dataclass(frozen=True)
class PricingRule:
    kind: str  # one of PRICING_KINDS
    checked: str
    verified: bool
    rates: Mapping[str, Decimal]  # by resolution, or "with_audio" / "without_audio"; else empty
    source: str | None = None
    note: str = ""
    audio_param: str | None = None
    unit_price: Decimal | None = None  # per image, per 1,000 characters, or per GPU second
    estimated_seconds: Decimal | None = None  # GPU seconds assumed for an estimate
    hardware: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    id: str
    display_name: str
    media_type: str
    provider: str  # "replicate" or "local"
    replicate_model: str | None
    replicate_version: str | None
    setup_note: str
    lambda_model_id: str
    description: str
    prompt: PromptSpec | None
    parameters: tuple[ParamSpec, ...]
    constraints: tuple[Constraint, ...]
    features: frozenset[str]
    max_reference_images: int
    video: VideoOutput | None
    speed_note: str
    quality_note: str
    recommended: bool
    max_runtime_s: int
    pricing: PricingRule

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.parameters]


class Catalog:
    """The models in `models.json` order."""

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self._models = tuple(models)
        self._by_id = {m.id: m for m in self._models}
        if len(self._by_id) != len(self._models):
            raise CatalogError("The model catalog lists the same model id twice; ids must be unique.")

    def get(self, model_id: str) -> ModelSpec:
        try:
            return self._by_id[model_id]
        except (KeyError, TypeError):
            raise UnknownModel(f"Unknown model {model_id!r}; the catalog knows: {', '.join(self._by_id)}.") from None

    def models(self, media_type: str | None = None) -> list[ModelSpec]:
        if media_type is not None and media_type not in MEDIA_TYPES:
            raise ValueError(f"Unknown media type {media_type!r}; use one of: {', '.join(MEDIA_TYPES)}.")
        return [m for m in self._models if media_type is None or m.media_type == media_type]


# --- loading -----------------------------------------------------------------------------------------------


def _decimal(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise CatalogError(f'{where} must be a string such as "0.10" so that it loads as an exact Decimal.')
    return Decimal(value)


def _param(name: str, raw: dict[str, Any]) -> ParamSpec:
    if raw["type"] not in PARAM_TYPES:
        raise CatalogError(f"parameter {name} has type {raw['type']!r}; use one of {sorted(PARAM_TYPES)}")
    choices = raw.get("choices")
    return ParamSpec(
        name=name,
        type=raw["type"],
        required=raw.get("required", False),
        default=raw.get("default"),
        choices=tuple(choices) if choices is not None else None,
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        max_length=raw.get("max_length"),
        max_items=raw.get("max_items"),
        help=raw.get("help", ""),
    )


def _constraint(raw: dict[str, Any]) -> Constraint:
    if raw["kind"] not in CONSTRAINT_KINDS:
        raise CatalogError(f"constraint kind {raw['kind']!r} is unknown; use one of {sorted(CONSTRAINT_KINDS)}")
    return Constraint(
        kind=raw["kind"],
        param=raw["param"],
        requires=MappingProxyType(dict(raw.get("requires", {}))),
        when_present=raw.get("when_present"),
        value=raw.get("value"),
        needs=tuple(raw.get("needs", ())),
    )


def _pricing(raw: dict[str, Any]) -> PricingRule:
    kind = raw["kind"]
    if kind not in PRICING_KINDS:
        raise CatalogError(f"pricing kind {kind!r} is unknown; use one of {sorted(PRICING_KINDS)}")
    unit = raw.get("price", raw.get("rate"))
    estimated = raw.get("estimated_seconds")
    return PricingRule(
        kind=kind,
        checked=raw["checked"],
        verified=raw["verified"],
        source=raw.get("source"),
        note=raw.get("note", ""),
        rates=MappingProxyType({k: _decimal(v, f"pricing rate {k}") for k, v in raw.get("rates", {}).items()}),
        audio_param=raw.get("audio_param"),
        unit_price=_decimal(unit, "pricing price") if unit is not None else None,
        estimated_seconds=_decimal(estimated, "estimated_seconds") if estimated is not None else None,
        hardware=raw.get("hardware"),
    )


def _video_output(raw: dict[str, Any] | None) -> VideoOutput | None:
    if raw is None:
        return None
    fields = {**raw, "frame_counts": MappingProxyType(dict(raw.get("frame_counts", {})))}
    return VideoOutput(**fields)


def _model(raw: dict[str, Any]) -> ModelSpec:
    prompt = raw["prompt"]
    return ModelSpec(
        id=raw["id"],
        display_name=raw["display_name"],
        media_type=raw["media_type"],
        provider=raw["provider"],
        replicate_model=raw["replicate_model"],
        replicate_version=raw["replicate_version"],
        setup_note=raw["setup_note"],
        lambda_model_id=raw["lambda_model_id"],
        description=raw["description"],
        prompt=PromptSpec(prompt["required"], prompt["max_length"]) if prompt is not None else None,
        parameters=tuple(_param(name, p) for name, p in raw["parameters"].items()),
        constraints=tuple(_constraint(c) for c in raw["constraints"]),
        features=frozenset(raw["features"]),
        max_reference_images=raw["max_reference_images"],
        video=_video_output(raw["video_output"]),
        speed_note=raw["speed_note"],
        quality_note=raw["quality_note"],
        recommended=raw["recommended"],
        max_runtime_s=raw["max_runtime_s"],
        pricing=_pricing(raw["pricing"]),
    )


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Parse a catalog file; a malformed entry raises `CatalogError` naming the model and what is wrong."""
    models = []
    for index, raw in enumerate(json.loads(path.read_text(encoding="utf-8"))["models"]):
        name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            models.append(_model(raw))
        except (KeyError, TypeError, ArithmeticError, CatalogError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise CatalogError(f"Model {name} in {path.name} is malformed: {detail}.") from exc
    return Catalog(models)


@cache
def get_catalog() -> Catalog:
    """The shipped catalog, loaded once per process."""
    return load_catalog()


# --- parameters and generic video controls ----------------------------------------------------------------


def normalize(model_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `params` without None values and with every default filled in. Does not validate."""
    spec = get_catalog().get(model_id)
    out = {name: copy.deepcopy(value) for name, value in params.items() if value is not None}
    for p in spec.parameters:
        if p.name not in out and p.default is not None:
            out[p.name] = p.default
    return out


def resolution_height(resolution: str) -> int:
    """720 for "720p"."""
    if not (isinstance(resolution, str) and resolution.endswith("p") and resolution[:-1].isdigit()):
        raise ValueError(f"Resolution {resolution!r} is not of the form '720p'.")
    return int(resolution[:-1])


def _size_dims(size: str) -> tuple[int, int]:
    width, _, height = str(size).partition("*")
    if not (width.isdigit() and height.isdigit()):
        raise ValueError(f"Size {size!r} is not of the form 'width*height' such as '1280*720'.")
    return int(width), int(height)


def _size_resolution(size: str) -> str:
    return f"{min(_size_dims(size))}p"


def _size_aspect(size: str) -> str:
    """Orientation of a Wan size; Wan's 832*480 is close enough to 16:9 to be offered as such."""
    width, height = _size_dims(size)
    return "16:9" if width > height else "9:16" if height > width else "1:1"


def _video_spec(model_id: str) -> tuple[ModelSpec, VideoOutput]:
    spec = get_catalog().get(model_id)
    if spec.video is None:
        raise ValueError(f"{spec.display_name} ({model_id}) is an {spec.media_type} model, not a video model.")
    return spec, spec.video


def _choices(spec: ModelSpec, name: str) -> tuple[Any, ...]:
    param = spec.param(name)
    assert param is not None and param.choices is not None, f"{spec.id}.{name} needs choices"
    return param.choices


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def duration_choices(model_id: str) -> list[int]:
    """Whole seconds the model offers; [] when the length follows from other fields (SVD: frames / fps)."""
    spec, video = _video_spec(model_id)
    if video.duration_param is None:
        return []
    param = spec.param(video.duration_param)
    assert param is not None
    if param.choices is not None:
        return list(param.choices)
    return list(range(int(param.minimum or 1), int(param.maximum or 1) + 1))


def resolution_choices(model_id: str) -> list[str]:
    """Output resolutions from lowest to highest, such as ["720p", "1080p"]; SVD's fixed output is "576p"."""
    spec, video = _video_spec(model_id)
    if video.resolution_param:
        found = list(_choices(spec, video.resolution_param))
    elif video.size_param:
        found = _unique(_size_resolution(s) for s in _choices(spec, video.size_param))
    else:
        found = [video.fixed_resolution] if video.fixed_resolution else []
    return sorted(found, key=resolution_height)


def aspect_ratio_choices(model_id: str) -> list[str]:
    """Aspect ratios offered; [] when the shape follows the input image (SVD)."""
    spec, video = _video_spec(model_id)
    if video.aspect_ratio_param:
        return list(_choices(spec, video.aspect_ratio_param))
    if video.size_param:
        return _unique(_size_aspect(s) for s in _choices(spec, video.size_param))
    return []


def _svd_timing(spec: ModelSpec, video: VideoOutput, duration: Decimal) -> dict[str, Any]:
    """The frame count and fps whose length is nearest `duration` (ties: more frames, the better SVD-XT)."""
    assert video.frames_param and video.fps_param
    fps_param = spec.param(video.fps_param)
    assert fps_param is not None
    fps_range = range(int(fps_param.minimum or 1), int(fps_param.maximum or 1) + 1)
    options = [(frames, fps, name) for name, frames in video.frame_counts.items() for fps in fps_range]
    _, fps, name = min(options, key=lambda o: (abs(Decimal(o[0]) / o[1] - duration), -o[0]))
    return {video.frames_param: name, video.fps_param: fps}


def _duration_fields(spec: ModelSpec, video: VideoOutput, duration: int | Decimal) -> dict[str, Any]:
    if video.duration_param:
        allowed = duration_choices(spec.id)
        if duration not in allowed:
            raise ValueError(
                f"duration must be one of {', '.join(map(str, allowed))} seconds for {spec.display_name} "
                f"(got {duration})."
            )
        return {video.duration_param: int(duration)}
    return _svd_timing(spec, video, Decimal(duration))


def _picture_fields(spec: ModelSpec, video: VideoOutput, resolution: str, aspect_ratio: str) -> dict[str, Any]:
    resolutions, aspects = resolution_choices(spec.id), aspect_ratio_choices(spec.id)
    if resolution not in resolutions:
        raise ValueError(
            f"resolution must be one of {', '.join(resolutions)} for {spec.display_name} (got {resolution!r})."
        )
    if aspects and aspect_ratio not in aspects:
        raise ValueError(
            f"aspect_ratio must be one of {', '.join(aspects)} for {spec.display_name} (got {aspect_ratio!r})."
        )
    fields: dict[str, Any] = {}
    if video.resolution_param:
        fields[video.resolution_param] = resolution
    if video.aspect_ratio_param:
        fields[video.aspect_ratio_param] = aspect_ratio
    if video.size_param:
        fields[video.size_param] = _size_for(spec, video.size_param, resolution, aspect_ratio)
    return fields


def _size_for(spec: ModelSpec, size_param: str, resolution: str, aspect_ratio: str) -> str:
    for size in _choices(spec, size_param):
        if _size_resolution(size) == resolution and _size_aspect(size) == aspect_ratio:
            return size
    raise ValueError(f"{spec.display_name} offers no {resolution} size in {aspect_ratio}; pick another pair.")


def params_for(
    model_id: str, duration: int | Decimal, resolution: str, aspect_ratio: str = "16:9", **extra: Any
) -> dict[str, Any]:
    """Normalized parameters of `model_id` for a generic duration (s), resolution and aspect ratio.

    `extra` adds the model's own fields (generate_audio, seed, ...); the generic arguments win over them.
    SVD has no duration field: the frame count and fps nearest `duration` are chosen (at most 25 frames at
    5 fps = 5 s). An aspect ratio is ignored where the shape follows the input image. Raises `ValueError`
    naming the allowed values when a duration, resolution or aspect ratio is not offered.
    """
    spec, video = _video_spec(model_id)
    fields = {**extra, **_duration_fields(spec, video, duration)}
    fields.update(_picture_fields(spec, video, resolution, aspect_ratio))
    return normalize(model_id, fields)


def duration_of(model_id: str, params: Mapping[str, Any]) -> Decimal:
    """Seconds of video the parameters produce (defaults filled in). SVD: frames / fps, e.g. 14/6 s."""
    spec, video = _video_spec(model_id)
    values = normalize(model_id, params)
    if video.duration_param:
        seconds = values[video.duration_param]
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise ValueError(f"duration must be a whole number of seconds for {spec.display_name} (got {seconds!r}).")
        return Decimal(seconds)
    assert video.frames_param and video.fps_param
    frames, fps = video.frame_counts.get(values[video.frames_param]), values[video.fps_param]
    if frames is None or isinstance(fps, bool) or not isinstance(fps, int) or fps <= 0:
        raise ValueError(
            f"{video.frames_param} and {video.fps_param} do not give a clip length for {spec.display_name}."
        )
    return Decimal(frames) / Decimal(fps)


def resolution_of(model_id: str, params: Mapping[str, Any]) -> str | None:
    """The output resolution ("720p") of a video model's parameters; None for image and audio models."""
    spec = get_catalog().get(model_id)
    if spec.video is None:
        return None
    values = normalize(model_id, params)
    if spec.video.resolution_param:
        return values[spec.video.resolution_param]
    if spec.video.size_param:
        return _size_resolution(values[spec.video.size_param])
    return spec.video.fixed_resolution


def aspect_ratio_of(model_id: str, params: Mapping[str, Any]) -> str | None:
    """The aspect ratio ("16:9"); None where the shape follows the input image or the model makes no video."""
    spec = get_catalog().get(model_id)
    if spec.video is None:
        return None
    values = normalize(model_id, params)
    if spec.video.aspect_ratio_param:
        return values[spec.video.aspect_ratio_param]
    if spec.video.size_param:
        return _size_aspect(values[spec.video.size_param])
    return None
