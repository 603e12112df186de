"""Cancel at every stage of a paid take, through the real Worker and the VSL Lambda provider (FakeLambdaServer).

Before submission the reservation is simply released; once the provider may know the job, the cancel must reach
it (at once, or as soon as the job id arrives); a finished take has nothing to cancel.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.fakes.http_server import Plan, Reply
from tests.jobs.test_pipeline_lambda import (
    CHARGE,
    GENERATE,
    LambdaStack,
    StartStack,
    lambda_stack_fixture,  # noqa: F401 (the lambda_stack fixture)
)
from tests.jobs.test_pipeline_local import DEADLINE_S, in_status, novela, status_path, take
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.jobs.worker import MAX_RECOVERY_TRIES

ENDLESS = Plan(polls=None, cost=str(CHARGE))  # a job that runs until canceled


def _wait_for_status(db: Database, video_id: int, status: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while take(db, video_id).status != status:
        assert time.monotonic() < deadline, f"take {video_id} never reached {status}"
        time.sleep(0.01)


def _cancels(s: LambdaStack) -> list[str]:
    return [r.path for r in s.fake.requests_to("POST", "/homolog/cancel/")]


def test_cancel_a_planned_take_touches_nothing(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, ENDLESS, s3=False)
    novela_id = s.paid_novela()
    (target,) = actions.targets_rest_of_episode(s.db, novela_id, 1)

    message = actions.cancel(s.db, s.registry, target.video_id)

    assert message == "Canceled; nothing had been reserved."
    assert take(s.db, target.video_id).status == "canceled"
    assert s.worker.step() == 0 and s.fake.requests == []
    assert novela(s.db, novela_id).reserved_cost == 0


def test_cancel_a_reserved_take_releases_it_before_anything_is_sent(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, ENDLESS, s3=False)
    novela_id = s.paid_novela(budget="5")
    (video_id,) = s.confirm(novela_id)

    message = actions.cancel(s.db, s.registry, video_id)

    assert "reservation went back" in message
    assert take(s.db, video_id).status == "canceled"
    assert s.worker.step() == 0 and s.fake.requests == []
    assert novela(s.db, novela_id).reserved_cost == 0


def test_cancel_while_submitting_is_honoured_when_the_job_id_arrives(db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(db, ENDLESS, s3=False, read_timeout=5)
    s.fake.force(Reply.delayed(0.5), path_prefix=GENERATE)
    novela_id = s.paid_novela()
    (video_id,) = s.confirm(novela_id)
    submitting = threading.Thread(target=s.worker.step)
    submitting.start()
    _wait_for_status(s.db, video_id, "submitting")

    message = actions.cancel(s.db, s.registry, video_id)
    submitting.join(timeout=DEADLINE_S)
    (row,) = s.run([video_id])

    assert "Cancel requested" in message
    assert row.status == "canceled" and s.fake.job(row.job_id).state == "canceled"
    assert _cancels(s) == [f"/homolog/cancel/{row.job_id}"]
    assert status_path(s.db, video_id)[-3:] == ["submitting", "queued", "canceled"]
    assert novela(s.db, novela_id).reserved_cost == 0


def test_cancel_of_an_unknown_submission_waits_for_the_job_id_the_same_request_returns(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, ENDLESS, s3=False, read_timeout=0.3)
    s.fake.force(Reply.delayed(1.0), path_prefix=GENERATE)  # created at the fake, but the answer comes too late
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    s.run(ids, in_status("unknown"))

    assert "Cancel requested" in actions.cancel(s.db, s.registry, ids[0])
    (row,) = s.run(ids)  # the worker resubmits with the same request id, learns the job and cancels it

    (job,) = s.fake.jobs
    assert (row.status, row.job_id, job.state, job.submissions) == ("canceled", job.id, "canceled", 2)
    assert _cancels(s) == [f"/homolog/cancel/{job.id}"]
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost) == (0, 0)


def test_cancel_of_a_take_needing_attention_releases_its_reservation(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, ENDLESS, s3=False, read_timeout=0.3)
    s.fake.force(*[Reply.delayed(1.0)] * (1 + MAX_RECOVERY_TRIES), path_prefix=GENERATE)  # every try goes unanswered
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    s.run(ids, in_status("needs_attention"))

    message = actions.cancel(s.db, s.registry, ids[0])

    assert "may still run" in message
    assert take(s.db, ids[0]).status == "canceled"
    assert novela(s.db, novela_id).reserved_cost == 0
    assert len(s.fake.requests_to("POST", GENERATE)) == 1 + MAX_RECOVERY_TRIES


@pytest.mark.parametrize("stage", ["queued", "running"])
def test_cancel_at_the_provider_stops_the_job_and_releases_the_money(
    db: Database, lambda_stack: StartStack, stage: str
) -> None:
    s = lambda_stack(db, ENDLESS, s3=False)
    novela_id = s.paid_novela()
    ids = s.confirm(novela_id)
    s.run(ids, in_status(stage))

    message = actions.cancel(s.db, s.registry, ids[0])

    row = take(s.db, ids[0])
    assert "Canceled at the provider" in message and row.status == "canceled"
    assert s.fake.job(row.job_id).state == "canceled" and _cancels(s) == [f"/homolog/cancel/{row.job_id}"]
    assert novela(s.db, novela_id).reserved_cost == 0 and row.reserved_cost == 0
    assert s.worker.step() == 0


def test_a_cancel_that_arrives_after_the_job_finished_keeps_the_paid_output(
    sqlite_db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(sqlite_db, Plan(polls=None, after_s=0.3, cost=str(CHARGE)), s3=False, read_timeout=5)
    s.fake.force(Reply.delayed(0.5), path_prefix=GENERATE)  # finished at the fake before the worker cancels
    novela_id = s.paid_novela()
    (video_id,) = s.confirm(novela_id)
    submitting = threading.Thread(target=s.worker.step)
    submitting.start()
    _wait_for_status(s.db, video_id, "submitting")
    actions.cancel(s.db, s.registry, video_id)
    submitting.join(timeout=DEADLINE_S)

    (row,) = s.run([video_id])

    assert len(_cancels(s)) == 1  # refused with 409: the job had already finished
    assert (row.status, row.actual_cost) == ("completed", CHARGE)
    assert novela(s.db, novela_id).total_cost == CHARGE


def test_a_finished_take_has_nothing_to_cancel(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, s3=False)
    novela_id = s.paid_novela()
    (row,) = s.run(s.confirm(novela_id))

    message = actions.cancel(s.db, s.registry, row.id)

    assert "Nothing to cancel" in message and take(s.db, row.id).status == "completed"
    assert _cancels(s) == []
    assert novela(s.db, novela_id).total_cost == CHARGE
