"""Charges compared with estimates (issue 13, part 4): a provider charging 2.7 times the catalog price is flagged on
the take, the novela and the calculator's model, and spending past the budget pauses the takes still waiting
until the user raises the budget or accepts. Real Worker, real Lambda client, FakeLambdaServer over HTTP.
"""

from __future__ import annotations

from decimal import Decimal

from tests.fakes.http_server import Plan
from tests.jobs.test_pipeline_lambda import (
    ESTIMATE,
    GENERATE,
    LambdaStack,
    StartStack,
    lambda_stack_fixture,  # noqa: F401 (the lambda_stack fixture)
)
from tests.jobs.test_pipeline_local import DEADLINE_S, event_messages, in_status, novela, take
from vsl.db.engine import Database
from vsl.jobs import actions, costs
from vsl.novelas import service

OVERCHARGE = Decimal("3.24")  # 2.7 times the 1.20 estimate


def _complete_one(s: LambdaStack, video_id: int) -> None:
    for _ in range(int(DEADLINE_S * 10)):
        s.worker.advance(video_id)
        if take(s.db, video_id).status == "completed":
            return
    raise AssertionError(f"take {video_id} did not complete")


def test_a_charge_far_above_the_estimate_is_flagged_on_take_novela_and_model(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, Plan(polls=1, cost=str(OVERCHARGE)), s3=False)
    novela_id = s.paid_novela(scenes=2)

    rows = s.run(s.confirm(novela_id))

    assert all(r.status == "completed" and r.actual_cost == OVERCHARGE for r in rows)
    assert all(sum("(2.70×)" in m for m in event_messages(s.db, r.id)) == 1 for r in rows)
    report = costs.novela_costs(s.db, novela_id)
    assert report is not None and [d.video_id for d in report.deviations] == [r.id for r in rows]
    assert report.deviations[0].ratio == Decimal("2.7") and not report.paused
    doubt = costs.model_doubt(s.db, "veo-3.1-fast")
    assert doubt is not None and (doubt.takes, doubt.mean_ratio) == (2, Decimal("2.70"))
    assert "2.70×" in doubt.sentence()
    assert costs.model_doubt(s.db, "veo-3.1") is None


def test_a_charge_within_a_few_percent_is_not_flagged(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, Plan(polls=1, cost=str(ESTIMATE * Decimal("1.04"))), s3=False)
    novela_id = s.paid_novela()

    (row,) = s.run(s.confirm(novela_id))

    assert row.status == "completed" and costs.deviation_of(row) is None
    assert costs.novela_costs(s.db, novela_id).deviations == []  # type: ignore[union-attr]
    assert costs.model_doubt(s.db, "veo-3.1-fast") is None


def test_spending_past_the_budget_pauses_new_submissions_until_the_user_accepts(
    db: Database, lambda_stack: StartStack
) -> None:
    s = lambda_stack(db, Plan(polls=1, cost=str(OVERCHARGE)), s3=False)
    novela_id = s.paid_novela(scenes=3, budget="4")  # three at 1.20 fit; three at 3.24 do not
    ids = s.confirm(novela_id)
    _complete_one(s, ids[0])  # 3.24 spent + 2.40 still reserved > 4

    rows = s.run(ids[1:], in_status("reserved"))
    for _ in range(3):
        s.worker.step()

    assert [take(s.db, i).status for i in ids[1:]] == ["reserved", "reserved"]
    assert len(s.fake.requests_to("POST", GENERATE)) == 1  # nothing new was sent
    assert sum("paused: spending has passed the budget" in m for m in event_messages(s.db, rows[0].id)) == 1
    report = costs.novela_costs(s.db, novela_id)
    assert report is not None and report.over_budget and report.paused and report.waiting == 2

    assert "2 take(s) will be submitted" in actions.accept_overspend(s.db, novela_id)
    done = s.run(ids)

    assert [r.status for r in done] == ["completed"] * 3
    stored = novela(s.db, novela_id)
    assert (stored.total_cost, stored.reserved_cost) == (3 * OVERCHARGE, 0)


def test_raising_the_budget_lets_paused_takes_go(sqlite_db: Database, lambda_stack: StartStack) -> None:
    s = lambda_stack(sqlite_db, Plan(polls=1, cost=str(OVERCHARGE)), s3=False)
    novela_id = s.paid_novela(scenes=2, budget="3")
    ids = s.confirm(novela_id)
    _complete_one(s, ids[0])
    s.worker.step()
    assert take(s.db, ids[1]).status == "reserved"

    service.update(s.db, novela_id, budget=Decimal("10"))
    (row,) = s.run(ids[1:])

    assert row.status == "completed" and not costs.novela_costs(s.db, novela_id).paused  # type: ignore[union-attr]
