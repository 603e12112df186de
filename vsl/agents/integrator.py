"""The System Integrator: turns a drafted scene into a valid, priced take proposal, and never spends.

Its tools fix what can be fixed (a duration the model does not offer becomes the nearest one it does; reference
images that need 16:9 and 8 s; unknown fields; over-long text) and say what they changed. `submit_job` only
prepares a proposal (priced with `actions.quote`, only for the take the integrator was asked about): money moves
when the user confirms it in the UI's confirmation dialog, never here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from vsl.agents.bus import BusMessage
from vsl.agents.llm import AgentProfile, LlmClient, ToolSpec
from vsl.agents.script_writer import CallContext, brief_input, clip
from vsl.catalog import (
    ParamSpec,
    PlanInput,
    aspect_ratio_choices,
    duration_choices,
    estimate_plan,
    get_catalog,
    params_for,
    resolution_choices,
    validate,
    validate_prompt,
    video_cost,
)
from vsl.catalog.validation import check_value, url_problem
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.jobs.actions import Mode, Target
from vsl.jobs.states import LABELS, JobStatus
from vsl.money import ZERO, usd
from vsl.providers.registry import ProviderRegistry

SHAPE_PARAMS = frozenset({"aspect_ratio", "size"})  # changing these would change the series' picture format
REGENERATION_ALLOWANCE = Decimal("0.2")  # budget suggestion: one extra take in five


class _Drop:
    """Marker: a value that cannot be repaired, so the parameter is left out."""


DROP = _Drop()


@dataclass
class Fix:
    params: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _number(value: Any) -> float | None:
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
    wanted = _number(value)
    numeric = [c for c in choices if _number(c) is not None and not isinstance(c, str)]
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
        number = _number(value)
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


# -- one take to prepare ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TakeRequest:
    novela_id: int
    video_id: int
    mode: Mode
    model_id: str
    prompt: str
    params: dict[str, Any]
    negative_prompt: str = ""
    title: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    created_by: str = ""

    @classmethod
    def of(cls, content: dict[str, Any]) -> TakeRequest:
        return cls(
            novela_id=int(content["novela_id"]),
            video_id=int(content["video_id"]),
            mode="new_take" if content.get("mode") == "new_take" else "generate",
            model_id=str(content["model_id"]),
            prompt=str(content.get("prompt") or ""),
            params=dict(content.get("params") or {}),
            negative_prompt=str(content.get("negative_prompt") or ""),
            title=str(content.get("title") or ""),
            details=dict(content.get("details") or {}),
            created_by=str(content.get("created_by") or ""),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "task": "prepare this take for the user's confirmation",
            "novela_id": self.novela_id,
            "video_id": self.video_id,
            "mode": self.mode,
            "model_id": self.model_id,
            "prompt": self.prompt,
            "params_json": json.dumps(self.params, ensure_ascii=False),
        }


@dataclass(frozen=True)
class PreparedTake:
    target: Target
    cost: Decimal
    fits: bool
    changes: tuple[str, ...]


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}


class IntegratorTools:
    """The integrator's tools for one take. `prepared` is set by `submit_job`; `changes` collects every fix."""

    def __init__(self, db: Database, registry: ProviderRegistry, request: TakeRequest) -> None:
        self.db = db
        self.registry = registry
        self.request = request
        self.changes: list[str] = []
        self.prepared: PreparedTake | None = None

    def specs(self) -> list[ToolSpec]:
        params = {"model_id": _STRING, "params_json": _STRING}
        return [
            ToolSpec(
                "validate_parameters",
                "Check model parameters against the catalog, fix what can be fixed, list changes and problems left.",
                _schema(params),
                self.validate_parameters,
            ),
            ToolSpec(
                "calculate_cost",
                "The price in USD of one generation with these parameters, and the provider that renders it.",
                _schema(params),
                self.calculate_cost,
            ),
            ToolSpec(
                "check_budget",
                "Whether an amount in USD fits the novela's remaining budget.",
                _schema({"novela_id": _INTEGER, "amount_usd": _STRING}),
                self.check_budget,
            ),
            ToolSpec(
                "submit_job",
                "Prepare the take as a priced proposal for the user to confirm in the app. Spends nothing.",
                _schema(
                    {
                        "video_id": _INTEGER,
                        "mode": {"type": "string", "enum": ["generate", "new_take"]},
                        "prompt": _STRING,
                        "params_json": _STRING,
                    }
                ),
                self.submit_job,
            ),
            ToolSpec(
                "get_job_status",
                "The status, progress, failure and recent events of a take of this novela.",
                _schema({"video_id": _INTEGER}),
                self.get_job_status,
            ),
        ]

    def _note(self, changes: list[str]) -> None:
        self.changes += [c for c in changes if c not in self.changes]

    def validate_parameters(self, model_id: str, params_json: str) -> dict[str, Any]:
        fix = fix_parameters(model_id, _params(params_json))
        self._note(fix.changes)
        return {"valid": not fix.problems, "params": fix.params, "changes": fix.changes, "problems": fix.problems}

    def calculate_cost(self, model_id: str, params_json: str) -> dict[str, Any]:
        params = _params(params_json)
        cost = self.registry.estimate(model_id, params)
        return {
            "cost_usd": str(cost),
            "list_price_usd": str(video_cost(model_id, params)),
            "provider": self.registry.route(model_id),
            "free_local_preview": self.registry.is_stand_in(model_id),
        }

    def check_budget(self, novela_id: int, amount_usd: str) -> dict[str, Any]:
        self._own_novela(novela_id)
        with self.db.session() as session:
            novela = novela_repo.get(session, novela_id)
        assert novela is not None
        amount = Decimal(str(amount_usd).replace("$", "").strip() or "0")
        left = None if novela.budget is None else novela.budget - novela.total_cost - novela.reserved_cost
        return {
            "budget_usd": None if novela.budget is None else str(novela.budget),
            "spent_usd": str(novela.total_cost),
            "reserved_usd": str(novela.reserved_cost),
            "available_usd": None if left is None else str(left),
            "fits": left is None or amount <= left,
        }

    def submit_job(self, video_id: int, mode: str, prompt: str, params_json: str) -> dict[str, Any]:
        """Prepare the proposal: fixed parameters and prompt, stored on a planned take, priced. Spends nothing."""
        request = self.request
        if video_id != request.video_id or mode != request.mode:
            raise ValueError(
                f"Only take {request.video_id} ({request.mode}) can be proposed in this step, "
                f"not take {video_id} ({mode})."
            )
        fix = fix_parameters(request.model_id, _params(params_json))
        text = fix_prompt(request.model_id, prompt or request.prompt)
        problems = fix.problems + text.problems
        if problems:
            raise ValueError("The take still has problems: " + " ".join(problems))
        self._note(fix.changes + text.changes)
        final_prompt = text.params["prompt"]
        if request.mode == "generate":
            self._store_plan(final_prompt, fix.params)
            target = Target(request.video_id)
        else:
            target = Target(request.video_id, "new_take", prompt=final_prompt, params=fix.params)
        quote = actions.quote(self.db, self.registry, [target])
        self.prepared = PreparedTake(target, quote.total, quote.fits, tuple(self.changes))
        return {
            "proposed": True,
            "cost_usd": str(quote.total),
            "fits_budget": quote.fits,
            "note": "Proposal ready. Nothing is spent until the user confirms it in the app.",
        }

    def get_job_status(self, video_id: int) -> dict[str, Any]:
        with self.db.session() as session:
            video = video_repo.get(session, video_id)
            if video is None or video.novela_id != self.request.novela_id:
                raise ValueError(f"Take {video_id} is not a take of novela {self.request.novela_id}.")
            events = video_repo.events(session, video_id)[-5:]
            return {
                "status": video.status,
                "label": LABELS[JobStatus(video.status)],
                "progress": video.progress,
                "failure": {
                    "stage": video.failure_stage,
                    "provider": video.failure_provider,
                    "code": video.failure_code,
                    "message": video.failure_message,
                },
                "events": [f"{e.from_status or '-'} → {e.to_status}: {e.message}" for e in events],
            }

    def _own_novela(self, novela_id: int) -> None:
        if novela_id != self.request.novela_id:
            raise ValueError(f"This step is about novela {self.request.novela_id}, not novela {novela_id}.")

    def _store_plan(self, prompt: str, params: dict[str, Any]) -> None:
        """Write the drafted prompt and fixed parameters onto the planned take (planning, not spending)."""
        request = self.request
        with self.db.write() as session:
            video = video_repo.get(session, request.video_id, lock=True)
            if video is None or video.status != JobStatus.PLANNED:
                raise ValueError(f"Take {request.video_id} is no longer planned; it cannot be re-drafted.")
            video.script_prompt = prompt
            video.negative_prompt = request.negative_prompt
            video.title = request.title[:200] or video.title
            video.scene_details = {**video.scene_details, **request.details}
            video.model_parameters = params
            video.created_by_agent = request.created_by or video.created_by_agent
            video.validated_by_agent = "integrator"


def _params(params_json: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(params_json, dict):
        return params_json
    try:
        value = json.loads(params_json or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"params_json is not valid JSON ({exc.msg}); send the parameters as a JSON object.") from exc
    if not isinstance(value, dict):
        raise ValueError("params_json must be a JSON object of parameter names to values.")
    return value


# -- the plan of a new novela -------------------------------------------------------------------------------


def _nearest_in(options: list[Any], wanted: Any, prefer: Any = None) -> Any:
    if not options or wanted in options:
        return wanted
    if prefer in options:
        return prefer
    number = _number(wanted)
    if number is not None and all(_number(o) is not None for o in options):
        return min(options, key=lambda o: (abs(_number(o) - number), -_number(o)))  # type: ignore[operator]
    return options[0]


def plan_settings(model_id: str, settings: dict[str, Any], episodes: int, scenes: int) -> dict[str, Any]:
    """Model settings the model accepts, nearest to those asked, with the plan's estimate and a budget."""
    duration = _nearest_in(duration_choices(model_id), int(settings.get("duration", 8)))
    resolution = _nearest_in(resolution_choices(model_id), settings.get("resolution", "720p"), prefer="720p")
    aspect = _nearest_in(aspect_ratio_choices(model_id), settings.get("aspect_ratio", "16:9")) or "16:9"
    spec = get_catalog().get(model_id)
    extra = {"generate_audio": bool(settings.get("generate_audio", True))} if spec.param("generate_audio") else {}
    params = params_for(model_id, duration, resolution, aspect, **extra)
    plan = PlanInput(model_id, params, episodes, scenes, regeneration_rate=REGENERATION_ALLOWANCE)
    estimate = estimate_plan(plan).total
    changes = [
        f"{name} {settings[name]} → {value} ({spec.display_name} offers it)"
        for name, value in (("duration", duration), ("resolution", resolution), ("aspect_ratio", aspect))
        if name in settings and settings[name] != value
    ]
    return {
        "model_id": model_id,
        "duration": duration,
        "resolution": resolution,
        "aspect_ratio": aspect,
        "generate_audio": extra.get("generate_audio", False),
        "estimate_usd": str(estimate),
        "budget_usd": str(Decimal(math.ceil(estimate))) if estimate > ZERO else "",
        "changes": changes,
    }


# -- the agent ----------------------------------------------------------------------------------------------


class Reviewer(Protocol):
    """Drives the tools for one take and says, in a few sentences, what it changed and what it costs."""

    offline: bool

    def review(self, request: TakeRequest, tools: IntegratorTools, ctx: CallContext) -> str: ...


class GptReviewer:
    offline = False

    def __init__(self, llm: LlmClient, profile: AgentProfile) -> None:
        self.llm = llm
        self.profile = profile

    def review(self, request: TakeRequest, tools: IntegratorTools, ctx: CallContext) -> str:
        result = self.llm.run_tools(
            self.profile,
            brief_input(request.as_json()),
            tools.specs(),
            step="prepare_take",
            novela_id=ctx.novela_id,
            conversation_id=ctx.conversation_id,
        )
        return result.text.strip()


class Integrator:
    """Bus handler for `prepare_take` (a priced proposal) and `check_plan` (settings and budget of a new plan)."""

    def __init__(self, db: Database, registry: ProviderRegistry, reviewer: Reviewer) -> None:
        self.db = db
        self.registry = registry
        self.reviewer = reviewer

    def handle(self, message: BusMessage) -> dict[str, Any] | None:
        if message.message_type == "broadcast":
            return None
        if message.action == "prepare_take":
            return self.prepare_take(message.content, CallContext(message.conversation_id, message.novela_id))
        if message.action == "check_plan":
            content = message.content
            return plan_settings(content["model_id"], content, int(content["episodes"]), int(content["scenes"]))
        raise ValueError(f"The Integrator cannot do {message.action!r}; it does prepare_take and check_plan.")

    def prepare_take(self, content: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        request = TakeRequest.of(content)
        tools = IntegratorTools(self.db, self.registry, request)
        notes = self.reviewer.review(request, tools, ctx)
        if tools.prepared is None:  # the model never proposed it: prepare it from the validated parameters
            tools.submit_job(request.video_id, request.mode, request.prompt, json.dumps(request.params))
            notes = f"{notes}\n(The take was prepared from the validated parameters.)".strip()
        prepared = tools.prepared
        assert prepared is not None
        target = prepared.target
        return {
            "target": {"video_id": target.video_id, "mode": target.mode, "prompt": target.prompt, "params": target.params},
            "cost_usd": str(prepared.cost),
            "cost": usd(prepared.cost),
            "fits": prepared.fits,
            "changes": list(prepared.changes),
            "notes": notes,
            "offline": self.reviewer.offline,
        }
