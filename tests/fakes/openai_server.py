"""A fake OpenAI Responses API on 127.0.0.1 that speaks the real wire format, for driving the real SDK.

Tests script it with a queue of `ModelReply` values (consumed first) and a `responder(body) -> ModelReply`
(asked when the queue is empty), e.g. to emulate a model that calls tools. Every request is recorded. Like
GPT-5 it refuses `temperature` / `top_p` with the real 400; like the real API with `store: false` it refuses
reasoning items sent back without their encrypted content. Streams are sent as one SSE body (the events and
their order are the real ones; the pacing is not).

    with FakeOpenAI() as fake:
        fake.enqueue(tool_call_reply(FunctionCall("get_scene", {"n": 1})), text_reply("Done."))
        client = LlmClient("sk-test", base_url=fake.base_url, db=db)
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http_server import FakeHttpServer, RecordedRequest, Reply

Body = dict[str, Any]
Responder = Callable[[Body], "ModelReply"]

UNSUPPORTED = "Unsupported parameter: '{name}' is not supported with this model."
NOT_PERSISTED = (
    "Item with id '{id}' not found. Items are not persisted when `store` is set to false. "
    "Try again with `store` set to true, or remove this item from your input."
)
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
RATE_LIMITED = (
    "Rate limit reached for gpt-5 in organization org-fake on tokens per min (TPM): Limit 30000, Used 29500, "
    "Requested 1200. Please try again in 10ms. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 120
    cached_tokens: int = 0
    output_tokens: int = 40
    reasoning_tokens: int = 16

    def as_json(self) -> Body:
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + self.output_tokens,
        }


@dataclass(frozen=True)
class FunctionCall:
    name: str
    arguments: dict[str, Any]
    call_id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")


@dataclass(frozen=True)
class ModelReply:
    """One scripted answer: output (text and/or function calls), or an HTTP error, or a streaming failure."""

    text: str = ""
    calls: tuple[FunctionCall, ...] = ()
    usage: Usage = Usage()
    reasoning: bool = True  # emit a reasoning item before the output, as GPT-5 does
    http_status: int = 200
    error: Body | None = None  # the `error` object of an HTTP error body
    headers: dict[str, str] = field(default_factory=dict)
    failure: Body | None = None  # response.failed (stream) or status "failed" (JSON), with this error
    stream_error: Body | None = None  # an `error` event after the text deltas (streams only)
    delay_s: float = 0.0


def text_reply(text: str, usage: Usage = Usage()) -> ModelReply:
    return ModelReply(text=text, usage=usage)


def json_reply(value: Any, usage: Usage = Usage()) -> ModelReply:
    return ModelReply(text=json.dumps(value), usage=usage)


def tool_call_reply(*calls: FunctionCall, usage: Usage = Usage()) -> ModelReply:
    return ModelReply(calls=calls, usage=usage)


def openai_error(
    message: str, *, type: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> Body:
    """The `error` object of OpenAI's HTTP error bodies."""
    return {"message": message, "type": type, "param": param, "code": code}


def error_reply(status: int, message: str, *, retry_after_s: float | None = None, **fields: Any) -> ModelReply:
    """An HTTP error answer; `fields` are `type`, `code` and `param` of `openai_error`."""
    headers = {} if retry_after_s is None else {"retry-after": f"{retry_after_s:g}"}
    return ModelReply(http_status=status, error=openai_error(message, **fields), headers=headers)


def rate_limit_reply(retry_after_s: float = 0.01) -> ModelReply:
    return error_reply(429, RATE_LIMITED, type="tokens", code="rate_limit_exceeded", retry_after_s=retry_after_s)


def server_error_reply(retry_after_s: float = 0.01) -> ModelReply:
    return error_reply(500, SERVER_ERROR, type="server_error", retry_after_s=retry_after_s)


def stream_failure_reply(message: str, *, text: str = "", as_error_event: bool = False) -> ModelReply:
    """A stream that sends `text` and then fails: `response.failed`, or a bare `error` event."""
    error = {"code": "server_error", "message": message}
    if as_error_event:
        return ModelReply(text=text, stream_error=error)
    return ModelReply(text=text, failure=error)


def sample_for_schema(schema: Body, defs: Body | None = None) -> Any:
    """A small value that satisfies a (strict) JSON schema, for the default responder."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return sample_for_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return sample_for_schema(schema["anyOf"][0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    if kind == "object":
        return {key: sample_for_schema(sub, defs) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample_for_schema(schema.get("items", {}), defs) for _ in range(max(1, schema.get("minItems", 1)))]
    samples = {"string": "sample", "integer": schema.get("minimum", 1), "number": 1.5, "boolean": True}
    return samples.get(kind)


def default_responder(body: Body) -> ModelReply:
    """JSON that fits the requested schema, or a plain sentence."""
    text_format = (body.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":
        return json_reply(sample_for_schema(text_format["schema"]))
    return text_reply("This is the fake GPT-5 answering.")


def function_outputs(body: Body) -> list[Body]:
    """The `function_call_output` items a request sends back, for responders that emulate tool calling."""
    items = body.get("input")
    return [i for i in items if i.get("type") == "function_call_output"] if isinstance(items, list) else []


class FakeOpenAI(FakeHttpServer):
    """POST /v1/responses on a free local port; use as a context manager, point the SDK at `base_url`."""

    def __init__(self, responder: Responder = default_responder, *, api_key: str | None = None) -> None:
        super().__init__()
        self.responder = responder
        self.api_key = api_key  # when set, any other bearer token gets the real 401
        self.unavailable_models: set[str] = set()  # GET /v1/models/{id} answers 404 for these
        self._turns: deque[ModelReply] = deque()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def enqueue(self, *replies: ModelReply) -> None:
        """Answer the next model requests with `replies`, in order, before the responder is asked again."""
        with self._lock:
            self._turns.extend(replies)

    @property
    def bodies(self) -> list[Body]:
        """Bodies of the POST /v1/responses requests, in arrival order."""
        return [r.body for r in self.requests_to("POST", "/v1/responses")]

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path.startswith("/v1/models/"):
            return _model_object(self, request, request.path.removeprefix("/v1/models/"))
        if (request.method, request.path) != ("POST", "/v1/responses"):
            return _error(404, f"Invalid URL ({request.method} {request.path})", code="unknown_url")
        body: Body = request.body if isinstance(request.body, dict) else {}
        refusal = _refusal(self, request, body)
        if refusal is not None:
            return refusal
        turn = self._next_turn(body)
        if turn.http_status != 200:
            return Reply(turn.http_status, {"error": turn.error}, turn.headers, turn.delay_s)
        if body.get("stream"):
            sse = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in _stream_events(self, body, turn))
            return Reply(200, sse, {"Content-Type": "text/event-stream; charset=utf-8"}, turn.delay_s)
        return Reply(200, _final_response(self, body, turn, _output_items(self, body, turn)), delay_s=turn.delay_s)

    def _next_turn(self, body: Body) -> ModelReply:
        with self._lock:
            scripted = self._turns.popleft() if self._turns else None
        return scripted if scripted is not None else self.responder(body)

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            number = next(self._ids)
        return f"{prefix}_{number:04d}{uuid.uuid4().hex[:12]}"


def _model_object(fake: FakeOpenAI, request: RecordedRequest, model: str) -> Reply:
    """GET /v1/models/{model}: the model object, or the real 404 for a model this key cannot use."""
    if fake.api_key is not None and request.header("authorization") != f"Bearer {fake.api_key}":
        return _error(401, "Incorrect API key provided.", code="invalid_api_key")
    if model in fake.unavailable_models:
        return _error(
            404, f"The model '{model}' does not exist or you do not have access to it.", code="model_not_found"
        )
    return Reply(200, {"id": model, "object": "model", "created": 1754524800, "owned_by": "system"})


def _error(status: int, message: str, **fields: Any) -> Reply:
    return Reply(status, {"error": openai_error(message, **fields)})


def _refusal(fake: FakeOpenAI, request: RecordedRequest, body: Body) -> Reply | None:
    """The error the real API gives before generating anything, if any."""
    authorization = request.header("authorization") or ""
    if fake.api_key is not None and authorization != f"Bearer {fake.api_key}":
        token = authorization.removeprefix("Bearer ")
        masked = f"{token[:3]}{'*' * max(len(token) - 7, 0)}{token[-4:]}" if len(token) > 8 else "***"
        message = (
            f"Incorrect API key provided: {masked}. "
            "You can find your API key at https://platform.openai.com/account/api-keys."
        )
        return _error(401, message, code="invalid_api_key")
    for name in ("temperature", "top_p"):
        if name in body:
            return _error(400, UNSUPPORTED.format(name=name), param=name, code="unsupported_parameter")
    items = body.get("input") if isinstance(body.get("input"), list) else []
    for item in items:
        if item.get("type") == "reasoning" and body.get("store") is False and not item.get("encrypted_content"):
            return _error(404, NOT_PERSISTED.format(id=item.get("id")), param="input")
    return _bad_image(items)


def _bad_image(items: list[Body]) -> Reply | None:
    """The API's refusal of an `input_image` part without a data/https URL or file id, or with a bad detail."""
    for i, item in enumerate(items):
        content = item.get("content") if isinstance(item.get("content"), list) else []
        for j, part in enumerate(content):
            if part.get("type") != "input_image":
                continue
            url, param = str(part.get("image_url") or ""), f"input[{i}].content[{j}]"
            if not (url.startswith(("data:image/", "https://")) or part.get("file_id")):
                return _error(400, "Invalid image URL: expected a data URL or an https URL.", param=param)
            if part.get("detail", "auto") not in ("low", "high", "auto"):
                return _error(400, f"Invalid value for detail: {part.get('detail')!r}.", param=param)
    return None


# -- the Response object and its items ---------------------------------------------------------------


def _message_item(item_id: str, text: str, status: str = "completed") -> Body:
    content = (
        [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}] if status == "completed" else []
    )
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def _call_item(item_id: str, call: FunctionCall, arguments: str, status: str = "completed") -> Body:
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call.call_id,
        "name": call.name,
        "arguments": arguments,
    }


def _reasoning_item(fake: FakeOpenAI, body: Body) -> Body:
    item: Body = {"id": fake._new_id("rs"), "type": "reasoning", "summary": []}
    if "reasoning.encrypted_content" in (body.get("include") or []):
        item["encrypted_content"] = f"gAAAA{uuid.uuid4().hex}"
    return item


def _output_items(fake: FakeOpenAI, body: Body, reply: ModelReply) -> list[Body]:
    items = [_reasoning_item(fake, body)] if reply.reasoning else []
    items += [_call_item(fake._new_id("fc"), c, json.dumps(c.arguments)) for c in reply.calls]
    if reply.text or not reply.calls:
        items.append(_message_item(fake._new_id("msg"), reply.text))
    return items


def _final_response(
    fake: FakeOpenAI, body: Body, reply: ModelReply, output: list[Body], *, response_id: str | None = None
) -> Body:
    response = _response_shell(response_id or fake._new_id("resp"), body, "completed")
    response.update(output=output, usage=reply.usage.as_json(), completed_at=int(time.time()))
    if reply.failure is not None:
        response.update(status="failed", error=reply.failure, usage=None, completed_at=None)
    return response


def _response_shell(response_id: str, body: Body, status: str) -> Body:
    text = {"format": {"type": "text"}, "verbosity": "medium", **(body.get("text") or {})}
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body.get("model", "gpt-5"),
        "output": [],
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": "medium", "summary": None, **(body.get("reasoning") or {})},
        "store": body.get("store", True),
        "temperature": 1.0,
        "text": text,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": {},
    }


# -- the SSE event sequence ----------------------------------------------------------------------------


def _stream_events(fake: FakeOpenAI, body: Body, reply: ModelReply) -> Iterator[Body]:
    """The events of one streamed response, numbered by `sequence_number`."""
    sequence = itertools.count()
    response_id = fake._new_id("resp")
    for event in _stream_body(fake, body, reply, response_id):
        yield {**event, "sequence_number": next(sequence)}


def _stream_body(fake: FakeOpenAI, body: Body, reply: ModelReply, response_id: str) -> Iterator[Body]:
    yield {"type": "response.created", "response": _response_shell(response_id, body, "in_progress")}
    yield {"type": "response.in_progress", "response": _response_shell(response_id, body, "in_progress")}
    output = _output_items(fake, body, reply)
    for index, item in enumerate(output):
        if item["type"] == "message" and reply.stream_error is not None:
            yield from _message_events(index, item, stop_before_done=True)
            yield {"type": "error", "param": None, **reply.stream_error}
            return
        yield from _item_events(index, item)
    if reply.failure is not None:
        yield {
            "type": "response.failed",
            "response": _final_response(fake, body, reply, output, response_id=response_id),
        }
        return
    yield {
        "type": "response.completed",
        "response": _final_response(fake, body, reply, output, response_id=response_id),
    }


def _item_events(index: int, item: Body) -> Iterator[Body]:
    if item["type"] == "message":
        yield from _message_events(index, item)
    elif item["type"] == "function_call":
        yield from _call_events(index, item)
    else:
        yield {"type": "response.output_item.added", "output_index": index, "item": item}
        yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _message_events(index: int, item: Body, *, stop_before_done: bool = False) -> Iterator[Body]:
    text = item["content"][0]["text"]
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": _message_item(item["id"], "", "in_progress"),
    }
    yield {
        "type": "response.content_part.added",
        **where,
        "part": {"type": "output_text", "text": "", "annotations": []},
    }
    for delta in _pieces(text):
        yield {"type": "response.output_text.delta", **where, "delta": delta, "logprobs": []}
    if stop_before_done:
        return
    yield {"type": "response.output_text.done", **where, "text": text, "logprobs": []}
    yield {"type": "response.content_part.done", **where, "part": item["content"][0]}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _call_events(index: int, item: Body) -> Iterator[Body]:
    where = {"item_id": item["id"], "output_index": index}
    call = FunctionCall(item["name"], {}, item["call_id"])
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": _call_item(item["id"], call, "", "in_progress"),
    }
    for delta in _pieces(item["arguments"]):
        yield {"type": "response.function_call_arguments.delta", **where, "delta": delta}
    yield {
        "type": "response.function_call_arguments.done",
        **where,
        "name": item["name"],
        "arguments": item["arguments"],
    }
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _pieces(text: str) -> list[str]:
    """Split text the way token deltas arrive: a word with its trailing space per piece."""
    return re.findall(r"\S+\s*|\s+", text)
