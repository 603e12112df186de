"""Queries on novelas (and the per-novela counts the home page shows)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vsl.db.models import Novela, NovelaVideo


@dataclass(frozen=True)
class NovelaCard:
    """A novela with the numbers its home-page card shows."""

    novela: Novela
    scenes_done: int
    scenes_total: int
    in_flight: int
    failed: int

    @property
    def progress(self) -> float:
        return self.scenes_done / self.scenes_total if self.scenes_total else 0.0


def get(session: Session, novela_id: int, *, lock: bool = False) -> Novela | None:
    stmt = select(Novela).where(Novela.id == novela_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def count(session: Session) -> int:
    return session.scalar(select(func.count(Novela.id))) or 0


def titles(session: Session) -> dict[int, str]:
    """Id → title of every novela, newest first, for pickers (no counts: cheap at any size)."""
    rows = session.execute(select(Novela.id, Novela.title).order_by(Novela.created_at.desc(), Novela.id.desc()))
    return {novela_id: title for novela_id, title in rows}


def cards(session: Session, *, offset: int = 0, limit: int = 24) -> list[NovelaCard]:
    """Newest first, with scene counts computed in one grouped query."""
    novelas = list(
        session.scalars(select(Novela).order_by(Novela.created_at.desc(), Novela.id.desc()).offset(offset).limit(limit))
    )
    if not novelas:
        return []
    counts = _status_counts(session, [n.id for n in novelas])
    done_scenes = _completed_scene_counts(session, [n.id for n in novelas])
    return [
        NovelaCard(
            novela=n,
            scenes_done=done_scenes.get(n.id, 0),
            scenes_total=n.target_episodes * n.scenes_per_episode,
            in_flight=sum(v for st, v in counts.get(n.id, {}).items() if st in _IN_FLIGHT),
            failed=counts.get(n.id, {}).get("failed", 0),
        )
        for n in novelas
    ]


_IN_FLIGHT = ("reserved", "submitting", "queued", "running", "storing", "unknown")


def _status_counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """novela id → status → number of takes."""
    rows = session.execute(
        select(NovelaVideo.novela_id, NovelaVideo.status, func.count())
        .where(NovelaVideo.novela_id.in_(ids))
        .group_by(NovelaVideo.novela_id, NovelaVideo.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for novela_id, status, n in rows:
        counts.setdefault(novela_id, {})[status] = n
    return counts


def _completed_scene_counts(session: Session, ids: list[int]) -> dict[int, int]:
    scenes = (
        select(NovelaVideo.novela_id, NovelaVideo.episode_number, NovelaVideo.scene_number)
        .where(NovelaVideo.novela_id.in_(ids), NovelaVideo.status == "completed", NovelaVideo.episode_number > 0)
        .distinct()
        .subquery()
    )
    rows = session.execute(select(scenes.c.novela_id, func.count()).group_by(scenes.c.novela_id))
    return {novela_id: n for novela_id, n in rows}


def spend_totals(session: Session, novela_id: int) -> tuple[Decimal, Decimal]:
    """(settled spend, open reservations) recomputed from the videos, to check the running totals."""
    spent = session.scalar(
        select(func.coalesce(func.sum(NovelaVideo.actual_cost), 0)).where(NovelaVideo.novela_id == novela_id)
    )
    reserved = session.scalar(
        select(func.coalesce(func.sum(NovelaVideo.reserved_cost), 0)).where(NovelaVideo.novela_id == novela_id)
    )
    return Decimal(str(spent)), Decimal(str(reserved))
