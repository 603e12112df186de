"""The whole pipeline on a fresh machine: quote, confirm, the real Worker, the local renderer, local storage.

Also home of the helpers the other pipeline tests share: driving a Worker until its jobs settle (always under a
deadline), reading takes, events and media rows back, a real small MP4 for the provider fakes to serve, and the
`local_stack` fixture (imported elsewhere as `local_stack_fixture`, so the name the tests use is not shadowed).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.jobs.conftest import job_settings, make_novela
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import MediaItem, Novela, NovelaVideo
from vsl.jobs import actions
from vsl.jobs.states import TERMINAL
from vsl.jobs.worker import Worker, WorkerConfig
from vsl.media.ffmpeg import probe
from vsl.providers.animatic import AnimaticSpec, render_animatic
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage

FAST = WorkerConfig(concurrency=4, poll_min_s=0.02, poll_max_s=0.1, lease_s=30, idle_s=0.02)
DEADLINE_S = 20.0
JPEG_MAGIC = b"\xff\xd8\xff"
SETTLED = TERMINAL | {"needs_attention"}

Check = Callable[[list[NovelaVideo]], bool]


# ── helpers shared by the pipeline tests ─────────────────────────────────────────────────────────────────
def takes(db: Database, ids: list[int]) -> list[NovelaVideo]:
    with db.session() as session:
        return [video_repo.get(session, i) for i in ids]  # type: ignore[misc]


def take(db: Database, video_id: int) -> NovelaVideo:
    return takes(db, [video_id])[0]


def novela(db: Database, novela_id: int) -> Novela:
    with db.session() as session:
        return novela_repo.get(session, novela_id)  # type: ignore[return-value]


def settled(rows: list[NovelaVideo]) -> bool:
    return all(r.status in SETTLED for r in rows)


def in_status(*statuses: str) -> Check:
    return lambda rows: all(r.status in statuses for r in rows)


def run_until(
    worker: Worker | None, db: Database, ids: list[int], done: Check = settled, timeout_s: float = DEADLINE_S
) -> list[NovelaVideo]:
    """Step the worker (or only watch, without one) until `done(takes)` holds; fail with the statuses seen when the
    deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = takes(db, ids)
        if done(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs not done within {timeout_s:g} s: {[(r.id, r.status) for r in rows]}")
        if worker is None or not worker.step():
            time.sleep(0.02)


def confirm_all(db: Database, registry: ProviderRegistry, novela_id: int) -> list[int]:
    """What the board's "generate the episode" button does: quote every planned take, then confirm."""
    quote = actions.quote(db, registry, actions.targets_rest_of_episode(db, novela_id, 1))
    return actions.confirm(db, registry, quote)


def status_path(db: Database, video_id: int) -> list[str]:
    """The statuses a take went through, from its job_events (notes without a status change left out)."""
    with db.session() as session:
        events = video_repo.events(session, video_id)
    return [events[0].from_status or "", *(e.to_status for e in events if e.from_status != e.to_status)]


def event_messages(db: Database, video_id: int) -> list[str]:
    with db.session() as session:
        return [e.message for e in video_repo.events(session, video_id)]


def media_rows(db: Database, novela_id: int) -> list[MediaItem]:
    with db.session() as session:
        stmt = select(MediaItem).where(MediaItem.novela_id == novela_id).order_by(MediaItem.id)
        return list(session.scalars(stmt))


@cache
def fake_output_mp4() -> bytes:
    """A real 2 s H.264 clip (rendered once per test session), for the provider fakes to serve as output."""
    spec = AnimaticSpec(title="Fake output", episode=1, scene=1, prompt="Rain.", duration_s=2, resolution="480p")
    with tempfile.TemporaryDirectory(prefix="vsl-fake-output-") as tmp:
        return render_animatic(spec, Path(tmp) / "clip.mp4").read_bytes()


# ── the local pipeline ───────────────────────────────────────────────────────────────────────────────────
@dataclass
class LocalStack:
    registry: ProviderRegistry
    storage: LocalStorage
    worker: Worker


@pytest.fixture(name="local_stack")
def local_stack_fixture(db: Database, tmp_path: Path) -> Iterator[LocalStack]:
    """The embedded setup: no provider configured, local storage, a Worker polling fast."""
    registry = ProviderRegistry(job_settings(tmp_path))
    storage = LocalStorage(tmp_path / "media")
    worker = Worker(db, registry, storage, FAST)
    yield LocalStack(registry, storage, worker)
    worker.close()
    registry.close()


def _check_video(storage: LocalStorage, key: str, tmp_path: Path, seconds: int) -> tuple[int, int]:
    """Assert the stored file is browser-playable H.264 of the right length; return its frame size."""
    media = probe(storage.download_to(key, tmp_path / "check.mp4"))
    assert media.codec == "h264" and media.pix_fmt == "yuv420p"
    assert abs(media.duration_s - seconds) <= Decimal("0.1")
    return media.width, media.height


def test_local_preview_takes_render_store_and_cost_nothing(
    db: Database, local_stack: LocalStack, tmp_path: Path
) -> None:
    storage = local_stack.storage
    created = make_novela(db, duration=2, resolution="480p", scenes=2, budget=Decimal("0"))
    ids = confirm_all(db, local_stack.registry, created.id)

    rows = run_until(local_stack.worker, db, ids)

    assert [(r.status, r.progress, r.provider) for r in rows] == [("completed", 100, "local")] * 2
    for row in rows:
        assert _check_video(storage, row.s3_key, tmp_path, 2) == (854, 480)
        assert storage.get_bytes(row.thumbnail_key).startswith(JPEG_MAGIC)
        assert row.actual_cost == 0 and row.reserved_cost == 0
        path = status_path(db, row.id)
        assert path[:4] == ["planned", "reserved", "submitting", "queued"]
        assert path[-2:] == ["storing", "completed"] and set(path[4:-2]) <= {"running"}
    items = media_rows(db, created.id)
    assert sorted(i.video_id for i in items) == sorted(ids)
    assert {(i.s3_key, i.source, i.media_type) for i in items} == {(r.s3_key, "generated", "video") for r in rows}
    stored = novela(db, created.id)
    assert (stored.total_cost, stored.reserved_cost, stored.created_videos) == (0, 0, 2)


def test_paid_model_without_a_provider_renders_with_the_free_local_stand_in(
    db: Database, local_stack: LocalStack, tmp_path: Path
) -> None:
    registry = local_stack.registry
    created = make_novela(db, model="veo-3.1-fast", duration=4, resolution="720p", scenes=1)
    assert registry.is_stand_in("veo-3.1-fast")
    quote = actions.quote(db, registry, actions.targets_rest_of_episode(db, created.id, 1))
    assert quote.total == 0 and [line.provider for line in quote.lines] == ["local"]

    (row,) = run_until(local_stack.worker, db, actions.confirm(db, registry, quote))

    assert (row.status, row.provider, row.actual_cost) == ("completed", "local", 0)
    assert _check_video(local_stack.storage, row.s3_key, tmp_path, 4) == (1280, 720)
    assert novela(db, created.id).total_cost == 0
