"""The agents on GPT-5 (the fake Responses API over real HTTP, driven by the real SDK): what each agent sends
(effort, verbosity, no temperature, its tools or its schema, a static prompt prefix) and what is stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.agents.conftest import KEY, fail_take, gpt_client, llm_calls, make_novela, takes
from tests.agents.gpt_responder import agent_of
from tests.fakes.openai_server import FakeOpenAI, json_reply
from vsl.agents import flows
from vsl.agents.profiles import FALLBACK, INTEGRATOR, WRITER, profile
from vsl.agents.script_writer import SCENE_SCHEMA, SEASON_SCHEMA
from vsl.agents.team import build_team
from vsl.catalog.gpt5 import UnsupportedLlmModel
from vsl.config import DEFAULT_OPENAI_MODEL, load_settings
from vsl.money import for_storage
from vsl.runtime import Runtime

EXPECTED = {WRITER: ("medium", "high"), INTEGRATOR: ("low", "low"), FALLBACK: ("low", "medium")}


@pytest.fixture
def runtime(sqlite_runtime: Runtime) -> Runtime:
    """What is sent does not depend on the database: SQLite only."""
    return sqlite_runtime


def bodies_of(fake: FakeOpenAI, agent: str) -> list[dict[str, Any]]:
    return [b for b in fake.bodies if agent_of(b) == agent]


def run_all_flows(runtime: Runtime, fake: FakeOpenAI) -> int:
    team = build_team(runtime, gpt_client(fake, runtime.db))
    novela = make_novela(runtime.db)
    flows.next_scene(team, novela.id)
    failed = min(takes(runtime.db, novela.id), key=lambda t: t.scene_number)
    fail_take(runtime.db, failed.id, code="content_policy", message="Output flagged as sensitive.")
    flows.recover(team, failed.id)
    flows.attach_failure(team, "s-1", failed.id)
    list(flows.chat_reply(team, "s-1", "What now?"))
    return novela.id


def test_each_agent_sends_its_own_effort_and_verbosity_and_never_temperature(
    runtime: Runtime, fake: FakeOpenAI
) -> None:
    run_all_flows(runtime, fake)

    for agent, (effort, verbosity) in EXPECTED.items():
        sent = bodies_of(fake, agent)
        assert sent, f"{agent} made no call"
        for body in sent:
            assert body["reasoning"] == {"effort": effort}
            assert body["text"]["verbosity"] == verbosity
            assert "temperature" not in body and "top_p" not in body
            assert body["model"] == DEFAULT_OPENAI_MODEL and body["store"] is False
            assert body["instructions"] == profile(agent).instructions  # the static, cacheable prefix


def test_the_writer_asks_for_strict_json_schemas_and_the_others_for_their_tools(
    runtime: Runtime, fake: FakeOpenAI
) -> None:
    run_all_flows(runtime, fake)

    formats = {b["text"]["format"]["name"]: b["text"]["format"] for b in bodies_of(fake, WRITER)}
    assert formats["scene_prompt"] == {
        "type": "json_schema",
        "name": "scene_prompt",
        "schema": SCENE_SCHEMA,
        "strict": True,
    }
    assert "tools" not in bodies_of(fake, WRITER)[0]
    integrator_tools = {t["name"] for t in bodies_of(fake, INTEGRATOR)[0]["tools"]}
    assert integrator_tools == {"validate_parameters", "calculate_cost", "check_budget", "submit_job", "get_job_status"}
    assert all(t["strict"] for t in bodies_of(fake, INTEGRATOR)[0]["tools"])
    analyze, chat = bodies_of(fake, FALLBACK)[0], bodies_of(fake, FALLBACK)[-1]
    assert {t["name"] for t in analyze["tools"]} == {"analyze_error", "search_documentation"}
    assert chat["stream"] is True and "tools" not in chat
    assert "content_policy" in chat["input"][-1]["content"]  # the attached failure travels with the question


def test_the_season_plan_uses_the_season_schema(runtime: Runtime, fake: FakeOpenAI) -> None:
    team = build_team(runtime, gpt_client(fake, runtime.db))
    draft = flows.draft_novela(team, "Isabel returns home.", episodes=2, scenes=3)

    (plan,) = bodies_of(fake, WRITER)
    assert plan["text"]["format"]["schema"] == SEASON_SCHEMA and plan["text"]["format"]["strict"] is True
    assert draft.title == "La Hacienda de Sombras" and len(draft.first_episode) == 3


def test_every_call_is_stored_with_its_agent_step_tokens_cost_and_conversation(
    runtime: Runtime, fake: FakeOpenAI
) -> None:
    novela_id = run_all_flows(runtime, fake)

    calls = llm_calls(runtime.db)
    steps = [(c.agent, c.step) for c in calls]
    assert (WRITER, "write_scene") in steps and (INTEGRATOR, "prepare_take") in steps
    assert (FALLBACK, "analyze_failure") in steps and (FALLBACK, "chat") in steps
    assert len(calls) == len(fake.bodies)
    for call in calls:
        assert call.ok and call.input_tokens == 120 and call.output_tokens == 40 and call.reasoning_tokens == 16
        assert call.cost_usd == for_storage(Decimal("0.0009"))  # 120 x $2.50/M + 40 x $15/M (gpt-5.4)
        assert call.conversation_id
    assert {c.novela_id for c in calls if c.step != "chat"} == {novela_id}
    chat = next(c for c in calls if c.step == "chat")
    assert chat.conversation_id == "s-1" and chat.novela_id == novela_id


def test_a_scene_that_misses_the_schema_gets_one_repair_then_the_flow_goes_on(
    runtime: Runtime, fake: FakeOpenAI
) -> None:
    team = build_team(runtime, gpt_client(fake, runtime.db))
    novela = make_novela(runtime.db)
    fake.enqueue(json_reply({"title": "half a scene"}))  # the writer's first answer is incomplete

    proposal = flows.next_scene(team, novela.id)

    repair = bodies_of(fake, WRITER)[1]
    assert "could not be used" in repair["input"][-1]["content"]
    assert proposal.scene["title"].startswith("GPT scene")


def test_the_team_uses_gpt5_when_a_key_is_set_and_refuses_other_models(runtime: Runtime, fake: FakeOpenAI) -> None:
    env = {"DATABASE_URL": runtime.db.url, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}
    keyed = Runtime(load_settings(env), runtime.db, runtime.storage, runtime.registry, runtime.worker)
    team = build_team(keyed)
    assert not team.offline and team.mode == f"OpenAI {DEFAULT_OPENAI_MODEL}"
    flows.draft_novela(team, "Isabel returns home.", episodes=1, scenes=1)
    assert fake.bodies, "the draft went to the (fake) OpenAI API"

    old = Runtime(load_settings({**env, "OPENAI_MODEL": "gpt-4o"}), runtime.db, runtime.storage, runtime.registry,
                  runtime.worker)  # fmt: skip
    with pytest.raises(UnsupportedLlmModel, match="not a GPT-5 model"):
        build_team(old)


def test_effort_and_verbosity_can_be_overridden_per_agent() -> None:
    tuned = profile(WRITER, {"AGENT_EFFORT_SCRIPT_WRITER": "high", "AGENT_VERBOSITY_SCRIPT_WRITER": "low"})
    assert (tuned.effort, tuned.verbosity) == ("high", "low")
    assert profile(INTEGRATOR, {}).effort == "low"
    with pytest.raises(
        ValueError,
        match=r"reasoning effort 'extreme' \(AGENT_EFFORT_FALLBACK\); it takes none, low, medium, high, xhigh",
    ):
        profile(FALLBACK, {"AGENT_EFFORT_FALLBACK": "extreme"})
