"""The pipeline through the VSL Lambda API: the real Worker and LambdaApiProvider against FakeLambdaServer over
HTTP, outputs referenced in a real (moto) S3 bucket or downloaded into local storage.

The `lambda_stack` fixture is shared with the cancel tests (imported there as `lambda_stack_fixture`): it wires a
fake, a provider with test-sized timeouts, a registry, storage and a Worker on a clock a test can move forward.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.http_server import FakeJob, Plan, Reply
from tests.fakes.lambda_server import FakeLambdaServer, content_policy_plan
from tests.fakes.s3_server import S3Bucket
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_local import (
    FAST,
    JPEG_MAGIC,
    confirm_all,
    event_messages,
    fake_output_mp4,
    in_status,
    media_rows,
    novela,
    run_until,
    settled,
    status_path,
    take,
)
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo, utcnow
from vsl.jobs import actions
from vsl.jobs.worker import MAX_RECOVERY_TRIES, Worker
from vsl.providers.lambda_api import LambdaApiProvider
from vsl.providers.registry import ProviderRegistry
from vsl.storage.base import Storage
from vsl.storage.local import LocalStorage
from vsl.storage.s3 import S3Storage

CHARGE = Decimal("1.10")  # what the fake Lambda reports as the actual cost; the estimate is 1.20
ESTIMATE = Decimal("1.20")  # veo-3.1-fast, 8 s with audio at $0.15/s
PAID = Plan(polls=2, cost=str(CHARGE))
GENERATE, STATUS = "/homolog/generate", "/homolog/status/"


class Clock:
    """Real time plus an offset a test can push forward (to reach a model's max runtime at once)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class BucketLambda(FakeLambdaServer):
    """Reports output keys under `key_prefix`, as a backend set to write below the app's S3_PREFIX does."""

    def __init__(self, key_prefix: str = "", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.key_prefix = key_prefix

    def s3_key(self, job: FakeJob) -> str:  # type: ignore[override]
        return self.key_prefix + FakeLambdaServer.s3_key(job)


@dataclass
class LambdaStack:
    db: Database
    fake: BucketLambda
    registry: ProviderRegistry
    storage: Storage
    worker: Worker
    clock: Clock

    def paid_novela(self, scenes: int = 1, budget: str | None = None) -> int:
        created = make_novela(
            self.db,
            model="veo-3.1-fast",
            duration=8,
            resolution="720p",
            scenes=scenes,
            budget=Decimal(budget) if budget else None,
        )
        return created.id

    def confirm(self, novela_id: int) -> list[int]:
        return confirm_all(self.db, self.registry, novela_id)

    def run(self, ids: list[int], done: Callable[[list[NovelaVideo]], bool] | None = None) -> list[NovelaVideo]:
        return run_until(self.worker, self.db, ids, done or settled)

    def job_of(self, video_id: int) -> FakeJob:
        return self.fake.job(take(self.db, video_id).job_id or "")


StartStack = Callable[..., LambdaStack]


def put_output_in(bucket: S3Bucket, fake: FakeLambdaServer, body: bytes) -> Callable[[FakeJob], None]:
    """The fake's on_complete hook: the Lambda writes the output into our bucket before reporting success."""

    def hook(job: FakeJob) -> None:
        bucket.client.put_object(Bucket=bucket.name, Key=fake.s3_key(job), Body=body)

    return hook


@pytest.fixture(name="lambda_stack")
def lambda_stack_fixture(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StartStack]:
    """`start(db, plan, s3=True, prefix="", read_timeout=1.0)` builds the stack; all of it stops after the test."""
    with ExitStack() as stack:

        def start(
            db: Database, plan: Plan = PAID, *, s3: bool = True, prefix: str = "", read_timeout: float = 1.0
        ) -> LambdaStack:
            fake = stack.enter_context(BucketLambda(f"{prefix}/" if prefix else "", plan=plan))
            storage: Storage = LocalStorage(tmp_path / "media")
            if s3:
                bucket: S3Bucket = request.getfixturevalue("fresh_bucket")
                storage = S3Storage(bucket.name, prefix, endpoint_url=bucket.endpoint_url)
                fake.on_complete = put_output_in(bucket, fake, fake_output_mp4())
            provider = LambdaApiProvider(fake.base_url, read_timeout=read_timeout, backoff_s=0.02, max_wait_s=2)
            registry = ProviderRegistry(job_settings(tmp_path, LAMBDA_API_URL=fake.base_url), {"lambda": provider})
            stack.callback(registry.close)
            clock = Clock()
            worker = Worker(db, registry, storage, FAST, clock)
            stack.callback(worker.close)
            return LambdaStack(db, fake, registry, storage, worker, clock)

        yield start


def bucket_keys(storage: S3Storage) -> set[str]:
    items, _ = storage.list_page()
    return {i.key for i in items}


# ── success ──────────────────────────────────────────────────────────────────────────────────────────────
def test_completed_job_references_its_s3_output_and_settles_the_lambda_cost(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db)
    novela_id = s.paid_novela(scenes=2, budget="10")
    ids = s.confirm(novela_id)
    assert novela(s.db, novela_id).reserved_cost == 2 * ESTIMATE

    rows = s.run(ids)

    assert [r.status for r in rows] == ["completed", "completed"]
    jobs = [s.job_of(r.id) for r in rows]
    output_keys = {s.fake.s3_key(j) for j in jobs}
    assert {r.s3_key for r in rows} == output_keys  # referenced where the Lambda put it, not copied
    assert bucket_keys(s.storage) == output_keys | {r.thumbnail_key for r in rows}
    assert all(s.storage.get_bytes(r.thumbnail_key).startswith(JPEG_MAGIC) for r in rows)
    assert all(r.actual_cost == CHARGE and r.reserved_cost == 0 for r in rows)
    assert all(r.duration_seconds == 8 and r.progress == 100 for r in rows)
    sent = s.fake.requests_to("POST", GENERATE)
    assert sorted(r.header("Idempotency-Key") for r in sent) == sorted(r.client_request_id for r in rows)
    assert {(m.video_id, m.s3_key) for m in media_rows(s.db, novela_id)} == {(r.id, r.s3_key) for r in rows}
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost, stored.created_videos) == (2 * CHARGE, 0, 2)


def test_output_under_the_s3_prefix_is_recorded_by_its_storage_key(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, prefix="studio")
    novela_id = s.paid_novela()

    (row,) = s.run(s.confirm(novela_id))

    bucket_key = s.fake.s3_key(s.job_of(row.id))
    assert bucket_key.startswith("studio/videos/")
    assert row.status == "completed" and row.s3_key == bucket_key.removeprefix("studio/")
    assert s.storage.exists(row.s3_key) and s.storage.exists(row.thumbnail_key)
    assert [m.s3_key for m in media_rows(s.db, novela_id)] == [row.s3_key]


def test_duplicate_completions_store_and_charge_once(db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(db)
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    (row,) = s.run(ids, in_status("running"))
    s.registry.get("lambda").status(row.job_id)  # finished at the fake; from now on every poll says "completed"
    racers = [threading.Thread(target=s.worker.advance, args=(row.id,)) for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=20)
    s.worker.advance(row.id)  # and once more, after it was stored

    assert s.job_of(row.id).status_polls >= 3  # racers that read the take while it was running saw "completed"
    assert take(s.db, row.id).status == "completed"
    assert len(media_rows(s.db, novela_id)) == 1
    assert status_path(s.db, row.id).count("completed") == 1
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost, stored.created_videos) == (CHARGE, 0, 1)


# ── the provider misbehaves ──────────────────────────────────────────────────────────────────────────────
def test_rate_limited_submit_waits_as_long_as_retry_after_says(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, s3=False)
    limited = Reply(429, {"error": "RateLimited", "message": "Slow down."}, {"Retry-After": "0.3"})
    s.fake.force(*[limited] * 5, path_prefix=GENERATE)  # more than the client retries on its own: the worker waits
    ids = s.confirm(s.paid_novela())

    (row,) = s.run(ids)

    sent = [r.at for r in s.fake.requests_to("POST", GENERATE)]
    assert len(sent) == 6 and all(b - a >= 0.29 for a, b in itertools.pairwise(sent))
    assert row.status == "completed" and len(s.fake.jobs) == 1
    assert "will retry" in " ".join(event_messages(s.db, row.id))


def test_status_5xx_bursts_and_garbled_answers_are_retried(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, s3=False)
    s.fake.force(*[Reply(503, {"message": "Service Unavailable"})] * 6, path_prefix=STATUS)
    s.fake.force(Reply(200, "<html>502 Bad Gateway</html>"), path_prefix=STATUS)
    ids = s.confirm(s.paid_novela())

    (row,) = s.run(ids)

    assert (row.status, row.actual_cost) == ("completed", CHARGE)
    notes = " ".join(event_messages(s.db, row.id))
    assert "unavailable" in notes and "could not be understood" in notes
    assert len(s.fake.requests_to("POST", GENERATE)) == 1


def test_submit_timeout_is_resubmitted_with_the_same_request_id_and_charged_once(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, read_timeout=0.3)
    s.fake.force(Reply.delayed(1.0), path_prefix=GENERATE)  # the job is created, the answer comes too late
    novela_id = s.paid_novela(budget="5")
    ids = s.confirm(novela_id)

    (row,) = s.run(ids)

    sent = s.fake.requests_to("POST", GENERATE)
    assert [r.header("Idempotency-Key") for r in sent] == [row.client_request_id] * 2
    assert len(s.fake.jobs) == 1 and s.fake.jobs[0].submissions == 2
    assert (row.status, row.job_id) == ("completed", s.fake.jobs[0].id)
    assert status_path(s.db, row.id)[2:5] == ["submitting", "unknown", "queued"]
    notes = " ".join(event_messages(s.db, row.id))
    assert "resubmitting with the same request id (try 1 of 3)" in notes
    assert "resubmitted with the same request id" in notes  # the take says how its job id was learned
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost) == (CHARGE, 0)


def test_a_submit_never_answered_asks_a_person_after_a_bounded_number_of_resubmissions(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, read_timeout=0.3)
    s.fake.force(*[Reply(502, {"message": "Internal server error"})] * (1 + MAX_RECOVERY_TRIES), path_prefix=GENERATE)
    novela_id = s.paid_novela(budget="5")
    ids = s.confirm(novela_id)

    (row,) = s.run(ids)
    for _ in range(3):
        s.worker.step()

    assert row.status == "needs_attention" and take(s.db, row.id).status == "needs_attention"
    assert len(s.fake.requests_to("POST", GENERATE)) == 1 + MAX_RECOVERY_TRIES
    assert "resubmitted 3 times with the same request id" in event_messages(s.db, row.id)[-1]
    assert novela(s.db, novela_id).reserved_cost == ESTIMATE  # the money stays held while nobody knows

    assert "same request id" in actions.retry_submission(s.db, row.id)
    (row,) = s.run(ids)  # the user's resubmission is answered
    assert (row.status, len(s.fake.jobs)) == ("completed", 1)
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost) == (CHARGE, 0)


def test_a_resubmission_past_the_idempotency_window_is_not_made(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, s3=False, read_timeout=0.3)
    s.fake.force(Reply.delayed(1.0), path_prefix=GENERATE)
    ids = s.confirm(s.paid_novela())
    s.run(ids, in_status("unknown"))

    s.clock.advance(23 * 3600 + 1)  # within the margin before the 24-hour window closes
    (row,) = s.run(ids)

    assert row.status == "needs_attention"
    assert "24-hour window" in event_messages(s.db, row.id)[-1]
    assert len(s.fake.requests_to("POST", GENERATE)) == 1


def test_content_policy_failure_keeps_the_providers_words_and_releases_the_money(
    sqlite_db: Database,
    lambda_stack: StartStack,
) -> None:
    s = lambda_stack(sqlite_db, content_policy_plan(polls=2), s3=False)
    novela_id = s.paid_novela()

    (row,) = s.run(s.confirm(novela_id))

    assert (row.status, row.failure_stage, row.failure_provider) == ("failed", "generate", "lambda")
    assert row.failure_code == "content_policy"
    assert row.failure_message == "The prompt was flagged by the content policy."
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost, row.reserved_cost) == (0, 0, 0)
    assert media_rows(s.db, novela_id) == []


def test_unknown_status_words_do_not_break_the_job(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, Plan(polls=4, cost=str(CHARGE), running_status="warming_up"), s3=False)

    (row,) = s.run(s.confirm(s.paid_novela()))

    assert (row.status, row.actual_cost) == ("completed", CHARGE)
    assert s.job_of(row.id).status_polls == 4


def test_job_stuck_past_the_models_max_runtime_fails_and_is_canceled(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, Plan(polls=None), s3=False)  # never finishes
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    s.run(ids, in_status("running"))

    s.clock.advance(1800 + 1)  # veo-3.1-fast may run 30 minutes
    (row,) = s.run(ids)

    assert (row.status, row.failure_stage, row.failure_code) == ("failed", "status", "timeout")
    assert "30 minutes" in row.failure_message and "stuck" in row.failure_message
    assert s.fake.job(row.job_id).state == "canceled"
    assert novela(s.db, novela_id).reserved_cost == 0


def test_expired_output_url_fails_at_download_but_the_charge_is_kept(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, s3=False)  # local storage: the output must be downloaded from its URL
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    s.worker.step()  # submitted
    s.fake.expire_output(take(s.db, ids[0]).job_id)

    (row,) = s.run(ids)

    assert (row.status, row.failure_stage, row.failure_provider) == ("failed", "download", "lambda")
    assert "expired" in row.failure_message and "403" in row.failure_message
    assert len(s.fake.requests_to("GET", "/files/")) == 3  # retried before giving up
    stored = novela(s.db, novela_id)
    assert (row.actual_cost, stored.total_cost, stored.reserved_cost) == (CHARGE, CHARGE, 0)


def test_a_finished_take_that_goes_silent_past_its_deadline_counts_as_charged(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, Plan(polls=1, cost=str(CHARGE)), s3=False)
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    s.worker.step()  # submitted
    s.fake.expire_output(take(s.db, ids[0]).job_id)
    s.run(ids, in_status("storing"))  # finished at the provider, but its output could not be fetched yet

    s.fake.force(*[Reply(503, {"message": "Service Unavailable"})] * 4, path_prefix=STATUS)
    s.clock.advance(1800 + 1)
    (row,) = s.run(ids)

    assert (row.status, row.failure_stage) == ("failed", "status")
    assert "before the deadline" in row.failure_message
    stored = novela(s.db, novela_id)
    assert (row.actual_cost, stored.total_cost, stored.reserved_cost) == (ESTIMATE, ESTIMATE, 0)
