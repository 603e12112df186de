"""`python -m vsl worker` as real processes: killed with SIGKILL mid-flight and restarted, or two at once.

The fake VSL Lambda and the moto S3 server run in this test process; the workers reach them over HTTP and share the
test's database (a SQLite file, or a PostgreSQL database). Whatever happens to the processes: every take finishes,
the fake sees one generate per take, the media library has one row per take, and the money is settled once.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.http_server import Plan, Reply
from tests.fakes.lambda_server import FakeLambdaServer
from tests.fakes.s3_server import S3Bucket
from tests.jobs.chaos import Workers, worker_env
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_lambda import CHARGE, GENERATE, put_output_in
from tests.jobs.test_pipeline_local import (
    confirm_all,
    fake_output_mp4,
    media_rows,
    novela,
    status_path,
    takes,
)
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.jobs.states import TERMINAL
from vsl.providers.registry import ProviderRegistry

STOP_BOUND_S = 10.0  # a worker asked to stop exits within this, whatever its calls are doing


@pytest.fixture
def lambda_fake(fresh_bucket: S3Bucket) -> Iterator[FakeLambdaServer]:
    """Jobs finishing 0.8 to 2.3 s after they are created, so several are in flight at any moment."""

    def slow(body: Any) -> Plan:
        return Plan(polls=None, after_s=0.8 + 0.3 * (body["metadata"]["videoId"] % 6), cost=str(CHARGE))

    with FakeLambdaServer(plan=slow) as fake:
        fake.on_complete = put_output_in(fresh_bucket, fake, fake_output_mp4())
        yield fake


@pytest.fixture
def workers(db: Database, tmp_path: Path, lambda_fake: FakeLambdaServer, fresh_bucket: S3Bucket) -> Iterator[Workers]:
    # os.environ (inside worker_env) holds the fake AWS credentials `fresh_bucket` set for this test
    bucket = {"S3_BUCKET": fresh_bucket.name, "S3_ENDPOINT_URL": fresh_bucket.endpoint_url}
    env = worker_env(db, tmp_path / "media", lambda_fake.base_url, **bucket)
    running = Workers(env, tmp_path)
    yield running
    running.stop_all()


def _confirm_paid_takes(db: Database, fake: FakeLambdaServer, tmp_path: Path, scenes: int) -> tuple[int, list[int]]:
    novela_id = make_novela(db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=scenes).id
    registry = ProviderRegistry(job_settings(tmp_path, LAMBDA_API_URL=fake.base_url))
    try:
        return novela_id, confirm_all(db, registry, novela_id)
    finally:
        registry.close()


def _count(rows: list[NovelaVideo], statuses: set[str]) -> int:
    return sum(r.status in statuses for r in rows)


def _assert_done_once(db: Database, fake: FakeLambdaServer, novela_id: int, ids: list[int]) -> None:
    rows = takes(db, ids)
    assert [r.status for r in rows] == ["completed"] * len(ids)
    sent = [r.header("Idempotency-Key") for r in fake.requests_to("POST", GENERATE)]
    assert sorted(sent) == sorted(r.client_request_id for r in rows)  # one generate per take
    assert len(fake.jobs) == len(ids) and {j.submissions for j in fake.jobs} == {1}
    assert sorted(m.video_id for m in media_rows(db, novela_id)) == sorted(ids)
    assert all(status_path(db, i).count("completed") == 1 and "unknown" not in status_path(db, i) for i in ids)
    stored = novela(db, novela_id)
    assert all(r.actual_cost == CHARGE for r in rows)
    assert (stored.total_cost, stored.reserved_cost, stored.created_videos) == (
        len(ids) * CHARGE,
        0,
        len(ids),
    )


def test_a_worker_killed_mid_flight_loses_nothing_and_charges_once(
    db: Database, tmp_path: Path, lambda_fake: FakeLambdaServer, workers: Workers
) -> None:
    novela_id, ids = _confirm_paid_takes(db, lambda_fake, tmp_path, scenes=6)
    first = workers.start()

    def submitted_and_one_done() -> bool:
        rows = takes(db, ids)
        return _count(rows, {"reserved", "submitting"}) == 0 and _count(rows, {"completed"}) >= 1

    workers.wait_for("all submitted and one take completed", submitted_and_one_done)
    workers.stop(first, signal.SIGKILL)
    in_flight = _count(takes(db, ids), {"queued", "running", "storing"})
    assert first.returncode == -signal.SIGKILL and in_flight >= 2, "the kill must land while jobs are in flight"

    workers.start()
    workers.wait_for("every take to finish", lambda: _count(takes(db, ids), set(TERMINAL)) == len(ids))

    _assert_done_once(db, lambda_fake, novela_id, ids)
    assert workers.errors() == []


def test_two_workers_at_once_never_submit_a_take_twice(
    db: Database, tmp_path: Path, lambda_fake: FakeLambdaServer, workers: Workers
) -> None:
    novela_id, ids = _confirm_paid_takes(db, lambda_fake, tmp_path, scenes=8)
    lambda_fake.plan = Plan(polls=2, cost=str(CHARGE))  # quick jobs: what matters here is who submits them

    workers.start(concurrency=1)  # small claims, so that both workers take a share of the queue
    workers.start(concurrency=1)
    workers.wait_for("every take to finish", lambda: _count(takes(db, ids), set(TERMINAL)) == len(ids))

    _assert_done_once(db, lambda_fake, novela_id, ids)
    assert workers.errors() == []


def test_sigterm_ends_a_worker_stuck_in_a_hanging_submit_and_the_take_resumes(
    db: Database, tmp_path: Path, lambda_fake: FakeLambdaServer, workers: Workers
) -> None:
    novela_id, ids = _confirm_paid_takes(db, lambda_fake, tmp_path, scenes=1)
    lambda_fake.force(Reply.delayed(60), path_prefix=GENERATE)  # the job is created; its answer never comes in time
    first = workers.start()
    workers.wait_for("the submit to hang", lambda: len(lambda_fake.requests_to("POST", GENERATE)) == 1)
    time.sleep(0.5)

    asked = time.monotonic()
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=STOP_BOUND_S + 5)
    took = time.monotonic() - asked

    assert first.returncode == 0 and took <= STOP_BOUND_S, f"stopped after {took:.1f} s:\n{workers.log_tail()}"
    assert takes(db, ids)[0].status == "submitting"  # left as it was, its lease released
    workers.start()
    workers.wait_for("the take to finish", lambda: _count(takes(db, ids), set(TERMINAL)) == len(ids))
    (row,) = takes(db, ids)
    (job,) = lambda_fake.jobs
    assert (row.status, row.job_id, job.submissions) == ("completed", job.id, 2)  # resubmitted with the same id
    assert [m.video_id for m in media_rows(db, novela_id)] == ids
    stored = novela(db, novela_id)
    assert (stored.total_cost, stored.reserved_cost) == (CHARGE, 0)
