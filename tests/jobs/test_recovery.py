"""Unattended recovery (issue 13): a submit of unknown outcome is recovered by the provider's declared promise, a
slow call keeps its lease, and an answer that arrives late is still recorded.

The local preview provider is real (it renders into a temporary folder); a subclass of it that declares RECONCILE
stands for a provider without the same-id promise, since it really can find its own jobs by request id.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from tests.fakes.http_server import Plan, Reply
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_lambda import (
    CHARGE,
    GENERATE,
    StartStack,
    lambda_stack_fixture,  # noqa: F401 (the lambda_stack fixture)
)
from tests.jobs.test_pipeline_local import (
    FAST,
    confirm_all,
    event_messages,
    in_status,
    novela,
    run_until,
    status_path,
    take,
)
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import utcnow
from vsl.jobs import transitions
from vsl.jobs.requests import build_request
from vsl.jobs.worker import Worker, WorkerConfig
from vsl.providers.base import JobSnapshot, SubmitRecovery, SubmitRequest
from vsl.providers.local_preview import LocalPreviewProvider
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage


class ReconcilingLocal(LocalPreviewProvider):
    """The real local renderer declaring RECONCILE; counts its submits."""

    submit_recovery = SubmitRecovery.RECONCILE

    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir)
        self.submits = 0

    def submit(self, request: SubmitRequest) -> JobSnapshot:
        self.submits += 1
        return super().submit(request)


def _crash_while_submitting(db: Database, video_id: int, provider: LocalPreviewProvider | None = None) -> None:
    """What a worker killed inside submit leaves: `submitting`, an expired lease, and maybe a job it created."""
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        assert video is not None
        transitions.move(session, video, "submitting", "submitting to local")
        video.next_poll_at = utcnow() - timedelta(seconds=1)
        if provider is not None:
            provider.submit(build_request(session, video))


def _local_stack(db: Database, tmp_path: Path, provider: LocalPreviewProvider) -> tuple[ProviderRegistry, Worker]:
    registry = ProviderRegistry(job_settings(tmp_path), {"local": provider})
    return registry, Worker(db, registry, LocalStorage(tmp_path / "media"), FAST)


def test_a_local_take_lost_mid_submit_is_resubmitted_with_the_same_id(db: Database, tmp_path: Path) -> None:
    registry, worker = _local_stack(db, tmp_path, LocalPreviewProvider(tmp_path / "renders"))
    try:
        ids = confirm_all(db, registry, make_novela(db, scenes=1).id)
        _crash_while_submitting(db, ids[0])

        (row,) = run_until(worker, db, ids)
    finally:
        worker.close()
        registry.close()

    assert row.status == "completed"
    assert status_path(db, row.id)[2:5] == ["submitting", "unknown", "queued"]
    assert "resubmitted with the same request id" in " ".join(event_messages(db, row.id))


def test_a_reconciling_provider_that_finds_the_job_has_it_adopted_not_resubmitted(db: Database, tmp_path: Path) -> None:
    provider = ReconcilingLocal(tmp_path / "renders")
    registry, worker = _local_stack(db, tmp_path, provider)
    try:
        ids = confirm_all(db, registry, make_novela(db, scenes=1).id)
        _crash_while_submitting(db, ids[0], provider)  # the provider did create the job

        (row,) = run_until(worker, db, ids)
    finally:
        worker.close()
        registry.close()

    assert row.status == "completed" and provider.submits == 1
    assert "found at local by its request id and adopted" in " ".join(event_messages(db, row.id))


def test_a_reconciling_provider_that_finds_nothing_asks_a_person(db: Database, tmp_path: Path) -> None:
    provider = ReconcilingLocal(tmp_path / "renders")
    registry, worker = _local_stack(db, tmp_path, provider)
    try:
        ids = confirm_all(db, registry, make_novela(db, scenes=1).id)
        _crash_while_submitting(db, ids[0])

        (row,) = run_until(worker, db, ids)
    finally:
        worker.close()
        registry.close()

    assert row.status == "needs_attention" and provider.submits == 0
    last = event_messages(db, row.id)[-1]
    assert "no job carrying this request id" in last and "mark it failed" in last


def test_a_submit_hanging_longer_than_the_lease_keeps_it_and_records_the_late_answer(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, Plan(polls=1, cost=str(CHARGE)), read_timeout=10)
    s.fake.force(Reply.delayed(3.0), path_prefix=GENERATE)  # three leases long
    short = WorkerConfig(concurrency=2, poll_min_s=0.05, poll_max_s=0.1, lease_s=1.0, idle_s=0.02)
    first = Worker(db, s.registry, s.storage, short, s.clock)
    other = Worker(db, s.registry, s.storage, short, s.clock)
    ids = s.confirm(s.paid_novela())
    try:
        submitting = threading.Thread(target=first.step)
        submitting.start()
        while submitting.is_alive():
            other.step()  # the other worker looks every 20 ms: the lease must never look expired
            time.sleep(0.02)
        (row,) = run_until(other, db, ids)
    finally:
        first.close()
        other.close()

    assert row.status == "completed" and "unknown" not in status_path(db, row.id)
    assert len(s.fake.requests_to("POST", GENERATE)) == 1
    assert row.job_id == s.fake.jobs[0].id


def test_a_late_answer_is_recorded_even_after_the_take_was_marked_unknown(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, Plan(polls=1, cost=str(CHARGE)), read_timeout=10)
    s.fake.force(Reply.delayed(1.5), path_prefix=GENERATE)
    ids = s.confirm(s.paid_novela())
    submitting = threading.Thread(target=s.worker.step)
    submitting.start()
    run_until(None, db, ids, in_status("submitting"))  # only watch: a second step would take the job over
    with db.write() as session:  # as if the lease had lapsed (a database outage) and another worker had looked
        video = video_repo.get(session, ids[0], lock=True)
        transitions.move(session, video, "unknown", "the app stopped while submitting; outcome unknown")
    submitting.join(timeout=10)

    assert take(db, ids[0]).job_id == s.fake.jobs[0].id  # the late 202 carried the job id: recorded
    (row,) = s.run(ids)
    assert row.status == "completed" and len(s.fake.requests_to("POST", GENERATE)) == 1
    assert "a late answer to an earlier submit (the take was unknown)" in " ".join(event_messages(db, row.id))
    assert novela(db, row.novela_id).reserved_cost == 0
