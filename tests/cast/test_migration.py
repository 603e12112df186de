"""Migration 0002_cast on both databases: wizard characters become assets; downgrade removes the cast tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from vsl.cast import repo
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import Novela, NovelaVideo, Review

CAST_TABLES = {"assets", "asset_images", "scene_assets", "keyframes", "reviews"}


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names(schema=db.schema))


def _old_novela(db: Database, characters: list) -> int:
    """A novela as revision 0001 stored it (a Core insert names only columns 0001 had, and those with defaults)."""
    values = {
        "title": "Old",
        "target_episodes": 1,
        "scenes_per_episode": 1,
        "default_model_id": "veo-3.1",
        "default_duration": 8,
        "default_resolution": "1080p",
        "reference_character_images": characters,
    }
    with db.session() as session:
        return session.execute(sa.insert(Novela).values(values).returning(Novela.id)).scalar_one()


def test_upgrade_turns_wizard_characters_into_assets_and_downgrade_removes_them(db: Database) -> None:
    migrate.downgrade(db, "0001")
    assert not CAST_TABLES & _tables(db)
    characters = [
        {"name": "Isabel Duarte", "description": "40, silver streak, red shawl", "image_url": "media:references/i.png"},
        {"name": "isabel  duarte", "description": "a duplicate", "image_url": ""},
        {"name": "<b>Tomás</b>", "description": "", "image_url": "https://example.com/t.jpg"},
        {"name": "  ", "description": "nameless"},
        "not a dict",
    ]
    novela_id = _old_novela(db, characters)

    migrate.upgrade(db)

    with db.session() as session:
        assets = repo.assets(session, novela_id)
        got = [(a.kind, a.name, a.look) for a in assets]
        images = repo.images(session, [a.id for a in assets])
        refs = {a.name: [(i.ref, i.source, i.chosen) for i in images[a.id]] for a in assets}
    assert got == [("character", "Isabel_Duarte", "40, silver streak, red shawl"), ("character", "bTomásb", "")]
    assert refs == {
        "Isabel_Duarte": [("media:references/i.png", "wizard", True)],
        "bTomásb": [("https://example.com/t.jpg", "wizard", True)],
    }
    migrate.downgrade(db, "0001")
    assert not CAST_TABLES & _tables(db)
    migrate.upgrade(db)
    assert _tables(db) >= CAST_TABLES


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns(table, schema=db.schema)}


def test_0004_adds_the_opt_in_and_old_reviews_come_back_as_clicked_ones(db: Database) -> None:
    novela_id = _old_novela(db, [])
    with db.session() as session:
        take = NovelaVideo(novela_id=novela_id, episode_number=1, scene_number=1, model_id="veo-3.1")
        session.add(take)
        session.flush()
        session.add(Review(video_id=take.id, method="offline-histogram", status="consistent", score=90))

    migrate.downgrade(db, "0003_sound")
    assert "auto_review_since" not in _columns(db, "novelas") and "automatic" not in _columns(db, "reviews")
    migrate.upgrade(db)

    with db.session() as session:
        (kept,) = session.scalars(sa.select(Review))
        assert (kept.score, kept.automatic) == (90, False)
        assert session.get(Novela, novela_id).auto_review_since is None  # type: ignore[union-attr]
        session.add(Review(video_id=kept.video_id, method="gpt-5", status="reviewing", automatic=True))
    with pytest.raises(sa.exc.IntegrityError), db.session() as session:  # the index came back with the column
        session.add(Review(video_id=kept.video_id, method="gpt-5", status="reviewing", automatic=True))
