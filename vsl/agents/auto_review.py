"""Automatic continuity review (docs/adr/0010-automatic-review.md).

When a novela opts in, every take completed from then on is reviewed once: by GPT-5 when a key is set, by the
offline colour measure (labelled as such) when not. Takes are found by sweeping the database, not by a call from
the worker, so a take that completed while no reviewer ran is reviewed when one starts again. A review is claimed
by inserting its row (`reviewing`, `automatic`); a unique index lets one process win. A claim a crash left
`reviewing` is marked failed and never retried by itself: GPT-5 may already have charged for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from vsl.agents.continuity import review_with_gpt5
from vsl.agents.llm import LlmClient
from vsl.cast import repo as cast_repo
from vsl.cast import review
from vsl.cast.prompts import scene_cast
from vsl.config import Settings
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import Novela, NovelaVideo, Review
from vsl.jobs import budget
from vsl.money import ZERO, usd
from vsl.storage.base import Storage

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 3.0
BATCH = 20  # takes claimed per sweep; the rest wait for the next one
STALE_AFTER = timedelta(minutes=15)  # longer than two GPT-5 calls at their timeout (the answer and its one repair)
INTERRUPTED = (
    "The review was interrupted (the app or worker stopped). It is not repeated by itself, since GPT-5 may have "
    "charged for it: review the take again on a click."
)


@dataclass(frozen=True)
class Opinion:
    """How the reviews are made here: GPT-5 through `llm` (its model prices the estimate), or offline."""

    llm: Callable[[], LlmClient] | None
    model: str = "gpt-5"

    @property
    def method(self) -> str:
        return "gpt-5" if self.llm else review.OFFLINE_METHOD

    def estimate(self, references: int) -> Decimal:
        return review.estimate(references, self.model) if self.llm else ZERO


def set_auto_review(db: Database, novela_id: int, on: bool) -> Novela:
    """Opt a novela in (takes completed from now on are reviewed) or out; idempotent."""
    with db.write() as session:
        novela = session.get(Novela, novela_id)
        if novela is None:
            raise ValueError(f"Novela {novela_id} does not exist.")
        if on and novela.auto_review_since is None:
            novela.auto_review_since = datetime.now(UTC)
        elif not on:
            novela.auto_review_since = None
        return novela


def spent(db: Database, novela_id: int) -> tuple[int, Decimal]:
    """How many automatic reviews the novela has had and what they cost (their GPT-5 calls, from the ledger)."""
    with db.session() as session:
        count, total = session.execute(
            select(func.count(Review.id), func.coalesce(func.sum(Review.cost_usd), 0))
            .join(NovelaVideo, NovelaVideo.id == Review.video_id)
            .where(NovelaVideo.novela_id == novela_id, Review.automatic.is_(True))
        ).one()
    return count, Decimal(str(total))


def most_per_take(db: Database, novela_id: int, opinion: Opinion) -> Decimal:
    """A review's cost when every cast member with a stored reference is in the scene (the most it can cost)."""
    with db.session() as session:
        assets = cast_repo.assets(session, novela_id)
        images = cast_repo.images(session, [a.id for a in assets])
    stored = sum(any(i.chosen and i.ref.startswith("media:") for i in images.get(a.id, [])) for a in assets)
    return opinion.estimate(max(1, stored))


def _eligible() -> list[ColumnElement[bool]]:
    """Finished takes (not images, not speech) of opted-in novelas, completed since the opt-in."""
    return [
        Novela.auto_review_since.is_not(None),
        NovelaVideo.status == "completed",
        NovelaVideo.completed_at >= Novela.auto_review_since,
        NovelaVideo.episode_number > 0,
        NovelaVideo.s3_key.is_not(None),
        NovelaVideo.scene_details["purpose"].as_string().is_(None),
    ]


def due(db: Database, limit: int = BATCH) -> list[int]:
    """Eligible takes never reviewed (a review on a click counts: it is not paid for again), oldest first."""
    reviewed = exists().where(Review.video_id == NovelaVideo.id)
    query = (
        select(NovelaVideo.id)
        .join(Novela, Novela.id == NovelaVideo.novela_id)
        .where(*_eligible(), ~reviewed)
        .order_by(NovelaVideo.completed_at, NovelaVideo.id)
        .limit(limit)
    )
    with db.session() as session:
        return list(session.scalars(query))


def awaiting(db: Database, video_ids: list[int]) -> bool:
    """Whether one of these takes still has an automatic verdict to come (the board stays live until it is in)."""
    settled = exists().where(Review.video_id == NovelaVideo.id, Review.status != "reviewing")
    query = (
        select(NovelaVideo.id)
        .join(Novela, Novela.id == NovelaVideo.novela_id)
        .where(NovelaVideo.id.in_(video_ids), *_eligible(), ~settled)
        .limit(1)
    )
    with db.session() as session:
        return bool(video_ids) and session.scalar(query) is not None


def claim(db: Database, video_id: int, method: str) -> int | None:
    """The claimed review's id, or None when another process claimed this take first."""
    try:
        with db.write() as session:
            row = Review(video_id=video_id, method=method, status="reviewing", automatic=True)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def expire_stale(db: Database, now: datetime | None = None) -> int:
    """Mark claims left `reviewing` past STALE_AFTER as failed; returns how many."""
    cutoff = (now or datetime.now(UTC)) - STALE_AFTER
    with db.write() as session:
        done = session.execute(
            update(Review)
            .where(Review.automatic.is_(True), Review.status == "reviewing", Review.created_at < cutoff)
            .values(status="failed", error=INTERRUPTED)
        )
    return int(getattr(done, "rowcount", 0) or 0)


class AutoReviewer:
    def __init__(self, db: Database, storage: Storage, opinion: Opinion) -> None:
        self.db, self.storage, self.opinion = db, storage, opinion

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, storage: Storage) -> AutoReviewer:
        llm = (lambda: LlmClient.from_settings(settings, db)) if settings.openai_api_key else None
        return cls(db, storage, Opinion(llm, settings.openai_model))

    def run(self, stop: threading.Event, every_s: float = SWEEP_EVERY_S) -> None:
        """Sweep until `stop` is set; one failing sweep is logged and the next one tries again."""
        while not stop.is_set():
            try:
                self.sweep()
            except Exception:
                log.exception("automatic review sweep failed", extra={"step": "auto_review"})
            stop.wait(every_s)

    def sweep(self) -> list[Review]:
        expire_stale(self.db)
        return [result for video_id in due(self.db) if (result := self.review(video_id)) is not None]

    def review(self, video_id: int) -> Review | None:
        """Review one take unless another process has claimed it; every outcome is stored on the claim."""
        claimed = claim(self.db, video_id, self.opinion.method)
        if claimed is None:
            return None
        try:
            if reason := self._reason_to_skip(video_id):  # pricing may fail too (a model outside the GPT-5 family)
                return self._store(video_id, claimed, "skipped", reason)
            if self.opinion.llm:
                return review_with_gpt5(self.db, self.storage, self.opinion.llm(), video_id, claimed)
            return review.review_offline(self.db, self.storage, video_id, claimed)
        except review.ReviewUnavailable as exc:
            return self._store(video_id, claimed, "failed", str(exc))
        except Exception as exc:
            log.exception("automatic review failed", extra={"video_id": video_id, "step": "auto_review"})
            return self._store(video_id, claimed, "failed", f"The review stopped: {exc}")

    def _reason_to_skip(self, video_id: int) -> str | None:
        with self.db.session() as session:
            video = video_repo.get(session, video_id)
            if video is None:
                return "The take no longer exists."
            references = len(review.stored_references(scene_cast(session, video)))
            left = budget.available(video.novela)
        if references == 0:
            return "No one in this scene has a reference image to compare the take with."
        cost = self.opinion.estimate(references)
        if cost > ZERO and left is not None and left - spent(self.db, video.novela_id)[1] < cost:
            return f"A review costs about {usd(cost)}, more than this novela's budget has left."
        return None

    def _store(self, video_id: int, claimed: int, status: str, reason: str) -> Review:
        outcome = Review(video_id=video_id, method=self.opinion.method, status=status, error=reason, cost_usd=ZERO)
        return review.save(self.db, outcome, claimed)
