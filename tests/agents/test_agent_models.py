"""A model per agent (AGENT_MODEL_<NAME>), efforts checked against each agent's model when the team is built,
calls priced with their own model, and the Settings page's GPT-5 test naming the models and their prices: all
through the real SDK against the fake Responses API over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import get_args

import pytest
from openai.types.shared.reasoning_effort import ReasoningEffort

from tests.agents.conftest import KEY, llm_calls, make_novela
from tests.agents.gpt_responder import agent_of
from tests.fakes.openai_server import FakeOpenAI, Usage, text_reply
from vsl import health
from vsl.agents import flows
from vsl.agents.llm import LlmClient
from vsl.agents.profiles import FALLBACK, INTEGRATOR, WRITER, agent_models, profile
from vsl.agents.team import build_team
from vsl.catalog.gpt5 import UnsupportedLlmModel, family
from vsl.config import DEFAULT_OPENAI_MODEL, load_settings
from vsl.db.engine import Database
from vsl.runtime import Runtime


@pytest.fixture
def runtime(sqlite_runtime: Runtime) -> Runtime:
    return sqlite_runtime


def test_each_agent_may_think_with_its_own_model(
    runtime: Runtime, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_MODEL_INTEGRATOR", "gpt-5.4-mini")
    llm = LlmClient(KEY, model="gpt-5.4", base_url=fake.base_url, db=runtime.db, timeout_s=5, cache=False)
    team = build_team(runtime, llm)
    assert team.models == {WRITER: "gpt-5.4", INTEGRATOR: "gpt-5.4-mini", FALLBACK: "gpt-5.4"}
    assert team.mode == "OpenAI gpt-5.4 (integrator gpt-5.4-mini)"

    novela = make_novela(runtime.db)
    flows.next_scene(team, novela.id)

    sent = {(agent_of(b), b["model"]) for b in fake.bodies}
    assert (WRITER, "gpt-5.4") in sent and (INTEGRATOR, "gpt-5.4-mini") in sent
    assert all(model == "gpt-5.4-mini" for agent, model in sent if agent == INTEGRATOR)
    recorded = {(c.agent, c.model, c.cost_usd) for c in llm_calls(runtime.db)}
    # the fake's usage: 120 input, 40 output tokens; NUMERIC(12,4) rounds
    assert (INTEGRATOR, "gpt-5.4-mini", Decimal("0.0003")) in recorded  # 120 x 0.75 + 40 x 4.50 per 1M = 0.00027
    assert (WRITER, "gpt-5.4", Decimal("0.0009")) in recorded  # 120 x 2.50 + 40 x 15 per 1M = 0.0009


def test_the_default_model_is_todays_pick_and_agent_models_fall_back_to_it() -> None:
    assert load_settings({}).openai_model == DEFAULT_OPENAI_MODEL == "gpt-5.4"
    assert agent_models({"AGENT_MODEL_FALLBACK": " gpt-5.5 "}, "gpt-5.2") == {
        WRITER: "gpt-5.2", INTEGRATOR: "gpt-5.2", FALLBACK: "gpt-5.5"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AGENT_MODEL_INTEGRATOR": "gpt-4o"}, r"AGENT_MODEL_INTEGRATOR: Model 'gpt-4o' is not a GPT-5 model"),
        # the Integrator's default effort (low) is not one gpt-5.4-pro takes
        (
            {"AGENT_MODEL_INTEGRATOR": "gpt-5.4-pro"},
            r"gpt-5.4-pro does not take the reasoning effort 'low' \(the default of the integrator agent; "
            r"set AGENT_EFFORT_INTEGRATOR\); it takes medium, high, xhigh",
        ),
        # minimal is gpt-5's, not gpt-5.4's
        ({"AGENT_EFFORT_INTEGRATOR": "minimal"}, r"gpt-5.4 does not take .*'minimal' \(AGENT_EFFORT_INTEGRATOR\)"),
        # none is gpt-5.1's and later, not gpt-5's
        (
            {"AGENT_MODEL_INTEGRATOR": "gpt-5-mini", "AGENT_EFFORT_INTEGRATOR": "none"},
            r"gpt-5-mini does not take .*'none'.*it takes minimal, low, medium, high",
        ),
    ],
)
def test_a_model_or_effort_that_does_not_fit_is_refused_when_the_profile_loads(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(UnsupportedLlmModel, match=message):
        profile(INTEGRATOR, env)


def test_efforts_a_model_takes_are_accepted() -> None:
    assert (
        profile(INTEGRATOR, {"AGENT_MODEL_INTEGRATOR": "gpt-5.4-pro", "AGENT_EFFORT_INTEGRATOR": "xhigh"}).effort
        == "xhigh"
    )
    assert profile(WRITER, {"AGENT_EFFORT_SCRIPT_WRITER": "none"}).effort == "none"
    assert profile(WRITER, {"AGENT_EFFORT_SCRIPT_WRITER": "minimal"}, "gpt-5-2025-08-07").effort == "minimal"


def test_a_bad_agent_model_stops_the_team_with_the_setting_named(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_MODEL_SCRIPT_WRITER", "gpt-5.6-sol")
    keyed = Runtime(
        load_settings({"OPENAI_API_KEY": KEY}), runtime.db, runtime.storage, runtime.registry, runtime.worker
    )
    with pytest.raises(UnsupportedLlmModel, match=r"AGENT_MODEL_SCRIPT_WRITER: Model 'gpt-5\.6-sol'"):
        build_team(keyed)


def test_a_long_context_call_without_a_known_rate_is_recorded_as_a_lower_bound_and_says_so(
    fake: FakeOpenAI, sqlite_db: Database
) -> None:
    fake.enqueue(text_reply("Done.", Usage(input_tokens=300_000, output_tokens=10)))
    llm = LlmClient(KEY, model="gpt-5.5-pro", base_url=fake.base_url, db=sqlite_db, timeout_s=5, cache=False)
    assert llm.text(profile(WRITER, {"AGENT_EFFORT_SCRIPT_WRITER": "high"}, "gpt-5.5-pro"), "Go.", step="s") == "Done."
    (call,) = llm_calls(sqlite_db)
    assert call.ok and call.model == "gpt-5.5-pro"
    assert call.cost_usd == Decimal("9.0018")  # 300000 x 30 + 10 x 180 per 1M, the standard rates
    assert "lower bound" in call.error and "not published" in call.error


def test_the_settings_check_names_each_model_and_its_prices(fake: FakeOpenAI) -> None:
    settings = load_settings({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url})
    result = health.check_llm(settings, {"AGENT_MODEL_INTEGRATOR": "gpt-5.4-mini"})
    assert result.ok, result.message
    assert "gpt-5.4 (script writer, fallback): $2.50 / $0.25 / $15.00 per 1M tokens" in result.message
    assert "above 272K input tokens $5.00 / $0.50 / $22.50" in result.message
    assert "gpt-5.4-mini (integrator): $0.75 / $0.075 / $4.50 per 1M tokens" in result.message
    looked_up = sorted(r.path for r in fake.requests_to("GET", "/v1/models/"))
    assert looked_up == ["/v1/models/gpt-5.4", "/v1/models/gpt-5.4-mini"]  # each model once

    fake.unavailable_models.add("gpt-5.4-mini")
    refused = health.check_llm(settings, {"AGENT_MODEL_INTEGRATOR": "gpt-5.4-mini"})
    assert not refused.ok and "gpt-5.4-mini" in refused.message and "does not exist" in refused.message

    wrong_effort = health.check_llm(settings, {"AGENT_EFFORT_WRITER": "x", "AGENT_EFFORT_FALLBACK": "minimal"})
    assert not wrong_effort.ok and "AGENT_EFFORT_FALLBACK" in wrong_effort.message


def test_the_pinned_openai_sdk_takes_every_effort_and_model_of_the_family(fake: FakeOpenAI) -> None:
    """openai==3.57.0 types reasoning.effort as a Literal: every effort in gpt_models.json must be in it, and a
    request with the newest values goes through the real SDK unchanged."""
    sdk_efforts = {value for arg in get_args(ReasoningEffort) for value in get_args(arg)}
    assert {e for m in family().models.values() for e in m.efforts} <= sdk_efforts
    llm = LlmClient(KEY, model="gpt-5.5-2026-04-23", base_url=fake.base_url, timeout_s=5)
    fake.enqueue(text_reply("Hola."), text_reply("Hola."))
    for effort in ("none", "xhigh"):
        llm.text(profile(WRITER, {"AGENT_EFFORT_SCRIPT_WRITER": effort}, llm.model), "Hi.", step="s")
    assert [(b["model"], b["reasoning"]) for b in fake.bodies] == [
        ("gpt-5.5-2026-04-23", {"effort": "none"}),
        ("gpt-5.5-2026-04-23", {"effort": "xhigh"}),
    ]
