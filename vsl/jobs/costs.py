"""What providers charged, compared with what the catalog estimated, and what happens when spending passes a budget.

A take whose actual cost differs from its estimate by more than `DEVIATION` gets an event saying so; the novela
and the cost calculator read the deviations back (`novela_costs`, `model_doubt`). The budget guard reserves
estimates, so charges above them can take a novela past its budget: then `paused` holds its takes still waiting
to be submitted until the user raises the budget or accepts the overspend (`accept_overspend` in actions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import Novela, NovelaVideo
from vsl.money import usd

DEVIATION = Decimal("0.05")  # "more than a few percent"
OVERSPEND_ACCEPTED = "overspend_accepted"  # payload flag of the event that lets a paused take go
PAUSED = "paused_over_budget"  # payload flag of the event that says a take waits for the budget


@dataclass(frozen=True)
class Deviation:
    video_id: int
    label: str  # "E1 S3 take 2"
    model_id: str
    estimate: Decimal
    actual: Decimal

    @property
    def ratio(self) -> Decimal:
        return self.actual / self.estimate

    def sentence(self) -> str:
        return (
            f"{self.label}: charged {usd(self.actual)} against an estimate of {usd(self.estimate)} "
            f"({self.ratio:.2f}×); the catalog price of {self.model_id} may be wrong."
        )


@dataclass(frozen=True)
class NovelaCosts:
    """What the board shows about a novela's money beyond the totals."""

    deviations: list[Deviation]
    spent: Decimal
    reserved: Decimal
    budget: Decimal | None
    waiting: int  # takes confirmed but not yet submitted

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.spent + self.reserved > self.budget

    @property
    def paused(self) -> bool:
        return self.over_budget and self.waiting > 0


@dataclass(frozen=True)
class ModelDoubt:
    """For the cost calculator: a model whose charges have differed from its catalog price."""

    model_id: str
    takes: int  # settled takes whose charge was off by more than DEVIATION
    mean_ratio: Decimal  # their mean actual / estimate

    def sentence(self) -> str:
        return (
            f"In doubt: {self.takes} take(s) of this model were charged on average {self.mean_ratio:.2f}× "
            "the catalog's estimate."
        )


def deviation_of(video: NovelaVideo) -> Deviation | None:
    """The take's deviation when its actual charge is off its estimate by more than DEVIATION, else None."""
    estimate, actual = video.estimated_cost, video.actual_cost
    if actual is None or not estimate or estimate <= 0:
        return None
    if abs(actual / estimate - 1) <= DEVIATION:
        return None
    label = f"E{video.episode_number} S{video.scene_number} take {video.take}"
    return Deviation(video.id, label, video.model_id, estimate, actual)


def over_budget(novela: Novela) -> bool:
    """Spent plus still reserved is past the budget: charges came in above their estimates (or it was lowered)."""
    return novela.budget is not None and novela.total_cost + novela.reserved_cost > novela.budget


def overspend_accepted(session: Session, video: NovelaVideo) -> bool:
    return any(e.payload.get(OVERSPEND_ACCEPTED) for e in video_repo.events(session, video.id))


def already_paused(session: Session, video: NovelaVideo) -> bool:
    events = video_repo.events(session, video.id)
    return bool(events) and bool(events[-1].payload.get(PAUSED))


def pause_message(novela: Novela) -> str:
    return (
        f"paused: spending has passed the budget ({usd(novela.total_cost)} spent and "
        f"{usd(novela.reserved_cost)} reserved of {usd(novela.budget)}); raise the budget or accept to go on"
    )


def _off_estimate() -> tuple[ColumnElement[bool], ...]:
    """SQL conditions: a settled take charged more than DEVIATION off its estimate."""
    upper = NovelaVideo.estimated_cost * (1 + DEVIATION)
    lower = NovelaVideo.estimated_cost * (1 - DEVIATION)
    return (
        NovelaVideo.actual_cost.is_not(None),
        NovelaVideo.estimated_cost > 0,
        or_(NovelaVideo.actual_cost > upper, NovelaVideo.actual_cost < lower),
    )


def novela_costs(db: Database, novela_id: int) -> NovelaCosts | None:
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None:
            return None
        rows = session.scalars(
            select(NovelaVideo).where(NovelaVideo.novela_id == novela_id, *_off_estimate()).order_by(NovelaVideo.id)
        )
        deviations = [d for d in (deviation_of(v) for v in rows) if d is not None]
        waiting = video_repo.in_flight_count(session, novela_id, ["reserved"])
        return NovelaCosts(deviations, novela.total_cost, novela.reserved_cost, novela.budget, waiting)


def model_doubt(db: Database, model_id: str) -> ModelDoubt | None:
    """Whether the calculator's figures for `model_id` are in doubt: charges off the estimate, or None."""
    ratio = NovelaVideo.actual_cost / NovelaVideo.estimated_cost
    with db.session() as session:
        count, mean = session.execute(
            select(func.count(NovelaVideo.id), func.avg(ratio)).where(
                NovelaVideo.model_id == model_id, *_off_estimate()
            )
        ).one()
    if not count:
        return None
    return ModelDoubt(model_id, count, Decimal(str(mean)).quantize(Decimal("0.01")))
