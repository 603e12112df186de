"""The board benchmark's row changes: real state machine moves, each with a marker only it can make appear."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from bench.board_bench import MIN_ACTIVE, Marker, apply_change, plan_change, shown_takes
from bench.data_gen import generate, live_novela_id
from vsl.db.engine import Database
from vsl.db.models import JobEvent, Novela, NovelaVideo
from vsl.jobs.states import TRANSITIONS, JobStatus

SMALL = {"novelas": 5, "videos": 200, "media": 500}


def _take_in(db: Database, status: str) -> NovelaVideo:
    """A take of the live episode put in `status` (the data set's mix of statuses varies with the seed)."""
    with db.write() as session:
        novela_id = live_novela_id(db)
        take = session.scalars(
            select(NovelaVideo).where(NovelaVideo.novela_id == novela_id, NovelaVideo.episode_number == 1)
        ).first()
        take.status = status
        take.progress = 10
        return take


def _events(db: Database, take_id: int) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(JobEvent).where(JobEvent.video_id == take_id)) or 0


def test_every_planned_change_is_a_legal_move_with_a_new_marker(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    rng = random.Random(1)
    for take in shown_takes(db, live_novela_id(db)).values():
        for active in (MIN_ACTIVE, MIN_ACTIVE + 5):
            planned = plan_change(rng, take, active, "bench-change-001")
            if planned is None:
                continue
            target, marker = planned
            assert target == take.status or JobStatus(target) in TRANSITIONS[JobStatus(take.status)]
            assert marker.kind != "fail" or active > MIN_ACTIVE  # never stops the live grid's refresh
            if marker.kind == "progress":
                assert marker.text != f"{take.progress}% · "


def test_a_progress_change_starts_a_queued_take(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    take = _take_in(db, "queued")
    events = _events(db, take.id)
    apply_change(db, take.id, "running", Marker("progress", "42% · "))
    with db.session() as session:
        row = session.get(NovelaVideo, take.id)
        assert (row.status, row.progress, row.poll_attempts) == ("running", 42, take.poll_attempts + 1)
    assert _events(db, take.id) == events + 1  # the `running` event, as the poller writes it


def test_a_failure_carries_its_token_and_releases_the_reservation(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    take = _take_in(db, "running")
    with db.session() as session:
        reserved_before = session.get(Novela, take.novela_id).reserved_cost
    apply_change(db, take.id, "failed", Marker("fail", "bench-change-007", contains=True))
    with db.session() as session:
        row = session.get(NovelaVideo, take.id)
        assert row.status == "failed" and "bench-change-007" in row.failure_message
        assert row.reserved_cost == 0
        assert session.get(Novela, take.novela_id).reserved_cost == max(0, reserved_before - take.reserved_cost)


def test_a_move_is_recorded_and_returns_the_commit_time(db: Database) -> None:
    generate(db, **SMALL, seed=3)
    take = _take_in(db, "reserved")
    committed_ms = apply_change(db, take.id, "submitting", Marker("move", "Submitting"))
    with db.session() as session:
        assert session.get(NovelaVideo, take.id).status == "submitting"
    assert committed_ms > 1.7e12  # epoch milliseconds, as the page's clock gives them
