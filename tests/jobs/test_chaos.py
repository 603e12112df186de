"""Issue 13's proof: paid takes through two workers that are SIGKILLed at random, against a fake Lambda that
misbehaves at random (10 % 5xx, 5 % 429, 5 % bodies that are not JSON, hangs longer than the lease, 10 % of
takes failing the content policy), on SQLite and on PostgreSQL, in bounded time.

At the end nothing waits for a person unless its outcome truly could not be known (and it says why), nothing is
charged twice, no reservation dangles, and every completed take has exactly one media row.
"""

from __future__ import annotations

from pathlib import Path

from tests.jobs.chaos import run_chaos
from vsl.db.engine import Database

CHAOS_LIMIT_S = 120.0


def test_chaos_leaves_nothing_for_a_person_and_nothing_charged_twice(db: Database, tmp_path: Path) -> None:
    report = run_chaos(db, tmp_path, scenes=30, kills=4, limit_s=CHAOS_LIMIT_S)

    assert report.kills == 4 and report.unsettled == [], report.as_dict()
    assert report.double_charges == 0 and report.dangling_reservation == 0, report.as_dict()
    assert report.media_problems == [] and report.failures_without_words == [], report.as_dict()
    assert all(reason for _, reason in report.needs_attention), report.as_dict()
    assert len(report.needs_attention) <= 1, report.as_dict()  # a take whose every try went unanswered, at most
    assert report.statuses.get("completed", 0) >= 20 and report.statuses.get("failed", 0) >= 3, report.as_dict()
    assert sum(report.faults_sent.values()) >= 10 and report.resubmitted >= 1, report.as_dict()
