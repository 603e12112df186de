"""What a valid novela is. Errors come back per field so forms can show them inline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vsl.catalog import UnknownModel, get_catalog, validate
from vsl.catalog import params_for as catalog_params_for
from vsl.novelas import limits

GENRES = (
    "Drama",
    "Romance",
    "Thriller",
    "Comedy",
    "Mystery",
    "Family saga",
    "Period drama",
    "Crime",
    "Fantasy",
    "Science fiction",
)
MAX_TITLE = 120
MAX_TEXT = 5000
MAX_CHARACTERS = 12
MAX_SEED = 2**32 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Character:
    name: str
    description: str = ""
    image_url: str = ""  # http(s) URL or "media:<key>" of an uploaded image

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description, "image_url": self.image_url}


@dataclass
class NovelaInput:
    title: str
    genre: str = ""
    description: str = ""
    premise: str = ""
    episodes: int = 1
    scenes_per_episode: int = 1
    default_model_id: str = "local-preview"
    default_duration: int = 5
    default_resolution: str = "720p"
    aspect_ratio: str = "16:9"
    extra_params: dict[str, Any] = field(default_factory=dict)
    characters: list[Character] = field(default_factory=list)
    master_seed: int | None = None
    budget: Decimal | None = None
    story_bible: dict[str, Any] = field(default_factory=dict)


class NovelaInvalid(ValueError):
    """The input has problems; `errors` maps each field to a sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse_budget(text: str) -> Decimal | None:
    """'' → no budget; '12.50' or '$1,200' → Decimal. Raises NovelaInvalid on anything else."""
    problem = limits.budget_problem(text)
    if problem:
        raise NovelaInvalid({"budget": problem})
    cleaned = text.strip().replace("$", "").replace(",", "")
    return Decimal(cleaned) if cleaned else None


def text_problem(label: str, value: str, max_len: int, required: bool = False) -> str | None:
    if required and not value.strip():
        return f"{label} is required."
    if len(value) > max_len:
        return f"{label} must be at most {max_len} characters (got {len(value)})."
    if _CONTROL.search(value):
        return f"{label} contains control characters; remove them."
    return None


def _int_problem(label: str, value: Any, low: int, high: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{label} must be a whole number from {low} to {high}."
    if not low <= value <= high:
        return f"{label} must be from {low} to {high} (got {value})."
    return None


def model_params(data: NovelaInput) -> dict[str, Any]:
    """The default model's own parameters for the novela's duration/resolution/aspect choice."""
    params = catalog_params_for(
        data.default_model_id, data.default_duration, data.default_resolution, data.aspect_ratio
    )
    params.update(data.extra_params)
    if data.master_seed is not None and get_catalog().get(data.default_model_id).param("seed"):
        params.setdefault("seed", data.master_seed)
    return params


def _model_problems(data: NovelaInput) -> dict[str, str]:
    try:
        spec = get_catalog().get(data.default_model_id)
    except UnknownModel as exc:
        return {"default_model_id": str(exc)}
    if spec.media_type != "video":
        return {"default_model_id": f"{spec.display_name} is not a video model."}
    try:
        problems = validate(data.default_model_id, model_params(data))
    except (ValueError, KeyError) as exc:
        return {"model_settings": str(exc)}
    return {"model_settings": " ".join(problems)} if problems else {}


def _character_problems(characters: list[Character]) -> dict[str, str]:
    if len(characters) > MAX_CHARACTERS:
        return {"characters": f"At most {MAX_CHARACTERS} reference characters (got {len(characters)})."}
    for i, ch in enumerate(characters, start=1):
        problem = text_problem(f"Character {i} name", ch.name, 60, required=True) or text_problem(
            f"Character {i} description", ch.description, 1000
        )
        url = ch.image_url.strip()
        if not problem and url and not re.match(r"^(https?://\S+|media:[\w./-]+)$", url):
            problem = f"Character {i} image must be an http(s) URL or an uploaded image (got {url[:60]!r})."
        if problem:
            return {"characters": problem}
    return {}


def problems(data: NovelaInput) -> dict[str, str]:
    """Every problem with `data`, keyed by field; empty when it can be stored."""
    found: dict[str, str | None] = {
        "title": text_problem("Title", data.title, MAX_TITLE, required=True),
        "genre": text_problem("Genre", data.genre, 60),
        "description": text_problem("Description", data.description, MAX_TEXT),
        "premise": text_problem("Premise", data.premise, MAX_TEXT),
        "episodes": limits.EPISODES.problem(data.episodes),
        "scenes_per_episode": limits.SCENES.problem(data.scenes_per_episode),
    }
    if data.master_seed is not None:
        found["master_seed"] = _int_problem("Master seed", data.master_seed, 0, MAX_SEED)
    if data.budget is not None:
        found["budget"] = limits.amount_problem(data.budget)
    errors = {k: v for k, v in found.items() if v}
    errors.update(_model_problems(data))
    errors.update(_character_problems(data.characters))
    return errors


def check(data: NovelaInput) -> None:
    """Raise NovelaInvalid when `data` has any problem."""
    errors = problems(data)
    if errors:
        raise NovelaInvalid(errors)
