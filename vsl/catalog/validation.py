"""Check a model's parameters against the catalog and report every problem at once, as sentences.

Values are checked strictly, as they will be sent: `True` is not an integer, "5" is not 5. A None value counts
as not given. URLs must be http(s) or a stored-media reference `media:<key>`. The prompt is checked apart
(`validate_prompt`): it is not a parameter, except speech's `text` (see `vsl.catalog.catalog`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from vsl.catalog.catalog import Constraint, ModelSpec, ParamSpec, get_catalog, normalize

MEDIA_PREFIX = "media:"
URL_MAX_LENGTH = 2048
SHOWN_MAX = 60


def validate(model_id: str, params: Mapping[str, Any]) -> list[str]:
    """Every problem with `params` for `model_id` (unknown, missing, wrong type or range, constraints)."""
    spec = get_catalog().get(model_id)
    if not isinstance(params, Mapping):
        return [f"Parameters for {spec.display_name} must be a mapping of names to values (got {_kind(params)})."]
    problems = [_unknown(spec, name) for name in params if spec.param(name) is None]
    problems += problems_in(spec, params, spec.param_names)
    values = normalize(model_id, params)
    problems += [p for c in spec.constraints if (p := _CONSTRAINT_CHECKS[c.kind](spec, c, values))]
    return problems


def problems_in(spec: ModelSpec, params: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """Problems with the named parameters, in catalog order: a required one missing, or a value not allowed."""
    wanted = set(names)
    problems = []
    for param in (p for p in spec.parameters if p.name in wanted):
        value = params.get(param.name)
        if not _given(value):
            if param.required:
                problems.append(f"{param.name} is required for {spec.display_name}: {param.help}")
        elif (problem := check_value(spec, param, value)) is not None:
            problems.append(problem)
    return problems


def validate_prompt(model_id: str, prompt: str | None) -> list[str]:
    """Problems with the prompt; none for models that take no prompt (it is simply not sent to them)."""
    spec = get_catalog().get(model_id)
    rule, text = spec.prompt, prompt or ""
    if rule is None:
        return []
    if rule.required and not text.strip():
        return [f"A prompt is required for {spec.display_name}: describe the scene to generate."]
    if rule.max_length is not None and len(text) > rule.max_length:
        return [
            f"The prompt must be at most {rule.max_length} characters for {spec.display_name} "
            f"(got {len(text)}); shorten it."
        ]
    return []


def check_value(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    """The problem with one given (non-None) value, or None when it is valid."""
    return _TYPE_CHECKS[param.type](spec, param, value)


# --- helpers -----------------------------------------------------------------------------------------------


def _given(value: Any) -> bool:
    """False for None, blank text and empty lists: such values count as not given."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and not (isinstance(value, list | tuple) and not value)


def _kind(value: Any) -> str:
    return type(value).__name__


def _shown(value: Any) -> str:
    """A short repr for messages; URLs lose their query string, which may carry a signature."""
    if isinstance(value, str) and "?" in value:
        value = value.split("?", 1)[0] + "?…"
    text = repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _listed(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _unknown(spec: ModelSpec, name: str) -> str:
    if name == "prompt":
        where = "travels separately, not in parameters" if spec.prompt else "is not used by this model"
        return f"'prompt' is not a parameter of {spec.display_name}: the prompt {where}."
    others = [m.id for m in get_catalog().models() if m.param(name) is not None]
    hint = f" ({name} is offered by: {', '.join(others)})" if others else ""
    return (
        f"Unknown parameter {name!r} for {spec.display_name}{hint}; its parameters are: {', '.join(spec.param_names)}."
    )


# --- one check per parameter type --------------------------------------------------------------------------


def _range_text(param: ParamSpec) -> str:
    if param.minimum is not None and param.maximum is not None:
        return f" from {param.minimum} to {param.maximum}"
    if param.minimum is not None:
        return f" of at least {param.minimum}"
    if param.maximum is not None:
        return f" of at most {param.maximum}"
    return ""


def _in_range(param: ParamSpec, value: float) -> bool:
    return (param.minimum is None or value >= param.minimum) and (param.maximum is None or value <= param.maximum)


def _check_number(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = is_int or (param.type == "float" and isinstance(value, float) and math.isfinite(value))
    if is_number and _in_range(param, value):
        return None
    noun = "an integer" if param.type == "int" else "a number"
    return f"{param.name} must be {noun}{_range_text(param)} for {spec.display_name} (got {_shown(value)})."


def _check_bool(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    return f"{param.name} must be true or false for {spec.display_name} (got {_shown(value)})."


def _check_str(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{param.name} must be text for {spec.display_name} (got {_kind(value)})."
    if param.max_length is not None and len(value) > param.max_length:
        return f"{param.name} must be at most {param.max_length} characters for {spec.display_name} (got {len(value)})."
    return None


def _check_enum(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    if any(_same(value, choice) for choice in param.choices or ()):
        return None
    return f"{param.name} must be one of {_listed(param.choices or ())} for {spec.display_name} (got {_shown(value)})."


def url_problem(value: Any) -> str | None:
    """Why `value` is not an http(s) URL or a `media:<key>` reference, or None when it is one."""
    if not isinstance(value, str):
        return f"it is {_kind(value)}, not text"
    if len(value) > URL_MAX_LENGTH:
        return f"it is longer than {URL_MAX_LENGTH} characters"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "it contains spaces or control characters"
    if value.startswith(MEDIA_PREFIX):
        return None if value[len(MEDIA_PREFIX) :] else "the media key after 'media:' is empty"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "only http(s) URLs and media:<key> references are accepted"
    return None


def _url_message(spec: ModelSpec, name: str, value: Any, reason: str) -> str:
    return (
        f"{name} must be an http(s) URL or a stored-media reference 'media:<key>' for {spec.display_name}: "
        f"{reason} (got {_shown(value)})."
    )


def _check_url(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    reason = url_problem(value)
    return None if reason is None else _url_message(spec, param.name, value, reason)


def _check_url_list(spec: ModelSpec, param: ParamSpec, value: Any) -> str | None:
    if not isinstance(value, list | tuple):
        return f"{param.name} must be a list of image URLs for {spec.display_name} (got {_kind(value)})."
    if param.max_items is not None and len(value) > param.max_items:
        return f"{param.name} takes at most {param.max_items} images for {spec.display_name} (got {len(value)})."
    for index, item in enumerate(value):
        if (reason := url_problem(item)) is not None:
            return _url_message(spec, f"{param.name}[{index}]", item, reason)
    return None


_TYPE_CHECKS: dict[str, Callable[[ModelSpec, ParamSpec, Any], str | None]] = {
    "int": _check_number,
    "float": _check_number,
    "bool": _check_bool,
    "str": _check_str,
    "enum": _check_enum,
    "url": _check_url,
    "url_list": _check_url_list,
}


# --- one check per constraint kind -------------------------------------------------------------------------


def _only_with(spec: ModelSpec, rule: Constraint, values: Mapping[str, Any]) -> str | None:
    if not _given(values.get(rule.param)):
        return None
    wrong = [name for name, wanted in rule.requires.items() if not _same(values.get(name), wanted)]
    if not wrong:
        return None
    needed = " and ".join(f"{name} {wanted}" for name, wanted in rule.requires.items())
    got = ", ".join(f"{name} {values.get(name, 'not set')}" for name in wrong)
    return f"{rule.param} can only be used with {needed} for {spec.display_name} (got {got})."


def _ignored_with(spec: ModelSpec, rule: Constraint, values: Mapping[str, Any]) -> str | None:
    if not (_given(values.get(rule.param)) and _given(values.get(rule.when_present))):
        return None
    return f"{rule.param} is ignored by {spec.display_name} when {rule.when_present} is given; remove one of the two."


def _needs(spec: ModelSpec, rule: Constraint, values: Mapping[str, Any]) -> str | None:
    given = values.get(rule.param)
    if not (_given(given) if rule.value is None else _same(given, rule.value)):
        return None
    missing = [name for name in rule.needs if not _given(values.get(name))]
    if not missing:
        return None
    what = rule.param if rule.value is None else f"{rule.param} {rule.value}"
    return f"{what} needs {' and '.join(rule.needs)} for {spec.display_name} (missing: {', '.join(missing)})."


_CONSTRAINT_CHECKS: dict[str, Callable[[ModelSpec, Constraint, Mapping[str, Any]], str | None]] = {
    "only_with": _only_with,
    "ignored_with": _ignored_with,
    "needs": _needs,
}
