"""GPT-5 over the OpenAI Responses API: structured answers, tool loops, streaming; each call priced, logged.

Prompt caching (OpenAI's): an agent's system prompt goes unchanged in `instructions` on every call and the
variable content goes last in `input`, so the long prefix is billed at the cached rate; `prompt_cache_key`
groups the calls of one agent on one novela. The response cache (ours, `llm_cache`) is another thing: an
identical non-streaming request is answered from the database without any HTTP call.

Each agent may think with its own model (`AgentProfile.model`, else the client's); every call is priced with its
model's row of `vsl/catalog/gpt_models.json` (docs/adr/0002-gpt-model-family.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    OpenAI,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
)
from openai.types.responses import Response, ResponseStreamEvent, ResponseUsage
from sqlalchemy.exc import IntegrityError

from vsl.catalog.gpt5 import LlmPricingError, UnsupportedLlmModel, base_model, gpt5_cost, standard_cost
from vsl.config import DEFAULT_OPENAI_MODEL, Settings
from vsl.db.engine import Database
from vsl.db.models import LlmCache, LlmCall

log = logging.getLogger(__name__)

Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]  # each model takes a subset (gpt5.py)
Verbosity = Literal["low", "medium", "high"]
Input = str | list[dict[str, Any]]
Check = Callable[["_Reply"], "str | None"]

CACHE_KEY_FIELDS = ("model", "instructions", "input", "text", "reasoning", "tools")
UNFINISHED = ("failed", "incomplete", "cancelled")
REPAIR_PROMPT = (
    "Your previous answer could not be used: {problem} "
    "Answer again with only a JSON object that matches the '{name}' schema exactly."
)


@dataclass(frozen=True)
class AgentProfile:
    """Who calls: the agent's name, its fixed system prompt, how hard it thinks and how long it answers, and its
    model (None: the client's model)."""

    name: str
    instructions: str
    effort: Effort = "low"
    verbosity: Verbosity = "medium"
    model: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call; `run` receives the model's arguments as keywords."""

    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[..., Any]

    def as_param(self) -> dict[str, Any]:
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": True,
        }


class ToolCall(NamedTuple):
    name: str
    args: dict[str, Any]
    output: str


@dataclass(frozen=True)
class ToolRunResult:
    text: str
    calls: list[ToolCall]


class LlmError(RuntimeError):
    """A GPT-5 call that failed; the message names the agent, the step and what OpenAI said."""

    def __init__(self, agent: str, step: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"GPT-5 call by agent '{agent}' at step '{step}' failed: {detail}")
        self.agent = agent
        self.step = step
        self.status = status


class LlmOutputError(LlmError):
    """The answer did not fit the requested JSON schema, even after one repair attempt."""


@dataclass(frozen=True)
class _Call:
    agent: str
    step: str
    novela_id: int | None
    conversation_id: str | None
    model: str


@dataclass(frozen=True)
class _Usage:
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    @classmethod
    def of(cls, usage: ResponseUsage | None) -> _Usage:
        if usage is None:
            return cls()
        return cls(
            input_tokens=usage.input_tokens or 0,
            cached_tokens=getattr(usage.input_tokens_details, "cached_tokens", 0) or 0,
            output_tokens=usage.output_tokens or 0,
            reasoning_tokens=getattr(usage.output_tokens_details, "reasoning_tokens", 0) or 0,
        )


@dataclass(frozen=True)
class _Reply:
    text: str
    output: list[dict[str, Any]]  # the output items as JSON, to send back in a tool loop
    problem: str | None = None  # why the caller's check rejected it

    @property
    def function_calls(self) -> list[dict[str, Any]]:
        return [item for item in self.output if item.get("type") == "function_call"]


def _accept(_reply: _Reply) -> str | None:
    return None


class LlmClient:
    """The one way agents talk to GPT-5. Thread-safe; the SDK retries 408/409/429/5xx and lost connections."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_OPENAI_MODEL,
        base_url: str | None = None,
        db: Database | None = None,
        timeout_s: float = 120,
        max_retries: int = 2,
        cache: bool = True,
    ) -> None:
        try:
            base_model(model)
        except UnsupportedLlmModel as exc:
            raise UnsupportedLlmModel(f"{exc} Set OPENAI_MODEL to one of them.") from None
        if not api_key:
            raise ValueError("The GPT-5 client needs an OpenAI API key: set OPENAI_API_KEY, or use offline drafting.")
        self.model = model
        self.db = db
        self.timeout_s = timeout_s
        self._cache_db = db if cache else None
        self._secret = api_key
        self._sdk = OpenAI(api_key=api_key, base_url=base_url or None, timeout=timeout_s, max_retries=max_retries)

    @classmethod
    def from_settings(cls, settings: Settings, db: Database | None) -> LlmClient:
        return cls(
            settings.openai_api_key,
            model=settings.openai_model,
            base_url=settings.openai_base_url or None,
            db=db,
            timeout_s=settings.openai_timeout_s,
        )

    def structured(
        self,
        profile: AgentProfile,
        input: Input,
        *,
        schema_name: str,
        schema: dict[str, Any],
        step: str,
        novela_id: int | None = None,
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """A JSON object matching `schema`; one repair attempt on an invalid answer, then LlmOutputError."""
        call = self._call(profile, step, novela_id, conversation_id)
        text_format = {"type": "json_schema", "name": schema_name, "schema": schema, "strict": True}
        request = self._request(profile, input, novela_id, text_format=text_format)

        def check(reply: _Reply) -> str | None:
            return _json_problem(reply.text, schema)

        reply = self._reply(call, request, check)
        if reply.problem is not None:
            repair = [
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": REPAIR_PROMPT.format(problem=reply.problem, name=schema_name)},
            ]
            reply = self._reply(call, {**request, "input": [*_as_items(input), *repair]}, check)
        if reply.problem is not None:
            detail = f"the answer did not fit the '{schema_name}' schema even after a repair: {reply.problem}"
            raise LlmOutputError(call.agent, step, detail)
        return json.loads(reply.text)

    def run_tools(
        self,
        profile: AgentProfile,
        input: Input,
        tools: list[ToolSpec],
        *,
        step: str,
        max_rounds: int = 6,
        novela_id: int | None = None,
        conversation_id: str | None = None,
    ) -> ToolRunResult:
        """Let the model call `tools` until it answers with text; a tool's exception becomes its output."""
        call = self._call(profile, step, novela_id, conversation_id)
        by_name = {tool.name: tool for tool in tools}
        request = self._request(profile, input, novela_id, tools=[tool.as_param() for tool in tools])
        items = _as_items(input)
        calls: list[ToolCall] = []
        for _ in range(max_rounds):
            reply = self._reply(call, {**request, "input": items})
            if not reply.function_calls:
                return ToolRunResult(reply.text, calls)
            items = [*items, *reply.output]
            for item in reply.function_calls:
                done = _run_tool(by_name, item)
                calls.append(done)
                items.append({"type": "function_call_output", "call_id": item["call_id"], "output": done.output})
        raise LlmError(call.agent, step, f"the model was still calling tools after {max_rounds} rounds.")

    def text(
        self,
        profile: AgentProfile,
        input: Input,
        *,
        step: str,
        novela_id: int | None = None,
        conversation_id: str | None = None,
    ) -> str:
        call = self._call(profile, step, novela_id, conversation_id)
        return self._reply(call, self._request(profile, input, novela_id)).text

    def stream_text(
        self,
        profile: AgentProfile,
        input: Input,
        *,
        step: str,
        novela_id: int | None = None,
        conversation_id: str | None = None,
    ) -> Iterator[str]:
        """Text deltas as they arrive (never cached); usage is recorded from `response.completed`."""
        call = self._call(profile, step, novela_id, conversation_id)
        request = self._request(profile, input, novela_id)
        started = time.monotonic()
        usage: ResponseUsage | None = None
        try:
            with self._sdk.responses.stream(**request) as stream:
                for event in stream:
                    if event.type == "response.output_text.delta":
                        yield event.delta
                    elif event.type == "response.completed":
                        usage = event.response.usage
                    elif event.type in ("error", "response.failed"):
                        raise self._fail(call, started, _stream_failure(event))
        except OpenAIError as exc:
            raise self._fail(call, started, self._describe(exc), status=_status(exc)) from exc
        except GeneratorExit:
            self._record(call, _Usage(), started, error="The caller stopped reading the stream before it ended.")
            raise
        if usage is None:
            raise self._fail(call, started, "the stream ended before OpenAI sent response.completed.")
        self._record(call, _Usage.of(usage), started)

    # -- internals -----------------------------------------------------------------------------------

    def _call(self, profile: AgentProfile, step: str, novela_id: int | None, conversation_id: str | None) -> _Call:
        return _Call(profile.name, step, novela_id, conversation_id, profile.model or self.model)

    def _request(
        self,
        profile: AgentProfile,
        input: Input,
        novela_id: int | None,
        *,
        text_format: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The request body; no temperature/top_p, which GPT-5 rejects."""
        text: dict[str, Any] = {"verbosity": profile.verbosity}
        if text_format is not None:
            text["format"] = text_format
        request: dict[str, Any] = {
            "model": profile.model or self.model,
            "instructions": profile.instructions,
            "input": input,
            "reasoning": {"effort": profile.effort},
            "text": text,
            "prompt_cache_key": _prompt_cache_key(profile.name, novela_id),
            "store": False,
        }
        if tools:
            # with store=False the reasoning items sent back in a tool loop must carry their encrypted content
            request |= {"tools": tools, "include": ["reasoning.encrypted_content"]}
        return request

    def _reply(self, call: _Call, request: dict[str, Any], check: Check = _accept) -> _Reply:
        """The answer to one request: from the response cache, or over HTTP (cached if `check` passes)."""
        started = time.monotonic()
        key = _request_hash(request) if self._cache_db is not None else None
        cached = self._cache_get(key) if key is not None else None
        if cached is not None:
            self._record(call, _Usage(), started, cached_response=True)
            return cached
        response = self._create(call, request, started)
        reply = _Reply(response.output_text, [item.to_dict(mode="json") for item in response.output])
        problem = check(reply)
        self._record(call, _Usage.of(response.usage), started, error=problem)
        if key is not None and problem is None:
            self._cache_put(key, reply, call.model)
        return replace(reply, problem=problem)

    def _create(self, call: _Call, request: dict[str, Any], started: float) -> Response:
        try:
            response = self._sdk.responses.create(**request)
        except OpenAIError as exc:
            raise self._fail(call, started, self._describe(exc), status=_status(exc)) from exc
        if response.status in UNFINISHED:
            raise self._fail(call, started, _unfinished(response), usage=_Usage.of(response.usage))
        return response

    def _fail(
        self, call: _Call, started: float, detail: str, *, status: int | None = None, usage: _Usage = _Usage()
    ) -> LlmError:
        """Record the failed call and build its error, with the API key scrubbed from whatever OpenAI said."""
        detail = detail.replace(self._secret, "[redacted]")
        self._record(call, usage, started, error=detail)
        return LlmError(call.agent, call.step, detail, status=status)

    def _describe(self, exc: OpenAIError) -> str:
        if isinstance(exc, APITimeoutError):
            return f"OpenAI did not answer within {self.timeout_s:g} s, even after retries. Try again later."
        if isinstance(exc, APIConnectionError):
            return f"could not connect to OpenAI at {self._sdk.base_url}. Check the network and OPENAI_BASE_URL."
        said = _openai_message(exc)
        status = _status(exc)
        if isinstance(exc, AuthenticationError | PermissionDeniedError):
            return f"OpenAI rejected the API key (HTTP {status}): {said} Check OPENAI_API_KEY."
        if isinstance(exc, RateLimitError):
            return (
                f"OpenAI's rate limit or quota was reached (HTTP 429), even after retries: {said} "
                "Wait a minute, or check the account's limits and billing."
            )
        if status is not None and status >= 500:
            return f"OpenAI had a server error (HTTP {status}), even after retries: {said} Try again later."
        if status is not None:
            return f"OpenAI refused the request (HTTP {status}): {said}"
        return f"OpenAI reported an error: {said}"

    def _record(
        self,
        call: _Call,
        usage: _Usage,
        started: float,
        *,
        error: str | None = None,
        cached_response: bool = False,
    ) -> None:
        if self.db is None:
            return
        ok = error is None
        cost, unpriced = _cost(call.model, usage)
        if unpriced:
            log.warning("GPT call by %s not priced exactly: %s", call.agent, unpriced)
            error = unpriced if error is None else f"{error} {unpriced}"
        with self.db.write() as session:
            session.add(
                LlmCall(
                    agent=call.agent,
                    model=call.model,
                    step=call.step,
                    input_tokens=usage.input_tokens,
                    cached_tokens=usage.cached_tokens,
                    output_tokens=usage.output_tokens,
                    reasoning_tokens=usage.reasoning_tokens,
                    cost_usd=cost,
                    latency_ms=round((time.monotonic() - started) * 1000),
                    cached_response=cached_response,
                    ok=ok,
                    error=error,
                    novela_id=call.novela_id,
                    conversation_id=call.conversation_id,
                )
            )

    def _cache_get(self, key: str) -> _Reply | None:
        if self._cache_db is None:
            return None
        with self._cache_db.session() as session:
            row = session.get(LlmCache, key)
            return None if row is None else _Reply(text=row.response["text"], output=row.response["output"])

    def _cache_put(self, key: str, reply: _Reply, model: str) -> None:
        if self._cache_db is None:
            return
        try:
            with self._cache_db.write() as session:
                session.add(
                    LlmCache(
                        request_hash=key,
                        model=model,
                        response={"text": reply.text, "output": reply.output},
                    )
                )
        except IntegrityError:  # another thread stored the same answer first
            log.debug("llm_cache already holds %s", key)


def _cost(model: str, usage: _Usage) -> tuple[Decimal, str | None]:
    """The call's exact cost, or (when the data has no rate for it) the standard-rate lower bound and why."""
    tokens = (usage.input_tokens, usage.cached_tokens, usage.output_tokens)
    try:
        return gpt5_cost(model, *tokens), None
    except LlmPricingError as exc:
        return standard_cost(model, *tokens), f"Cost recorded at the standard rates as a lower bound: {exc}"


def _as_items(input: Input) -> list[dict[str, Any]]:
    return [{"role": "user", "content": input}] if isinstance(input, str) else list(input)


def _prompt_cache_key(agent: str, novela_id: int | None) -> str:
    return f"vsl-{agent}" if novela_id is None else f"vsl-{agent}-novela-{novela_id}"


def _request_hash(request: dict[str, Any]) -> str:
    fields = {name: request.get(name) for name in CACHE_KEY_FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _status(exc: OpenAIError) -> int | None:
    return exc.status_code if isinstance(exc, APIStatusError) else None


def _openai_message(exc: OpenAIError) -> str:
    """OpenAI's own sentence from the error body, else the SDK's message."""
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or getattr(exc, "message", None) or exc).strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _unfinished(response: Response) -> str:
    if response.status == "incomplete":
        reason = getattr(response.incomplete_details, "reason", None) or "not given"
        return f"OpenAI stopped before the answer was complete (reason: {reason})."
    said = response.error.message if response.error else "no reason given"
    return f"OpenAI could not produce an answer (status {response.status}): {said}"


def _stream_failure(event: ResponseStreamEvent) -> str:
    if event.type == "error":
        return f"OpenAI reported an error mid-stream ({event.code or 'no code'}): {event.message}"
    error = getattr(getattr(event, "response", None), "error", None)
    return f"OpenAI could not finish the answer: {error.message if error else 'no reason given'}"


def _run_tool(tools: dict[str, ToolSpec], item: dict[str, Any]) -> ToolCall:
    """Run one function call; whatever goes wrong becomes the output the model reads, to correct itself."""
    name = str(item.get("name", ""))
    try:
        args = json.loads(item.get("arguments") or "{}")
    except json.JSONDecodeError as exc:
        return ToolCall(name, {}, f"Error: the arguments were not valid JSON ({exc.msg}).")
    tool = tools.get(name)
    if tool is None:
        return ToolCall(name, args, f"Error: there is no tool named '{name}'; available: {', '.join(tools)}.")
    try:
        result = tool.run(**args)
    except Exception as exc:
        log.warning("Tool %s failed: %s", name, exc)
        return ToolCall(name, args, f"Error: {type(exc).__name__}: {exc}")
    output = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)
    return ToolCall(name, args, output)


# -- checking an answer against its JSON schema ----------------------------------------------------------

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _json_problem(text: str, schema: dict[str, Any]) -> str | None:
    if not text.strip():
        return "the answer was empty."
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"the answer was not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
    if not isinstance(value, dict):
        return f"the answer was a JSON {_json_type(value)}, not an object."
    problems = schema_problems(value, schema)
    return "; ".join(problems[:8]) + "." if problems else None


def schema_problems(
    value: Any, schema: dict[str, Any], path: str = "$", root: dict[str, Any] | None = None
) -> list[str]:
    """What keeps `value` from matching `schema`: types, enums, required and unknown keys, nested values."""
    root = schema if root is None else root
    if "$ref" in schema:
        return schema_problems(value, _resolve(root, schema["$ref"]), path, root)
    if "anyOf" in schema:
        branches = [schema_problems(value, option, path, root) for option in schema["anyOf"]]
        return min(branches, key=len)
    allowed = schema.get("type")
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if allowed and not any(_is_type(value, name) for name in allowed):
        return [f"{path} should be {' or '.join(allowed)}, not {_json_type(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path} should be one of {schema['enum']}, not {str(value)[:40]!r}"]
    if isinstance(value, dict):
        return _object_problems(value, schema, path, root)
    if isinstance(value, list) and "items" in schema:
        return [p for i, item in enumerate(value) for p in schema_problems(item, schema["items"], f"{path}[{i}]", root)]
    return []


def _object_problems(value: dict[str, Any], schema: dict[str, Any], path: str, root: dict[str, Any]) -> list[str]:
    properties = schema.get("properties", {})
    problems = [f"{path} is missing the required key '{key}'" for key in schema.get("required", []) if key not in value]
    if schema.get("additionalProperties") is False:
        problems += [f"{path} has the unknown key '{key}'" for key in value if key not in properties]
    for key, sub in properties.items():
        if key in value:
            problems += schema_problems(value[key], sub, f"{path}.{key}", root)
    return problems


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool):  # bool is an int in Python, not in JSON
        return name == "boolean"
    return isinstance(value, JSON_TYPES.get(name, (object,)))


def _json_type(value: Any) -> str:
    return next((name for name in JSON_TYPES if _is_type(value, name)), type(value).__name__)
