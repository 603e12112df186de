"""Migration 0002_cast on both databases: wizard characters become assets; downgrade removes the cast tables."""

from __future__ import annotations

import sqlalchemy as sa

from vsl.cast import repo
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import Novela

CAST_TABLES = {"assets", "asset_images", "scene_assets", "keyframes", "reviews"}


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names(schema=db.schema))


def _old_novela(db: Database, characters: list) -> int:
    """A novela as revision 0001 stored it, before the cast existed (the novelas table is unchanged since)."""
    with db.session() as session:
        novela = Novela(
            title="Old",
            target_episodes=1,
            scenes_per_episode=1,
            default_model_id="veo-3.1",
            default_duration=8,
            default_resolution="1080p",
            reference_character_images=characters,
        )
        session.add(novela)
    return novela.id


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
