"""Budget guard: money is reserved only by a confirmed click, once per click, never past the budget."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tests.jobs.conftest import make_novela
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.jobs.actions import NothingToDo, Target
from vsl.jobs.budget import BudgetExceeded

VEO_FAST_8S = Decimal("1.20")  # veo-3.1-fast, 8 s with audio at $0.15/s


def _paid_novela(db: Database, scenes: int, budget: str | None):
    return make_novela(
        db,
        model="veo-3.1-fast",
        duration=8,
        resolution="720p",
        scenes=scenes,
        budget=Decimal(budget) if budget else None,
    )


def _planned(db: Database, novela_id: int) -> list[Target]:
    return actions.targets_rest_of_episode(db, novela_id, 1)


def test_quote_prices_without_reserving(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 3, "10")
    quote = actions.quote(db, paid_registry, _planned(db, novela.id))
    assert quote.total == 3 * VEO_FAST_8S
    assert quote.available == Decimal("10")
    assert quote.fits
    with db.session() as session:
        assert novela_repo.get(session, novela.id).reserved_cost == 0
        assert all(v.status == "planned" for v in video_repo.episode_takes(session, novela.id, 1))


def test_confirm_reserves_and_a_repeated_click_reserves_once(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 2, "10")
    quote = actions.quote(db, paid_registry, _planned(db, novela.id))
    first = actions.confirm(db, paid_registry, quote)
    again = actions.confirm(db, paid_registry, quote)  # a double click / a rerun confirms the same click id
    assert first == again and len(first) == 2
    with db.session() as session:
        stored = novela_repo.get(session, novela.id)
        takes = video_repo.episode_takes(session, novela.id, 1)
        events = video_repo.events(session, takes[0].id)
    assert stored.reserved_cost == 2 * VEO_FAST_8S
    assert stored.status == "in_progress"
    assert {t.status for t in takes} == {"reserved"}
    assert all(t.client_request_id and t.provider == "lambda" for t in takes)
    assert [e.to_status for e in events] == ["reserved"]


def test_over_budget_reserves_nothing(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 3, "3.00")  # 3 x 1.20 = 3.60 > 3.00
    quote = actions.quote(db, paid_registry, _planned(db, novela.id))
    assert not quote.fits
    with pytest.raises(BudgetExceeded) as info:
        actions.confirm(db, paid_registry, quote)
    assert "$3.60" in str(info.value) and "$3.00" in str(info.value)
    with db.session() as session:
        assert novela_repo.get(session, novela.id).reserved_cost == 0
        assert {t.status for t in video_repo.episode_takes(session, novela.id, 1)} == {"planned"}


def test_twenty_concurrent_clicks_never_exceed_the_budget(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 20, "10.00")  # room for 8 scenes at $1.20
    quotes = [actions.quote(db, paid_registry, [t]) for t in _planned(db, novela.id)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(quotes))

    def click(q) -> None:
        barrier.wait()
        try:
            actions.confirm(db, paid_registry, q)
            outcomes.append("reserved")
        except BudgetExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=click, args=(q,)) for q in quotes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("reserved") == 8 and outcomes.count("refused") == 12
    with db.session() as session:
        stored = novela_repo.get(session, novela.id)
        held = sum(v.reserved_cost for v in video_repo.episode_takes(session, novela.id, 1))
    assert stored.reserved_cost == held == 8 * VEO_FAST_8S <= stored.budget


def test_a_take_already_generating_cannot_be_bought_again(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 1, None)
    targets = _planned(db, novela.id)
    actions.confirm(db, paid_registry, actions.quote(db, paid_registry, targets))
    with pytest.raises(NothingToDo):
        actions.quote(db, paid_registry, targets)


def test_new_take_keeps_the_old_one(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 1, None)
    first = _planned(db, novela.id)[0]
    quote = actions.quote(db, paid_registry, [Target(first.video_id, "new_take", prompt="Now at dawn.")])
    (new_id,) = actions.confirm(db, paid_registry, quote)
    with db.session() as session:
        takes = video_repo.scene_takes(session, novela.id, 1, 1)
    assert [(t.take, t.status) for t in takes] == [(1, "planned"), (2, "reserved")]
    assert takes[1].id == new_id and takes[1].script_prompt == "Now at dawn."


def test_cancel_before_submission_releases_the_reservation(db: Database, paid_registry) -> None:
    novela = _paid_novela(db, 1, "5")
    (video_id,) = actions.confirm(db, paid_registry, actions.quote(db, paid_registry, _planned(db, novela.id)))
    message = actions.cancel(db, paid_registry, video_id)
    assert "reservation went back" in message
    with db.session() as session:
        assert novela_repo.get(session, novela.id).reserved_cost == 0
        assert video_repo.get(session, video_id).status == "canceled"


def test_local_preview_costs_nothing(db: Database, local_registry) -> None:
    novela = make_novela(db, budget=Decimal("0"))
    quote = actions.quote(db, local_registry, _planned(db, novela.id))
    assert quote.total == 0 and quote.fits
    assert len(actions.confirm(db, local_registry, quote)) == 2
