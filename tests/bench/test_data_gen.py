"""The benchmark data generator: right counts, consistent rows, exact money, the same rows for the same seed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from bench.data_gen import biggest_novela_id, generate, live_novela_id
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import AgentMessage, JobEvent, LlmCall, MediaItem, Novela, NovelaVideo, UserChatMessage
from vsl.jobs.states import ACTIVE, HOLDS_MONEY, TRANSITIONS, JobStatus
from vsl.media.ffmpeg import probe
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.storage.local import LocalStorage

SMALL = {"novelas": 5, "videos": 200, "media": 500}


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _all(db: Database, model: type) -> list:
    with db.session() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_counts_are_what_was_asked_and_what_is_stored(db: Database) -> None:
    counts = generate(db, **SMALL, seed=3)
    assert (counts.novelas, counts.videos, counts.media) == (5, 200, 500)
    stored = {
        "job_events": JobEvent,
        "agent_messages": AgentMessage,
        "llm_calls": LlmCall,
        "chat_messages": UserChatMessage,
    }
    assert {name: _count(db, model) for name, model in stored.items()} == {
        name: getattr(counts, name) for name in stored
    }
    assert (_count(db, Novela), _count(db, NovelaVideo), _count(db, MediaItem)) == (5, 200, 500)
    assert min(counts.job_events, counts.agent_messages, counts.llm_calls, counts.chat_messages) > 0
    assert counts.files == 0  # no media folder given


def test_takes_fit_their_novela_and_follow_the_state_machine(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    novelas = {n.id: n for n in _all(db, Novela)}
    takes = _all(db, NovelaVideo)
    per_scene: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for t in takes:
        novela = novelas[t.novela_id]
        assert 1 <= t.episode_number <= novela.target_episodes <= 500
        assert 1 <= t.scene_number <= novela.scenes_per_episode
        per_scene[(t.novela_id, t.episode_number, t.scene_number)].append(t.take)
    assert all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in per_scene.values())
    chosen = [(t.novela_id, t.episode_number, t.scene_number) for t in takes if t.selected]
    assert len(chosen) == len(set(chosen)) and all(t.status == "completed" for t in takes if t.selected)
    assert len({(t.novela_id, t.episode_number, t.scene_number, t.take) for t in takes}) == len(takes)
    assert {t.status for t in takes} >= {"planned", "completed", "failed", "running"}

    events: dict[int, list[JobEvent]] = defaultdict(list)
    for e in _all(db, JobEvent):
        events[e.video_id].append(e)
    for t in takes:
        path = events[t.id]
        assert (path[-1].to_status if path else "planned") == t.status
        assert all(JobStatus(e.to_status) in TRANSITIONS[JobStatus(e.from_status)] for e in path)
        assert (t.s3_key is not None) == (t.status == "completed")
        assert (t.failure_message is not None) == (t.status == "failed")


def test_money_is_exact_decimal_and_totals_match_the_takes(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    takes = _all(db, NovelaVideo)
    for novela in _all(db, Novela):
        mine = [t for t in takes if t.novela_id == novela.id]
        spent = sum((t.actual_cost for t in mine if t.actual_cost is not None), Decimal(0))
        reserved = sum((t.reserved_cost for t in mine), Decimal(0))
        assert isinstance(novela.total_cost, Decimal)
        assert (novela.total_cost, novela.reserved_cost) == (spent, reserved)
        assert novela.budget is None or novela.budget >= spent + reserved
        assert all((t.reserved_cost > 0) == (JobStatus(t.status) in HOLDS_MONEY) for t in mine if t.estimated_cost)
    assert all(isinstance(c.cost_usd, Decimal) for c in _all(db, LlmCall))


def test_media_points_at_its_take_with_unique_keys(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    takes = {t.id: t for t in _all(db, NovelaVideo)}
    items = _all(db, MediaItem)
    assert {i.media_type for i in items} == {"video", "image", "audio"}
    assert len({i.s3_key for i in items}) == len(items)
    assert any(i.thumbnail_key for i in items) and any(not i.thumbnail_key for i in items)
    for item in (i for i in items if i.video_id is not None):
        take = takes[item.video_id]
        assert take.status == "completed" and item.s3_key == take.s3_key
        assert (item.novela_id, item.episode_number, item.scene_number) == (
            take.novela_id,
            take.episode_number,
            take.scene_number,
        )
    finished = sum(t.status == "completed" for t in takes.values())
    assert sum(i.video_id is not None for i in items) == min(finished, SMALL["media"])


def test_messages_answer_their_requests(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    messages = {m.id: m for m in _all(db, AgentMessage)}
    answers = [m for m in messages.values() if m.response_to is not None]
    assert len(answers) * 2 == len(messages)
    for answer in answers:
        request = messages[answer.response_to]
        assert request.message_type == "request" and answer.message_type in {"response", "error"}
        assert (request.conversation_id, request.to_agent) == (answer.conversation_id, answer.from_agent)


def _snapshot(db: Database) -> tuple[list, ...]:
    with db.session() as session:
        return (
            list(session.execute(select(Novela.title, Novela.status, Novela.total_cost, Novela.budget))),
            list(
                session.execute(
                    select(NovelaVideo.novela_id, NovelaVideo.episode_number, NovelaVideo.take, NovelaVideo.status)
                    .add_columns(NovelaVideo.script_prompt, NovelaVideo.actual_cost, NovelaVideo.client_request_id)
                    .order_by(NovelaVideo.id)
                )
            ),
            list(session.execute(select(MediaItem.s3_key, MediaItem.file_size_bytes).order_by(MediaItem.id))),
            list(session.execute(select(JobEvent.video_id, JobEvent.to_status).order_by(JobEvent.id))),
        )


def test_the_same_seed_gives_the_same_rows_on_any_backend(db: Database, tmp_path: Path) -> None:
    generate(db, **SMALL, seed=7)
    again, other = Database(f"sqlite:///{tmp_path / 'again.db'}"), Database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        for target, seed in ((again, 7), (other, 8)):
            migrate.upgrade(target)
            generate(target, **SMALL, seed=seed)
        assert _snapshot(again) == _snapshot(db)
        assert _snapshot(other) != _snapshot(db)
    finally:
        again.dispose()
        other.dispose()


def test_the_app_keeps_working_on_generated_data(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    novela = service.create(
        db, NovelaInput(title="After the bench", episodes=1, scenes_per_episode=2, default_model_id="local-preview")
    )
    assert novela.id == SMALL["novelas"] + 1  # ids continue after the generated ones (PostgreSQL sequences too)
    assert biggest_novela_id(db) == 1
    live = live_novela_id(db)
    with db.session() as session:
        statuses = session.scalars(
            select(NovelaVideo.status).where(NovelaVideo.novela_id == live, NovelaVideo.episode_number == 1)
        )
        assert any(JobStatus(s) in ACTIVE for s in statuses)


def test_media_folder_gets_a_playable_file_for_every_key(sqlite_db: Database, tmp_path: Path) -> None:
    counts = generate(sqlite_db, novelas=2, videos=40, media=60, seed=3, media_dir=tmp_path / "media")
    storage = LocalStorage(tmp_path / "media")
    items = _all(sqlite_db, MediaItem)
    keys = {k for i in items for k in (i.s3_key, i.thumbnail_key) if k}
    assert counts.files >= len(keys) and all(storage.exists(k) for k in keys)
    video = next(i for i in items if i.media_type == "video")
    assert probe(Path(storage.playback_source(video.s3_key))).duration_s > 0
    thumb = next(i.thumbnail_key for i in items if i.thumbnail_key)
    with Image.open(storage.playback_source(thumb)) as image:
        assert image.format == "JPEG"


def test_tiny_and_impossible_sizes(sqlite_db: Database) -> None:
    counts = generate(sqlite_db, novelas=1, videos=3, media=1, seed=1)
    assert (counts.novelas, counts.videos, counts.media) == (1, 3, 1)
    with pytest.raises(ValueError, match="at least one novela"):
        generate(sqlite_db, novelas=0, videos=10, media=10)
