"""Batched polling (vsl/jobs/poller.py): the real Worker and providers against the HTTP fakes, real databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update

from tests.fakes.http_server import Plan, Reply
from tests.jobs import test_pipeline_replicate
from tests.jobs.test_pipeline_lambda import STATUS, LambdaStack, StartStack, lambda_stack_fixture  # noqa: F401
from tests.jobs.test_pipeline_local import confirm_all, in_status, make_novela, run_until, status_path, take
from tests.jobs.test_pipeline_replicate import Stack
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo, utcnow
from vsl.jobs.poller import Poller, PollerConfig, RateLimiter, Schedule

replicate_stack = test_pipeline_replicate.replicate_stack  # the fixture, shared
NEVER = Plan(polls=None, cost="1.10")  # stays at the provider until canceled


def in_flight(s: LambdaStack, count: int) -> list[int]:
    """`count` paid takes submitted and waiting at the provider."""
    ids = s.confirm(s.paid_novela(scenes=count, budget="100"))
    s.run(ids, in_status("queued", "running"))
    return ids


def make_due(db: Database, ids: list[int]) -> None:
    with db.write() as session:
        session.execute(update(NovelaVideo).where(NovelaVideo.id.in_(ids)).values(next_poll_at=utcnow()))


def test_a_round_asks_each_job_once_and_writes_the_batch_in_one_go(db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(db, NEVER, s3=False)
    ids = in_flight(s, 30)
    make_due(db, ids)
    before = len(s.fake.requests_to("GET", STATUS))
    attempts = {i: take(db, i).poll_attempts for i in ids}

    started = utcnow()
    assert s.worker.step() == 30

    assert len(s.fake.requests_to("GET", STATUS)) - before == 30  # one status request per job
    for video_id in ids:
        row = take(db, video_id)
        assert row.status == "running" and row.progress == 50
        assert row.poll_attempts == attempts[video_id] + 1
        planned = row.next_poll_at.replace(tzinfo=started.tzinfo)  # type: ignore[union-attr]
        assert started < planned < started + timedelta(seconds=5)  # the next poll, no longer the 30 s lease
        assert status_path(db, video_id).count("running") == 1


def test_a_job_taken_over_during_a_slow_round_is_not_overwritten(db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(db, NEVER, s3=False)
    ids = in_flight(s, 3)
    make_due(db, ids)
    s.fake.force(*[Reply.delayed(0.6)] * 3, path_prefix=STATUS)
    round_done = threading.Event()
    threading.Thread(target=lambda: (s.worker.step(), round_done.set())).start()
    time.sleep(0.3)  # the round has claimed and is waiting for the answers
    other_lease = utcnow() + timedelta(minutes=5)
    with db.write() as session:  # another worker's claim, as after the first one's lease ran out
        session.execute(update(NovelaVideo).where(NovelaVideo.id == ids[0]).values(next_poll_at=other_lease))
    before = {i: take(db, i).poll_attempts for i in ids}

    assert round_done.wait(10)

    taken = take(db, ids[0])
    assert taken.next_poll_at.replace(tzinfo=other_lease.tzinfo) == other_lease  # type: ignore[union-attr]
    assert taken.poll_attempts == before[ids[0]]
    assert all(take(db, i).poll_attempts == before[i] + 1 for i in ids[1:])


def test_a_round_moves_finished_jobs_to_storing_in_its_write_before_handing_them_to_be_stored(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, Plan(polls=2, cost="1.10"), s3=False)  # running on the 1st poll, finished on the 2nd
    ids = in_flight(s, 3)
    poller = s.worker._poller
    make_due(db, ids)
    assert poller.round() == []  # all three running, rescheduled in the round's write
    make_due(db, ids)

    handed = poller.round()

    # the rows show the change when the round's transaction commits, before any download or thumbnail
    assert sorted(p.video.id for p in handed) == sorted(ids)
    assert all(p.video.status == "storing" for p in handed)
    for video_id in ids:
        assert take(db, video_id).status == "storing"
        assert status_path(db, video_id).count("storing") == 1
    list(map(s.worker._advance_polled, handed))  # the worker stores them, as its pool would
    for video_id in ids:
        assert take(db, video_id).status == "completed"
        assert status_path(db, video_id)[-2:] == ["storing", "completed"]


def test_replicate_jobs_are_refreshed_through_the_list_not_one_by_one(
    replicate_stack: Callable[[Plan], Stack],
) -> None:
    s = replicate_stack(Plan(polls=None))
    novela = make_novela(s.db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=5)
    ids = confirm_all(s.db, s.registry, novela.id)
    run_until(s.worker, s.db, ids, in_status("queued", "running"))
    make_due(s.db, ids)
    listed = list_pages(s)

    assert s.worker.step() == 5

    assert list_pages(s) - listed == 1  # one list request answered for all five
    assert s.fake.requests_to("GET", "/v1/predictions/") == []  # none asked one by one
    assert all(take(s.db, i).status == "running" for i in ids)


def list_pages(s: Stack) -> int:
    return sum(r.method == "GET" and r.path.partition("?")[0] == "/v1/predictions" for r in s.fake.requests)


def test_the_rate_limiter_spaces_calls_to_the_limit() -> None:
    now = [0.0]
    limiter = RateLimiter(600, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))

    for _ in range(40):
        limiter.acquire()

    assert 2.9 <= now[0] <= 3.1  # 10 a second: the first 10 at once (a second's burst), then 30 more


def test_the_next_poll_follows_the_models_run_times_learned_from_history(db: Database) -> None:
    novela = make_novela(db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=11)
    start = utcnow() - timedelta(hours=1)
    with db.write() as session:
        for n, row in enumerate(session.query(NovelaVideo).filter_by(novela_id=novela.id).order_by(NovelaVideo.id)):
            if n < 10:  # ten takes that ran 60 to 105 s
                row.status, row.submitted_at = "completed", start
                row.completed_at = start + timedelta(seconds=60 + 5 * n)
    poller = Poller(db, None, Schedule(1.0, 30.0, 90.0), PollerConfig(), utcnow, db.write)  # type: ignore[arg-type]
    job = take(db, max(v.id for v in _takes(db, novela.id)))

    def delay_at(elapsed_s: float, attempts: int = 0) -> float:
        job.submitted_at, job.poll_attempts = utcnow() - timedelta(seconds=elapsed_s), attempts
        return (poller.next_poll(job) - utcnow()).total_seconds()

    assert 29.9 <= delay_at(5) <= 30  # far from the fastest usual finish (60 s): wait, at most poll_max_s
    assert 13.9 <= delay_at(46) <= 14  # 14 s before it: wait until then
    assert 0.9 <= delay_at(80, attempts=20) <= 1  # it may finish any moment: every poll_min_s
    assert 29.9 <= delay_at(400, attempts=20) <= 30  # later than usual: back off as without history
    poller.close()


def _takes(db: Database, novela_id: int) -> list[NovelaVideo]:
    with db.session() as session:
        return list(session.query(NovelaVideo).filter_by(novela_id=novela_id))
