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
from vsl.agents.param_fixes import as_number, fix_parameters, fix_prompt
from vsl.agents.script_writer import CallContext, brief_input
from vsl.catalog import (
    PlanInput,
    aspect_ratio_choices,
    duration_choices,
    estimate_plan,
    get_catalog,
    params_for,
    resolution_choices,
    video_cost,
)
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.jobs.actions import Mode, Target
from vsl.jobs.states import LABELS, JobStatus
from vsl.money import ZERO, usd
from vsl.novelas import service
from vsl.novelas.service import NovelaNotFound
from vsl.novelas.validation import NovelaInvalid
from vsl.providers.registry import ProviderRegistry

REGENERATION_ALLOWANCE = Decimal("0.2")  # budget suggestion: one extra take in five


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
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


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
        return {
            "valid": not fix.problems,
            "params": fix.params,
            "changes": fix.changes,
            "problems": fix.problems,
        }

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
            target = Target(
                request.video_id, "new_take", prompt=final_prompt, params=fix.params,
                negative_prompt=request.negative_prompt, details=request.details, title=request.title,
            )  # fmt: skip
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
        try:
            service.revise_planned_take(
                self.db, request.video_id, prompt, negative_prompt=request.negative_prompt, title=request.title,
                details=request.details, params=params, created_by=request.created_by, validated_by="integrator",
            )  # fmt: skip
        except (NovelaInvalid, NovelaNotFound) as exc:
            raise ValueError(f"Take {request.video_id} cannot be re-drafted: {exc}") from exc


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
    number = as_number(wanted)
    if number is not None and all(as_number(o) is not None for o in options):
        return min(options, key=lambda o: (abs(as_number(o) - number), -as_number(o)))  # type: ignore[operator]
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
            "target": {
                "video_id": target.video_id,
                "mode": target.mode,
                "prompt": target.prompt,
                "params": target.params,
            },
            "cost_usd": str(prepared.cost),
            "cost": usd(prepared.cost),
            "fits": prepared.fits,
            "changes": list(prepared.changes),
            "notes": notes,
            "offline": self.reviewer.offline,
        }
