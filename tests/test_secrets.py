"""API keys never reach logs, pages, stored rows or error messages — checked with canary keys that the fake
services even echo back in their error bodies."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tests.fakes.http_server import Reply
from tests.fakes.lambda_server import FakeLambdaServer
from tests.fakes.openai_server import FakeOpenAI, error_reply
from vsl import health
from vsl.agents import flows
from vsl.agents.bus import BusError
from vsl.agents.llm import LlmClient, LlmError
from vsl.agents.team import build_team
from vsl.config import load_settings
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.runtime import build_runtime

OPENAI_CANARY = "sk-canary-openai-7f3a9c1e5b"
LAMBDA_CANARY = "canary-lambda-key-2d8e6f4a"
REPLICATE_CANARY = "r8_canary_replicate_91c4"
CANARIES = (OPENAI_CANARY, LAMBDA_CANARY, REPLICATE_CANARY)


def _all_stored_text(db: Database) -> str:
    chunks = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names(schema=db.schema):
            name = f'"{db.schema}"."{table}"' if db.schema else f'"{table}"'
            chunks += [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {name}"))]
    return "\n".join(chunks)


def assert_clean(*surfaces: str) -> None:
    for surface in surfaces:
        for canary in CANARIES:
            assert canary not in surface


@pytest.fixture
def lambda_echoing_its_key():
    with FakeLambdaServer() as server:
        body = {"error": "Unauthorized", "message": f"API key {LAMBDA_CANARY} is not valid for this stage"}
        server.force(Reply(401, body), path_prefix=f"{server.stage}/generate")
        yield server


def test_canary_keys_never_leak(
    sqlite_db: Database, tmp_path: Path, lambda_echoing_its_key: FakeLambdaServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = load_settings({
        "DATABASE_URL": sqlite_db.url, "MEDIA_DIR": str(tmp_path / "media"), "EMBEDDED_WORKER": "false",
        "LAMBDA_API_URL": lambda_echoing_its_key.base_url, "LAMBDA_API_KEY": LAMBDA_CANARY,
        "REPLICATE_API_TOKEN": REPLICATE_CANARY, "OPENAI_API_KEY": OPENAI_CANARY,
    })  # fmt: skip
    runtime = build_runtime(settings, start_worker=False)
    novela = service.create(runtime.db, NovelaInput(
        title="Canary", episodes=1, scenes_per_episode=1, default_model_id="veo-3.1-fast", default_duration=8,
        default_resolution="720p", budget=Decimal("5"),
    ))  # fmt: skip

    # The Lambda API refuses the key and quotes it back: the failure is stored without it.
    targets = actions.targets_rest_of_episode(runtime.db, novela.id, 1)
    (video_id,) = actions.confirm(runtime.db, runtime.registry, actions.quote(runtime.db, runtime.registry, targets))
    runtime.worker.step()
    with runtime.db.session() as session:
        failed = video_repo.get(session, video_id)
    assert failed.status == "failed" and failed.failure_stage == "submit"

    # OpenAI refuses the key and quotes it back: the agent error shown to the user is clean.
    with FakeOpenAI() as fake:
        fake.enqueue(*[error_reply(401, f"Incorrect API key provided: {OPENAI_CANARY}.")] * 3)
        llm = LlmClient(OPENAI_CANARY, base_url=fake.base_url, db=runtime.db, timeout_s=5, max_retries=0)
        with pytest.raises((LlmError, BusError)) as agent_error:
            flows.draft_novela(build_team(runtime, llm), "A storm over the hacienda.")
    checks = [health.check_llm(settings).message, health.check_provider(runtime.registry, "lambda").message]

    assert_clean(_all_stored_text(runtime.db), str(agent_error.value), *checks, caplog.text)
    runtime.close()


def test_settings_repr_hides_secrets() -> None:
    settings = load_settings(
        {"OPENAI_API_KEY": OPENAI_CANARY, "LAMBDA_API_KEY": LAMBDA_CANARY, "REPLICATE_API_TOKEN": REPLICATE_CANARY}
    )
    assert_clean(repr(settings), str(settings.modes()))
