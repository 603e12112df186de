"""Cast fixtures: a novela with a cast, PNG bytes, and the stacks of the job tests."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.fakes.openai_server import FakeOpenAI
from tests.jobs.conftest import local_registry, make_novela, paid_registry  # noqa: F401  (shared job fixtures)
from tests.jobs.test_pipeline_local import LocalStack, local_stack_fixture, run_until  # noqa: F401
from vsl.agents.llm import LlmClient
from vsl.cast import service
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.jobs import actions


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test") as fake:
        yield fake


def client(db: Database, fake: FakeOpenAI) -> LlmClient:
    """The real client against the fake, no cache and no retries (each test says what the fake answers)."""
    return LlmClient("sk-test", base_url=fake.base_url, db=db, cache=False, max_retries=0)


def png(width: int = 256, height: int = 256, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def add_cast(db: Database, novela_id: int, *names: str) -> dict[str, int]:
    """Characters named `names`, each with a look "<name>'s look: ..."; returns name → asset id."""
    return {
        name: service.create_asset(db, novela_id, "character", name, f"{name} look: grey coat, age 40").id
        for name in names
    }


def isabel_scene(db: Database, stack: LocalStack) -> tuple[int, int]:
    """A one-scene novela whose prompt names @Isabel, who has a red reference in storage: (novela id, take id)."""
    novela_id = make_novela(db, duration=2, scenes=1).id
    asset_id = add_cast(db, novela_id, "Isabel")["Isabel"]
    service.add_upload(db, stack.storage, asset_id, "isabel.png", png(colour=(180, 30, 30)))
    with db.write() as session:
        (row,) = video_repo.episode_takes(session, novela_id, 1)
        row.script_prompt = "@Isabel reads the letter."
    return novela_id, row.id


def render(db: Database, stack: LocalStack, take_id: int) -> int:
    """Quote, confirm and run the take through the worker (local preview); the completed take's id."""
    quote = actions.quote(db, stack.registry, [actions.Target(take_id)])
    (done,) = run_until(stack.worker, db, actions.confirm(db, stack.registry, quote))
    assert done.status == "completed"
    return done.id
