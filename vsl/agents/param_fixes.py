"""Model parameters repaired to the nearest values a model accepts, with a sentence for every change.

A duration the model does not offer becomes the nearest one it does (ties go to the longer clip); text is cut
to its limit; reference images that need 16:9 and 8 seconds get them, unless that would change the picture's
shape, in which case the images are dropped; parameters the model does not take are removed. What cannot be
repaired is reported as a problem, in the catalog's words.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from vsl.agents.script_writer import clip
from vsl.catalog import ParamSpec, get_catalog, validate, validate_prompt
from vsl.catalog.validation import check_value, url_problem

SHAPE_PARAMS = frozenset({"aspect_ratio", "size"})  # changing these would change the series' picture format


class _Drop:
    """Marker: a value that cannot be repaired, so the parameter is left out."""


DROP = _Drop()


@dataclass
class Fix:
    params: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().rstrip("s"))
    except ValueError:
        return None


def _nearest_choice(param: ParamSpec, value: Any) -> Any:
    choices = list(param.choices or ())
    wanted = as_number(value)
    numeric = [c for c in choices if as_number(c) is not None and not isinstance(c, str)]
    if wanted is not None and numeric:
        return min(numeric, key=lambda c: (abs(float(c) - wanted), -float(c)))  # ties go to the longer/larger
    text = str(value).strip().casefold()
    same = next((c for c in choices if str(c).casefold() == text), None)
    return same if same is not None else (param.default if param.default is not None else DROP)


def _repair(param: ParamSpec, value: Any) -> Any:
    """The nearest valid value for `param`, or DROP when there is none."""
    if param.type == "enum":
        return _nearest_choice(param, value)
    if param.type in ("int", "float"):
        number = as_number(value)
        if number is None or not math.isfinite(number):
            return param.default if param.default is not None else DROP
        low = param.minimum if param.minimum is not None else number
        high = param.maximum if param.maximum is not None else number
        bounded = min(max(number, low), high)
        return round(bounded) if param.type == "int" else bounded
    if param.type == "bool":
        text = str(value).strip().lower()
        return True if text in {"true", "1", "yes"} else False if text in {"false", "0", "no"} else DROP
    if param.type == "str" and isinstance(value, str):
        return clip(value, param.max_length)
    if param.type == "url_list" and isinstance(value, list | tuple):
        urls = [v for v in value if url_problem(v) is None]
        return urls[: param.max_items] if param.max_items else urls
    return DROP


def _set_or_drop(values: dict[str, Any], param: ParamSpec, fixed: Any, spec_name: str) -> str:
    old = values[param.name]
    if fixed is DROP:
        del values[param.name]
        return f"removed {param.name} {_short(old)}: it is not a valid value for {spec_name}"
    values[param.name] = fixed
    return f"{param.name} {_short(old)} → {_short(fixed)} (nearest value {spec_name} accepts)"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _apply_constraints(model_id: str, values: dict[str, Any]) -> list[str]:
    spec = get_catalog().get(model_id)
    changes: list[str] = []
    for rule in spec.constraints:
        if rule.param not in values:
            continue
        if rule.kind == "ignored_with" and rule.when_present in values:
            del values[rule.param]
            changes.append(f"removed {rule.param}: {spec.display_name} ignores it when {rule.when_present} is given")
        elif rule.kind == "only_with":
            unmet = {k: v for k, v in rule.requires.items() if values.get(k, _default(spec, k)) != v}
            if not unmet:
                continue
            needs = ", ".join(f"{k} {v}" for k, v in rule.requires.items())
            if SHAPE_PARAMS & set(unmet):
                del values[rule.param]
                changes.append(f"removed {rule.param}: it needs {needs}, and the take keeps its picture format")
            else:
                for key, value in unmet.items():
                    changes.append(f"{key} {_short(values.get(key))} → {_short(value)}: {rule.param} needs {needs}")
                    values[key] = value
    return changes


def _default(spec: Any, name: str) -> Any:
    param = spec.param(name)
    return param.default if param is not None else None


def fix_parameters(model_id: str, params: dict[str, Any]) -> Fix:
    """Repair `params` for `model_id` as far as possible; `problems` is what is still wrong afterwards."""
    spec = get_catalog().get(model_id)
    values = {k: v for k, v in params.items() if v is not None}
    changes = [f"removed {name}, which {spec.display_name} does not take" for name in values if not spec.param(name)]
    values = {k: v for k, v in values.items() if spec.param(k)}
    for param in spec.parameters:
        if param.name in values and check_value(spec, param, values[param.name]) is not None:
            changes.append(_set_or_drop(values, param, _repair(param, values[param.name]), spec.display_name))
    changes += _apply_constraints(model_id, values)
    return Fix(values, changes, validate(model_id, values))


def fix_prompt(model_id: str, prompt: str) -> Fix:
    """The prompt cut to the model's limit (with a note); problems when a required prompt is empty."""
    spec = get_catalog().get(model_id)
    limit = spec.prompt.max_length if spec.prompt else None
    fixed = clip(prompt.strip(), limit)
    changes = [f"prompt shortened from {len(prompt)} to {len(fixed)} characters ({spec.display_name} takes {limit})"]
    return Fix({"prompt": fixed}, changes if fixed != prompt.strip() else [], validate_prompt(model_id, fixed))
