"""The GPT-5 client driven through the real OpenAI SDK against the fake Responses API over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from openai import BadRequestError, OpenAI
from sqlalchemy import select

from tests.fakes.openai_server import (
    FakeOpenAI,
    FunctionCall,
    ModelReply,
    Usage,
    error_reply,
    function_outputs,
    json_reply,
    rate_limit_reply,
    server_error_reply,
    stream_failure_reply,
    text_reply,
    tool_call_reply,
)
from vsl.agents.llm import (
    AgentProfile,
    LlmClient,
    LlmError,
    LlmOutputError,
    ToolCall,
    ToolSpec,
    schema_problems,
)
from vsl.catalog.gpt5 import UnsupportedLlmModel
from vsl.config import load_settings
from vsl.db.engine import Database
from vsl.db.models import LlmCall, Novela

KEY = "sk-test-canary-7f3a9c2e41d84b6b"
WRITER = AgentProfile("writer", "You write telenovela scenes. Answer in Spanish.", effort="low", verbosity="high")
CRITIC = AgentProfile("critic", "You review scenes for continuity.", effort="minimal", verbosity="low")
SCENE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "beats": {"type": "array", "items": {"type": "string"}},
        "mood": {"type": "string", "enum": ["tense", "tender", "comic"]},
    },
    "required": ["title", "beats", "mood"],
    "additionalProperties": False,
}
SCENE = {"title": "La carta", "beats": ["Ana opens the letter", "She cries"], "mood": "tender"}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


def make_client(fake: FakeOpenAI, db: Database | None = None, **options: Any) -> LlmClient:
    """A client on gpt-5 unless told otherwise: the prices the expectations below are worked out with."""
    return LlmClient(KEY, base_url=fake.base_url, db=db, timeout_s=5, **{"model": "gpt-5", **options})


def calls_in(db: Database) -> list[LlmCall]:
    with db.session() as session:
        return list(session.scalars(select(LlmCall).order_by(LlmCall.id)))


def new_novela(db: Database) -> int:
    with db.session() as session:
        novela = Novela(
            title="Amor en Lima",
            target_episodes=2,
            scenes_per_episode=3,
            default_model_id="local-preview",
            default_duration=5,
            default_resolution="720p",
        )
        session.add(novela)
        session.flush()
        return novela.id


# -- what is sent ------------------------------------------------------------------------------------


def test_requests_carry_profile_settings_and_identical_instructions_without_sampling_knobs(
    fake: FakeOpenAI,
) -> None:
    client = make_client(fake)
    client.text(WRITER, "Scene 1: Ana arrives.", step="draft", novela_id=7)
    client.text(WRITER, "Scene 2: Ana leaves.", step="draft", novela_id=7)
    client.text(CRITIC, "Check scene 2.", step="review")

    first, second, third = fake.bodies
    for body in fake.bodies:
        assert "temperature" not in body
        assert "top_p" not in body
        assert body["model"] == "gpt-5"
    assert first["instructions"] == second["instructions"] == WRITER.instructions
    assert (first["input"], second["input"]) == ("Scene 1: Ana arrives.", "Scene 2: Ana leaves.")
    assert first["reasoning"] == {"effort": "low"} and first["text"] == {"verbosity": "high"}
    assert third["reasoning"] == {"effort": "minimal"} and third["text"] == {"verbosity": "low"}
    assert first["prompt_cache_key"] == "vsl-writer-novela-7"
    assert third["prompt_cache_key"] == "vsl-critic"
    assert first["store"] is False


def test_the_fake_rejects_temperature_like_gpt5() -> None:
    with FakeOpenAI() as fake:
        sdk = OpenAI(api_key="sk-any", base_url=fake.base_url, max_retries=0)
        with pytest.raises(BadRequestError, match="Unsupported parameter: 'temperature'"):
            sdk.responses.create(model="gpt-5", input="hi", temperature=0.7)


def test_models_outside_the_gpt5_family_are_refused() -> None:
    with pytest.raises(UnsupportedLlmModel, match=r"'gpt-4o'.*OPENAI_MODEL"):
        LlmClient(KEY, model="gpt-4o")
    assert LlmClient(KEY, model="gpt-5-mini-2025-08-07").model == "gpt-5-mini-2025-08-07"


def test_client_from_settings_uses_the_configured_model_and_endpoint(fake: FakeOpenAI) -> None:
    settings = load_settings({"OPENAI_API_KEY": KEY, "OPENAI_MODEL": "gpt-5-mini", "OPENAI_BASE_URL": fake.base_url})
    fake.enqueue(text_reply("Hola."))
    assert LlmClient.from_settings(settings, db=None).text(WRITER, "Hi.", step="hello") == "Hola."
    assert fake.bodies[0]["model"] == "gpt-5-mini"


def test_a_missing_api_key_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="set OPENAI_API_KEY"):
        LlmClient("")


# -- structured output -------------------------------------------------------------------------------


def test_structured_output_is_requested_as_strict_json_schema_and_parsed(fake: FakeOpenAI) -> None:
    fake.enqueue(json_reply(SCENE))
    result = make_client(fake).structured(
        WRITER, "Write scene 1.", schema_name="scene", schema=SCENE_SCHEMA, step="scene"
    )
    assert result == SCENE
    assert fake.bodies[0]["text"] == {
        "verbosity": "high",
        "format": {"type": "json_schema", "name": "scene", "schema": SCENE_SCHEMA, "strict": True},
    }


def test_invalid_json_gets_one_repair_attempt_that_says_what_was_wrong(fake: FakeOpenAI, sqlite_db: Database) -> None:
    fake.enqueue(text_reply("Here is your scene: {title: La carta"), json_reply(SCENE))
    result = make_client(fake, sqlite_db).structured(
        WRITER, "Write scene 1.", schema_name="scene", schema=SCENE_SCHEMA, step="scene"
    )
    assert result == SCENE
    repair_input = fake.bodies[1]["input"]
    assert repair_input[0] == {"role": "user", "content": "Write scene 1."}
    assert repair_input[1] == {"role": "assistant", "content": "Here is your scene: {title: La carta"}
    assert "not valid JSON" in repair_input[2]["content"] and "'scene' schema" in repair_input[2]["content"]
    assert fake.bodies[1]["instructions"] == WRITER.instructions
    first, second = calls_in(sqlite_db)
    assert (first.ok, second.ok) == (False, True)
    assert "not valid JSON" in (first.error or "")


def test_invalid_output_twice_raises_an_error_naming_agent_step_and_problem(fake: FakeOpenAI) -> None:
    wrong = {"title": 3, "beats": [], "mood": "tender"}
    fake.enqueue(json_reply(wrong), json_reply(wrong))
    with pytest.raises(LlmOutputError) as caught:
        make_client(fake).structured(WRITER, "Write.", schema_name="scene", schema=SCENE_SCHEMA, step="outline")
    message = str(caught.value)
    assert "'writer'" in message and "'outline'" in message
    assert "$.title should be string, not integer" in message
    assert len(fake.bodies) == 2


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"title": "t", "beats": ["a"], "mood": "angry"}, "$.mood should be one of"),
        ({"title": "t", "beats": [True], "mood": "comic"}, "$.beats[0] should be string, not boolean"),
        ({"title": "t", "mood": "comic"}, "$ is missing the required key 'beats'"),
        ({"title": "t", "beats": [], "mood": "comic", "extra": 1}, "$ has the unknown key 'extra'"),
    ],
)
def test_schema_check_finds_what_strict_output_must_not_have(value: dict[str, Any], problem: str) -> None:
    assert any(p.startswith(problem) for p in schema_problems(value, SCENE_SCHEMA))


def test_schema_check_follows_refs_and_any_of() -> None:
    schema = {
        "type": "object",
        "properties": {"cast": {"type": "array", "items": {"$ref": "#/$defs/Person"}}},
        "required": ["cast"],
        "$defs": {
            "Person": {"type": "object", "properties": {"age": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}
        },
    }
    assert schema_problems({"cast": [{"age": None}, {"age": 30}]}, schema) == []
    assert schema_problems({"cast": [{"age": "old"}]}, schema) == ["$.cast[0].age should be integer, not string"]


# -- tools -------------------------------------------------------------------------------------------


def test_tool_loop_runs_tools_and_answers_each_call_id_until_the_model_writes_text(fake: FakeOpenAI) -> None:
    def broken(reason: str) -> str:
        raise ValueError(f"storage is offline ({reason})")

    tools = [
        ToolSpec("get_scene", "Read a scene.", {"type": "object"}, lambda n: {"n": n, "title": "La carta"}),
        ToolSpec("count_scenes", "Count scenes.", {"type": "object"}, lambda: 12),
        ToolSpec("save", "Save.", {"type": "object"}, broken),
    ]
    fake.enqueue(
        tool_call_reply(
            FunctionCall("get_scene", {"n": 2}, "call_r1a"), FunctionCall("save", {"reason": "x"}, "call_r1b")
        ),
        tool_call_reply(FunctionCall("count_scenes", {}, "call_r2")),
        text_reply("Scene 2 is 'La carta'; there are 12 scenes."),
    )
    result = make_client(fake).run_tools(WRITER, "Tell me about scene 2.", tools, step="chat")

    assert result.text == "Scene 2 is 'La carta'; there are 12 scenes."
    assert result.calls == [
        ToolCall("get_scene", {"n": 2}, '{"n": 2, "title": "La carta"}'),
        ToolCall("save", {"reason": "x"}, "Error: ValueError: storage is offline (x)"),
        ToolCall("count_scenes", {}, "12"),
    ]
    first, second, third = fake.bodies
    assert first["tools"][0] == {
        "type": "function",
        "name": "get_scene",
        "description": "Read a scene.",
        "parameters": {"type": "object"},
        "strict": True,
    }
    assert outputs_of(second) == {
        "call_r1a": '{"n": 2, "title": "La carta"}',
        "call_r1b": "Error: ValueError: storage is offline (x)",
    }
    assert outputs_of(third) == {**outputs_of(second), "call_r2": "12"}
    sent_back = [item.get("call_id") for item in third["input"] if item.get("type") == "function_call"]
    assert sent_back == ["call_r1a", "call_r1b", "call_r2"]


def outputs_of(body: dict[str, Any]) -> dict[str, str]:
    return {item["call_id"]: item["output"] for item in function_outputs(body)}


def test_tool_loop_gives_up_after_max_rounds(fake: FakeOpenAI) -> None:
    fake.responder = lambda body: tool_call_reply(FunctionCall("count_scenes", {}))
    tools = [ToolSpec("count_scenes", "Count scenes.", {"type": "object"}, lambda: 1)]
    with pytest.raises(LlmError, match=r"'writer' at step 'chat'.*still calling tools after 2 rounds"):
        make_client(fake).run_tools(WRITER, "Count.", tools, step="chat", max_rounds=2)
    assert len(fake.bodies) == 2


# -- streaming ---------------------------------------------------------------------------------------


def test_streaming_yields_deltas_in_order_and_records_usage(fake: FakeOpenAI, sqlite_db: Database) -> None:
    fake.enqueue(text_reply("Ana abre la carta.", Usage(300, 100, 80, 30)))
    deltas = list(make_client(fake, sqlite_db).stream_text(WRITER, "Continue.", step="chat", conversation_id="c-1"))
    assert deltas == ["Ana ", "abre ", "la ", "carta."]
    assert fake.bodies[0]["stream"] is True
    (row,) = calls_in(sqlite_db)
    assert (row.input_tokens, row.cached_tokens, row.output_tokens, row.reasoning_tokens) == (300, 100, 80, 30)
    assert row.ok and row.conversation_id == "c-1" and row.step == "chat"


@pytest.mark.parametrize("as_error_event", [False, True], ids=["response.failed", "error event"])
def test_a_failing_stream_raises_llm_error_with_openai_message(
    fake: FakeOpenAI, sqlite_db: Database, as_error_event: bool
) -> None:
    fake.enqueue(stream_failure_reply("The model overloaded.", text="Ana abre", as_error_event=as_error_event))
    with pytest.raises(LlmError, match=r"'writer' at step 'chat'.*The model overloaded\."):
        list(make_client(fake, sqlite_db).stream_text(WRITER, "Continue.", step="chat"))
    (row,) = calls_in(sqlite_db)
    assert not row.ok and "The model overloaded." in (row.error or "")


# -- errors and retries ------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [rate_limit_reply, server_error_reply], ids=["429", "500"])
def test_transient_errors_are_retried_by_the_sdk(fake: FakeOpenAI, failure: Any) -> None:
    fake.enqueue(failure(retry_after_s=0.01), text_reply("Listo."))
    started = time.monotonic()
    assert make_client(fake, max_retries=2).text(WRITER, "Go.", step="draft") == "Listo."
    assert len(fake.bodies) == 2
    assert time.monotonic() - started < 2


def test_rate_limit_that_outlasts_the_retries_is_a_clear_error(fake: FakeOpenAI) -> None:
    fake.enqueue(rate_limit_reply(), rate_limit_reply())
    with pytest.raises(LlmError) as caught:
        make_client(fake, max_retries=1).text(WRITER, "Go.", step="draft")
    message = str(caught.value)
    assert "'writer'" in message and "'draft'" in message and "rate limit" in message and "HTTP 429" in message
    assert caught.value.status == 429


def test_auth_error_is_clear_and_never_shows_the_key(fake: FakeOpenAI, sqlite_db: Database) -> None:
    wrong_key = "sk-wrong-canary-0a1b2c3d4e5f6a7b"
    client = LlmClient(wrong_key, base_url=fake.base_url, db=sqlite_db, max_retries=0)
    with pytest.raises(LlmError) as caught:
        client.text(WRITER, "Go.", step="draft")
    message = str(caught.value)
    assert "rejected the API key (HTTP 401)" in message and "OPENAI_API_KEY" in message
    assert wrong_key not in message
    assert wrong_key not in (calls_in(sqlite_db)[0].error or "")


def test_a_server_that_echoes_the_key_has_it_scrubbed(fake: FakeOpenAI) -> None:
    fake.enqueue(error_reply(400, f"Invalid header value Bearer {KEY}.", param="authorization"))
    with pytest.raises(LlmError) as caught:
        make_client(fake).text(WRITER, "Go.", step="draft")
    assert KEY not in str(caught.value) and "[redacted]" in str(caught.value)


def test_bad_request_reports_openai_text(fake: FakeOpenAI) -> None:
    said = "Invalid schema for response_format 'scene': 'additionalProperties' is required to be false."
    fake.enqueue(error_reply(400, said, param="text.format.schema"))
    with pytest.raises(LlmError, match="refused the request \\(HTTP 400\\): Invalid schema for response_format"):
        make_client(fake).structured(WRITER, "Go.", schema_name="scene", schema=SCENE_SCHEMA, step="scene")


def test_timeout_is_reported_with_its_limit(fake: FakeOpenAI) -> None:
    fake.enqueue(ModelReply(text="too late", delay_s=0.5))
    client = LlmClient(KEY, base_url=fake.base_url, timeout_s=0.1, max_retries=0)
    with pytest.raises(LlmError, match=r"did not answer within 0\.1 s"):
        client.text(WRITER, "Go.", step="draft")


# -- cost records and the response cache ---------------------------------------------------------------


def test_each_call_is_recorded_with_tokens_and_exact_cost(fake: FakeOpenAI, db: Database) -> None:
    novela_id = new_novela(db)
    fake.enqueue(
        json_reply(SCENE, Usage(input_tokens=1000, cached_tokens=400, output_tokens=500, reasoning_tokens=200))
    )
    make_client(fake, db).structured(
        WRITER,
        "Go.",
        schema_name="scene",
        schema=SCENE_SCHEMA,
        step="scene",
        novela_id=novela_id,
        conversation_id="c-9",
    )
    (row,) = calls_in(db)
    assert (row.agent, row.model, row.step, row.novela_id, row.conversation_id) == (
        "writer",
        "gpt-5",
        "scene",
        novela_id,
        "c-9",
    )
    assert (row.input_tokens, row.cached_tokens, row.output_tokens, row.reasoning_tokens) == (1000, 400, 500, 200)
    expected = (600 * Decimal("1.25") + 400 * Decimal("0.125") + 500 * Decimal("10")) / Decimal(1_000_000)
    assert row.cost_usd == expected == Decimal("0.0058")
    assert row.ok and row.error is None and not row.cached_response and row.latency_ms >= 0


def test_failed_calls_are_recorded_too(fake: FakeOpenAI, sqlite_db: Database) -> None:
    fake.enqueue(error_reply(400, "Invalid value for 'reasoning.effort'.", param="reasoning.effort"))
    with pytest.raises(LlmError):
        make_client(fake, sqlite_db).text(WRITER, "Go.", step="draft")
    (row,) = calls_in(sqlite_db)
    assert not row.ok and "Invalid value for 'reasoning.effort'." in (row.error or "")
    assert row.cost_usd == Decimal("0")


def test_identical_request_is_answered_from_the_cache_without_http(fake: FakeOpenAI, db: Database) -> None:
    client = make_client(fake, db)
    fake.enqueue(json_reply(SCENE, Usage(1000, 0, 500, 0)))
    ask = {"schema_name": "scene", "schema": SCENE_SCHEMA, "step": "scene"}
    first = client.structured(WRITER, "Write scene 1.", **ask)
    again = client.structured(WRITER, "Write scene 1.", **ask)
    assert again == first == SCENE
    assert len(fake.bodies) == 1
    fresh, cached = calls_in(db)
    assert not fresh.cached_response and fresh.cost_usd > 0
    assert cached.cached_response and cached.cost_usd == Decimal("0") and cached.input_tokens == 0

    client.structured(CRITIC, "Write scene 1.", **ask)  # another agent's instructions: another request
    assert len(fake.bodies) == 2


def test_cache_can_be_switched_off(fake: FakeOpenAI, sqlite_db: Database) -> None:
    client = make_client(fake, sqlite_db, cache=False)
    client.text(WRITER, "Same.", step="draft")
    client.text(WRITER, "Same.", step="draft")
    assert len(fake.bodies) == 2
