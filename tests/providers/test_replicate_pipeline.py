"""Issue 11 through the whole pipeline (the real Worker, the registry-built ReplicateProvider, the fake over HTTP):
a canceled or failed GPU-time run is charged its compute, and a removed output is named on the take."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tests.fakes.http_server import FAILED, Plan
from tests.jobs.test_pipeline_local import confirm_all, fake_output_mp4, in_status, novela, run_until, take
from tests.jobs.test_pipeline_replicate import SVD_GPU_RATE, Stack, replicate_stack, svd_novela  # noqa: F401
from vsl.jobs import actions


def test_a_failed_gpu_run_is_charged_its_predict_time(replicate_stack: Callable[[Plan], Stack]) -> None:  # noqa: F811
    s = replicate_stack(Plan(polls=2, outcome=FAILED, predict_time=20.0))
    novela_id = svd_novela(s.db)

    (row,) = run_until(s.worker, s.db, confirm_all(s.db, s.registry, novela_id))

    assert row.status == "failed" and row.actual_cost == SVD_GPU_RATE * 20  # $0.028, not $0
    assert (novela(s.db, novela_id).total_cost, novela(s.db, novela_id).reserved_cost) == (row.actual_cost, 0)


def test_a_gpu_run_canceled_while_running_is_charged_what_it_used(
    replicate_stack: Callable[[Plan], Stack],  # noqa: F811
) -> None:
    s = replicate_stack(Plan(polls=None, predict_time=7.5))
    novela_id = svd_novela(s.db)
    ids = confirm_all(s.db, s.registry, novela_id)
    run_until(s.worker, s.db, ids, in_status("running"))

    actions.cancel(s.db, s.registry, ids[0])

    row = take(s.db, ids[0])
    assert row.status == "canceled" and row.actual_cost == SVD_GPU_RATE * Decimal("7.5")
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost) == (SVD_GPU_RATE * Decimal("7.5"), 0)


def test_a_removed_output_is_named_on_the_take(replicate_stack: Callable[[Plan], Stack]) -> None:  # noqa: F811
    s = replicate_stack(Plan(polls=1, output=fake_output_mp4()))
    novela_id = svd_novela(s.db)
    ids = confirm_all(s.db, s.registry, novela_id)
    run_until(s.worker, s.db, ids, in_status("running", "queued"))
    for job in s.fake.jobs:
        s.fake.remove_data(job.id)  # the worker comes back after Replicate's hour

    (row,) = run_until(s.worker, s.db, ids)

    assert row.status == "failed" and row.failure_stage == "download"
    assert "the provider removed the output (Replicate keeps API outputs one hour)" in row.failure_message
    assert "gave no output" not in row.failure_message
