"""Migrations: the same revisions build and remove the schema on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import Novela

TABLES = {
    "novelas",
    "novela_videos",
    "agent_messages",
    "user_chat_messages",
    "media_library",
    "llm_calls",
    "llm_cache",
    "job_events",
    *("assets", "asset_images", "scene_assets", "keyframes", "reviews"),  # 0002_cast
    *("speaker_voices", "episode_subtitles"),  # 0003_sound
}


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names(schema=db.schema)) - {"alembic_version"}


def test_upgrade_creates_every_table_in_the_schema(db: Database) -> None:
    assert _tables(db) == TABLES
    assert not migrate.pending(db)
    if db.backend == "postgresql":
        with db.engine.connect() as conn:
            schemas = set(sa.inspect(conn).get_schema_names())
        assert "vsl_frontend" in schemas


def test_downgrade_to_base_and_back(db: Database) -> None:
    migrate.downgrade(db, "base")
    assert _tables(db) == set()
    assert migrate.pending(db)
    migrate.upgrade(db)
    assert _tables(db) == TABLES


def test_money_round_trips_exactly_and_json_columns_work(db: Database) -> None:
    with db.session() as session:
        novela = Novela(
            title="T",
            target_episodes=1,
            scenes_per_episode=1,
            default_model_id="veo-3.1",
            default_duration=8,
            default_resolution="1080p",
            budget=Decimal("1234567.8912"),
            total_cost=Decimal("0.1") + Decimal("0.2"),
            story_bible={"tone": "noir", "cast": ["Ana"]},
        )
        session.add(novela)
    with db.session() as session:
        stored = session.get(Novela, novela.id)
        assert stored.budget == Decimal("1234567.8912")
        assert stored.total_cost == Decimal("0.3000")
        assert stored.story_bible == {"tone": "noir", "cast": ["Ana"]}


def test_jsonb_on_postgresql(db: Database) -> None:
    if db.backend != "postgresql":
        return
    with db.engine.connect() as conn:
        columns = {c["name"]: c["type"] for c in sa.inspect(conn).get_columns("novelas", schema=db.schema)}
    assert columns["story_bible"].__class__.__name__ == "JSONB"
    assert str(columns["budget"]) == "NUMERIC(12, 4)"
