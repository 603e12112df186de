"""The agents' draft proposes the cast; its prompts then name cast members as @Name, and so do later scenes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.agents.conftest import _runtime
from vsl.agents import flows
from vsl.agents.team import Team, build_team
from vsl.cast import names, repo, service
from vsl.db import video_repo
from vsl.db.engine import Database


@pytest.fixture
def offline_team(sqlite_db: Database, tmp_path: Path) -> Iterator[Team]:
    for runtime in _runtime(sqlite_db, tmp_path):
        yield build_team(runtime)


def test_mention_names_writes_cast_names_as_mentions_once() -> None:
    text = "ISABEL meets Dona Rosa. @Isabel waves; Isabela is someone else."
    assert names.mention_names(text, ["Isabel", "Dona_Rosa"]) == (
        "@Isabel meets @Dona_Rosa. @Isabel waves; Isabela is someone else."
    )


def test_the_draft_proposes_a_cast_and_the_writer_names_it_with_mentions(offline_team: Team) -> None:
    db = offline_team.runtime.db
    draft = flows.draft_novela(
        offline_team, "Isabel returns to her family's hacienda in Veracruz.", episodes=1, scenes=2
    )
    assert draft.characters  # the proposed cast
    novela = flows.create_novela(offline_team, draft, Decimal("10"))

    assert service.import_wizard_characters(db, novela.id) == len(draft.characters)

    with db.session() as session:
        cast = [a.name for a in repo.assets(session, novela.id)]
        prompts = [v.script_prompt for v in video_repo.episode_takes(session, novela.id, 1)]
    first = cast[0]
    assert any(f"@{first}" in p for p in prompts)
    proposal = flows.next_scene(offline_team, novela.id)
    assert f"@{first}" in proposal.scene["prompt"]
