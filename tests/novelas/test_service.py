"""Novela service: validation, CRUD, scene planning, status transitions, deletion that never loses media silently."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import MediaItem
from vsl.novelas import service
from vsl.novelas.service import IllegalNovelaStatus, NovelaBusy, NovelaNotFound
from vsl.novelas.validation import Character, NovelaInput, NovelaInvalid, parse_budget
from vsl.storage.local import LocalStorage


def novela_input(**overrides) -> NovelaInput:
    data = {
        "title": "Hacienda",
        "genre": "Drama",
        "premise": "A letter reopens a secret.",
        "episodes": 3,
        "scenes_per_episode": 4,
        "default_model_id": "veo-3.1-fast",
        "default_duration": 8,
        "default_resolution": "720p",
        "budget": Decimal("50"),
    }
    data.update(overrides)
    return NovelaInput(**data)


def test_create_stores_the_novela_and_plans_episode_one(db: Database) -> None:
    novela = service.create(db, novela_input(characters=[Character("Isabel", "red dress")]))
    stored = service.get(db, novela.id)
    assert (stored.title, stored.target_episodes, stored.scenes_per_episode) == ("Hacienda", 3, 4)
    assert stored.status == "planning"
    assert stored.reference_character_images == [{"name": "Isabel", "description": "red dress", "image_url": ""}]
    assert stored.default_parameters["duration"] == 8
    # veo-3.1-fast, 8 s with audio at $0.15/s = $1.20 a scene; 3 x 4 scenes = $14.40 plus the GPT-5 estimate
    assert stored.estimated_cost >= Decimal("14.40")
    with db.session() as session:
        takes = video_repo.episode_takes(session, novela.id, 1)
    assert [(t.scene_number, t.take, t.status) for t in takes] == [(s, 1, "planned") for s in range(1, 5)]


def test_the_stored_estimate_includes_one_portrait_per_reference_character(db: Database) -> None:
    alone = service.create(db, novela_input())
    cast = service.create(db, novela_input(characters=[Character("Isabel"), Character("Mateo")]))
    # 2 portraits x $0.003 (flux-schnell, the default portrait model)
    assert service.get(db, cast.id).estimated_cost - service.get(db, alone.id).estimated_cost == Decimal("0.006")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "bad\x00title"}, "title"),
        ({"episodes": 0}, "episodes"),
        ({"episodes": 501}, "episodes"),
        ({"scenes_per_episode": 51}, "scenes_per_episode"),
        ({"default_duration": 5}, "model_settings"),  # veo accepts 4, 6, 8
        ({"default_model_id": "nope"}, "default_model_id"),
        ({"default_model_id": "flux-schnell"}, "default_model_id"),
        ({"budget": Decimal("-1")}, "budget"),
        ({"master_seed": 2**32}, "master_seed"),
        ({"characters": [Character("")]}, "characters"),
        ({"characters": [Character("Ana", image_url="javascript:alert(1)")]}, "characters"),
    ],
)
def test_invalid_input_is_refused_with_a_field_message_and_nothing_stored(db: Database, overrides, field) -> None:
    with pytest.raises(NovelaInvalid) as info:
        service.create(db, novela_input(**overrides))
    assert field in info.value.errors
    assert info.value.errors[field].endswith(".")
    with db.session() as session:
        assert session.query(MediaItem).count() == 0
    from vsl.db import novela_repo

    with db.session() as session:
        assert novela_repo.count(session) == 0


def test_parse_budget() -> None:
    assert parse_budget("") is None
    assert parse_budget(" $1,200.50 ") == Decimal("1200.50")
    for bad in ("abc", "1e999999", "NaN", "--1"):
        with pytest.raises(NovelaInvalid):
            parse_budget(bad)


def test_text_is_stored_exactly_as_typed(db: Database) -> None:
    title = "<script>alert('x')</script> 🎬 مرحبا"
    novela = service.create(db, novela_input(title=title, premise="' OR 1=1; DROP TABLE novelas; --"))
    stored = service.get(db, novela.id)
    assert stored.title == title
    assert stored.premise == "' OR 1=1; DROP TABLE novelas; --"


def test_status_transitions_refuse_illegal_moves(db: Database) -> None:
    novela = service.create(db, novela_input())
    with pytest.raises(IllegalNovelaStatus):
        service.set_status(db, novela.id, "completed")
    assert service.set_status(db, novela.id, "in_progress").status == "in_progress"
    assert service.set_status(db, novela.id, "paused").status == "paused"
    with pytest.raises(IllegalNovelaStatus):
        service.set_status(db, novela.id, "planning")
    assert service.set_status(db, novela.id, "in_progress").status == "in_progress"
    assert service.set_status(db, novela.id, "completed").status == "completed"


def test_update_validates_and_keeps_budget_above_commitments(db: Database) -> None:
    novela = service.create(db, novela_input())
    assert service.update(db, novela.id, title="New title").title == "New title"
    with pytest.raises(NovelaInvalid):
        service.update(db, novela.id, title="")
    with pytest.raises(NovelaInvalid):
        service.update(db, novela.id, default_model_id="veo-3.1")
    with db.write() as session:
        from vsl.db import novela_repo

        novela_repo.get(session, novela.id).total_cost = Decimal("30")
    with pytest.raises(NovelaInvalid) as info:
        service.update(db, novela.id, budget=Decimal("20"))
    assert "already spent" in info.value.errors["budget"]


def test_plan_episode_is_idempotent_and_bounded(db: Database) -> None:
    novela = service.create(db, novela_input())
    assert len(service.plan_episode(db, novela.id, 2)) == 4
    assert service.plan_episode(db, novela.id, 2) == []
    with pytest.raises(NovelaInvalid):
        service.plan_episode(db, novela.id, 4)


def _with_media(db: Database, storage: LocalStorage) -> tuple[int, str]:
    novela = service.create(db, novela_input())
    storage.put_bytes("videos/a.mp4", b"video", "video/mp4")
    with db.session() as session:
        session.add(MediaItem(s3_key="videos/a.mp4", media_type="video", novela_id=novela.id))
    return novela.id, "videos/a.mp4"


def test_delete_keeping_media_detaches_it(db: Database, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    novela_id, key = _with_media(db, storage)
    service.delete_novela(db, novela_id, "keep")
    with pytest.raises(NovelaNotFound):
        service.get(db, novela_id)
    with db.session() as session:
        item = session.query(MediaItem).one()
    assert item.novela_id is None
    assert storage.exists(key)


def test_delete_with_media_removes_files_and_rows(db: Database, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    novela_id, key = _with_media(db, storage)
    assert service.delete_novela(db, novela_id, "delete", storage) == 1
    with db.session() as session:
        assert session.query(MediaItem).count() == 0
    assert not storage.exists(key)


def test_delete_is_refused_while_jobs_hold_money(db: Database) -> None:
    novela = service.create(db, novela_input())
    with db.write() as session:
        take = video_repo.episode_takes(session, novela.id, 1)[0]
        take.status = "running"
    with pytest.raises(NovelaBusy):
        service.delete_novela(db, novela.id, "keep")
