"""Batched status polling of the jobs at a provider (docs/adr/0007-batched-polling.md).

One round: claim a batch of due `queued`/`running` jobs in one transaction (the same lease the worker writes),
ask their status concurrently over the providers' pooled keep-alive sessions (one list call per page where the
provider offers `status_many`, else one status request per job, within each provider's rate limit), and write
every job still in progress in one transaction, together with the `storing` move of every job that finished (so
the row shows the provider's change at once, not after the worker's queue of downloads and thumbnails). A row is
written only if it is still in the state and under the lease this round claimed it with (the lease time doubles as
a token), so a round that outlived its lease never overwrites a worker that took the job over. Everything else
(a finished job to store, failed, past its deadline, a status error, a cancel to send) is handed back to the
worker, which advances it one job at a time as before.

The next poll is planned from each model's run times learned from history (`RunTimes`): not before the
fastest usual finish, densely (`poll_min_s`) while the job may finish, backing off once it is later than usual.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.jobs import transitions
from vsl.providers.base import JobSnapshot, ProviderError, ProviderState, supports_status_many
from vsl.providers.registry import ProviderRegistry

log = logging.getLogger(__name__)
POLLED_IN_BATCHES = ("queued", "running")
MIN_SAMPLES = 5  # finished takes of a model before its history shapes the schedule
HISTORY_ROWS = 2000  # the most recent completed takes read for `RunTimes`


@dataclass(frozen=True)
class PollerConfig:
    batch: int = 100  # jobs claimed per round, of providers asked one job at a time
    list_batch: int = 1000  # jobs claimed per round, of providers that list many jobs per request
    threads: int = 8  # concurrent status calls (each provider's session pools that many connections)
    requests_per_min: Mapping[str, float] = field(default_factory=dict)  # per provider name; absent: no limit
    history_refresh_s: float = 60.0


@dataclass(frozen=True)
class Schedule:
    """The worker's poll settings the plan works within."""

    poll_min_s: float
    poll_max_s: float
    lease_s: float


@dataclass(frozen=True)
class Polled:
    """A claimed job and its status answer; `result` None means the worker's per-job path (a cancel to send)."""

    video: NovelaVideo
    result: JobSnapshot | ProviderError | None


class RateLimiter:
    """At most `per_min` calls in any minute (a token bucket holding a second's worth); `acquire` waits its turn."""

    def __init__(
        self,
        per_min: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.capacity = max(1.0, per_min / 60.0)
        self.rate = max(per_min - self.capacity, 1.0) / 60.0  # so that no 60 s window holds more than per_min
        self._tokens = self.capacity
        self._at = clock()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self, count: int = 1) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= count  # below zero is a reservation: the caller waits until it is paid back
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait:
            self._sleep(wait)


class RunTimes:
    """Each model's run times (submitted → completed) over its recent completed takes, read now and then."""

    def __init__(self, db: Database, refresh_s: float) -> None:
        self._db = db
        self._refresh_s = refresh_s
        self._read_at = -math.inf
        self._by_model: dict[str, list[float]] = {}

    def window(self, model_id: str) -> tuple[float, float] | None:
        """(p10, p90) of the model's run times in seconds, or None while there are too few samples."""
        if time.monotonic() - self._read_at >= self._refresh_s:
            self._read()
        times = self._by_model.get(model_id)
        if not times or len(times) < MIN_SAMPLES:
            return None
        return times[int(0.1 * (len(times) - 1))], times[int(0.9 * (len(times) - 1))]

    def _read(self) -> None:
        stmt = (
            select(NovelaVideo.model_id, NovelaVideo.submitted_at, NovelaVideo.completed_at)
            .where(NovelaVideo.status == "completed", NovelaVideo.submitted_at.is_not(None))
            .order_by(NovelaVideo.completed_at.desc())
            .limit(HISTORY_ROWS)
        )
        by_model: dict[str, list[float]] = defaultdict(list)
        with self._db.session() as session:
            for model_id, submitted, completed in session.execute(stmt):
                if completed is not None:
                    by_model[model_id].append((completed - submitted).total_seconds())
        self._by_model = {model: sorted(times) for model, times in by_model.items()}
        self._read_at = time.monotonic()


class Poller:
    def __init__(
        self,
        db: Database,
        registry: ProviderRegistry,
        schedule: Schedule,
        config: PollerConfig,
        clock: Callable[[], datetime],
        transaction: Callable[[], AbstractContextManager[Session]],
    ) -> None:
        self.db = db
        self.registry = registry
        self.schedule = schedule
        self.config = config
        self.clock = clock
        self._transaction = transaction  # the worker's write transaction (serialised per process on SQLite)
        self._pool = ThreadPoolExecutor(config.threads, thread_name_prefix="vsl-poll")
        self._limits: dict[str, RateLimiter | None] = {}
        self._listing: set[str] = set()  # providers seen to offer `status_many`: claimed in batches of their own
        self._thread: threading.Thread | None = None
        self.run_times = RunTimes(db, config.history_refresh_s)
        self.claimed = 0  # jobs the last round claimed

    def start(self, stop: threading.Event, hand_off: Callable[[Polled], None], idle_s: float) -> None:
        """Run poll rounds in a thread of their own until `stop` is set (`close` waits for it)."""
        self._thread = threading.Thread(target=self._run, args=(stop, hand_off, idle_s), name="vsl-poller")
        self._thread.start()

    def _run(self, stop: threading.Event, hand_off: Callable[[Polled], None], idle_s: float) -> None:
        while not stop.is_set():
            try:
                self.round(hand_off)
            except Exception:  # a database outage must not end polling
                log.exception("a polling round failed; trying again shortly")
                stop.wait(idle_s)
                continue
            if not self.claimed:
                stop.wait(idle_s)

    def round(self, hand_off: Callable[[Polled], None] | None = None) -> list[Polled]:
        """One batch: claim, ask, write the jobs still in progress. What the worker must advance goes to
        `hand_off` as soon as its answer is in (so a finished job never waits for the rest of the batch), or
        without one is returned at the end."""
        lease, rows = self._claim()
        self.claimed = len(rows)
        handed: list[Polled] = []
        in_progress: list[tuple[NovelaVideo, JobSnapshot]] = []
        succeeded: list[tuple[NovelaVideo, JobSnapshot]] = []

        def give(polled: Polled) -> None:
            if hand_off is not None:
                hand_off(polled)
            else:
                handed.append(polled)

        def settle(video: NovelaVideo, result: JobSnapshot | ProviderError | None) -> None:
            if isinstance(result, JobSnapshot) and not result.state.terminal and not self._late(video):
                in_progress.append((video, result))
            elif isinstance(result, JobSnapshot) and result.state == ProviderState.SUCCEEDED:
                succeeded.append((video, result))  # moved to `storing` in the round's write, then handed off
            else:
                give(Polled(video, result))

        for video in rows:
            if video.cancel_requested:
                settle(video, None)
        self._ask([v for v in rows if not v.cancel_requested], settle)
        if in_progress or succeeded:
            for stored in self._write(lease, in_progress, succeeded):
                give(stored)
        return handed

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)

    # ── claim ─────────────────────────────────────────────────────────────────────────────────────
    def _claim(self) -> tuple[datetime, list[NovelaVideo]]:
        now = self.clock()
        lease = now + timedelta(seconds=self.schedule.lease_s)
        listing = sorted(self._listing)
        with self._transaction() as session:
            rows = video_repo.claim(session, POLLED_IN_BATCHES, now, self.config.batch, (listing, False))
            if listing:
                rows += video_repo.claim(session, POLLED_IN_BATCHES, now, self.config.list_batch, (listing, True))
            for video in rows:
                video.next_poll_at = lease
        return lease, rows

    # ── ask ───────────────────────────────────────────────────────────────────────────────────────
    def _ask(self, videos: Sequence[NovelaVideo], settle: Callable[[NovelaVideo, Any], None]) -> None:
        """Every job's snapshot or error, to `settle` as it comes: through list calls where the provider has
        them, else one call per job (concurrently)."""
        single: list[NovelaVideo] = []
        for name, group in _by_provider(videos).items():
            provider = self.registry.get(name)
            if supports_status_many(provider):
                self._listing.add(name)
            found = self._ask_many(name, group) if supports_status_many(provider) and len(group) > 1 else {}
            for video in group:
                if video.job_id in found:
                    settle(video, found[video.job_id])
                else:
                    single.append(video)
        asking = {self._pool.submit(self._ask_one, video): video for video in single}
        for answered in as_completed(asking):
            settle(asking[answered], answered.result())

    def _ask_many(self, name: str, group: list[NovelaVideo]) -> dict[str | None, JobSnapshot]:
        provider = self.registry.get(name)
        pages = math.ceil(len(group) / provider.status_page_size) + 1
        self._throttle(name, pages)
        try:
            return dict(provider.status_many([v.job_id or "" for v in group], max_pages=pages))
        except ProviderError as exc:  # the list failed: the jobs are asked one by one instead
            log.info("listing %s jobs failed (%s); asking each", name, exc)
            return {}

    def _ask_one(self, video: NovelaVideo) -> JobSnapshot | ProviderError:
        name = video.provider or "local"
        self._throttle(name, 1)
        try:
            return self.registry.get(name).status(video.job_id or "")
        except ProviderError as exc:
            return exc

    def _throttle(self, name: str, requests: int) -> None:
        if name not in self._limits:  # the setting, else what the provider declares, else no limit
            per_min = self.config.requests_per_min.get(name) or getattr(self.registry.get(name), "requests_per_min", 0)
            self._limits[name] = RateLimiter(per_min) if per_min else None
        limit = self._limits[name]
        if limit is not None:
            limit.acquire(requests)

    def _late(self, video: NovelaVideo) -> bool:
        deadline = video.deadline_at
        if deadline is None:
            return False
        now = self.clock()
        return now > (deadline if deadline.tzinfo else deadline.replace(tzinfo=now.tzinfo))

    # ── write ─────────────────────────────────────────────────────────────────────────────────────
    def _write(
        self,
        lease: datetime,
        answers: list[tuple[NovelaVideo, JobSnapshot]],
        succeeded: list[tuple[NovelaVideo, JobSnapshot]],
    ) -> list[Polled]:
        """One transaction: reschedule (and update progress of) every job still under this round's lease;
        a job that started gets its `running` event; a job that finished moves to `storing`, and is returned for
        the worker to store. Rows another worker took over are left alone."""
        started = [(v, s) for v, s in answers if _starts(v, s)]
        quiet = [(v, s) for v, s in answers if not _starts(v, s)]
        to_store: list[Polled] = []
        with self._transaction() as session:
            if quiet:
                session.execute(_RESCHEDULE, [self._reschedule(lease, v, s) for v, s in quiet])
            for video, snap in started:
                row = video_repo.get(session, video.id, lock=True)
                if row is not None and row.status == "queued" and _same_time(row.next_poll_at, lease):
                    record_progress(session, row, snap, self.next_poll)
            for video, snap in succeeded:
                row = video_repo.get(session, video.id, lock=True)
                if row is not None and row.status in POLLED_IN_BATCHES and _same_time(row.next_poll_at, lease):
                    record_finished(session, row, snap)
                    to_store.append(Polled(row, snap))
        return to_store

    def _reschedule(self, lease: datetime, video: NovelaVideo, snap: JobSnapshot) -> dict[str, object]:
        video.poll_attempts += 1
        progress = video.progress if snap.progress is None else max(0, min(99, snap.progress))
        return {
            "b_id": video.id,
            "b_lease": lease,
            "b_status": video.status,
            "b_next": self.next_poll(video),
            "b_progress": progress,
        }

    def next_poll(self, video: NovelaVideo) -> datetime:
        """When to ask about an unfinished job again (after `video.poll_attempts` unchanged answers)."""
        s, now = self.schedule, self.clock()
        backoff = min(s.poll_max_s, s.poll_min_s * 1.5**video.poll_attempts)
        window = self.run_times.window(video.model_id)
        submitted = video.submitted_at
        if window is None or submitted is None:
            return now + timedelta(seconds=backoff)
        elapsed = (now - (submitted if submitted.tzinfo else submitted.replace(tzinfo=now.tzinfo))).total_seconds()
        first, usual_last = window
        if elapsed < first:  # not yet: wait for the fastest usual finish (still looking now and then)
            delay = min(s.poll_max_s, max(s.poll_min_s, first - elapsed))
        elif elapsed <= usual_last * 1.25:  # it may finish any moment
            delay = s.poll_min_s
        else:  # later than usual: back off as without history
            delay = backoff
        return now + timedelta(seconds=delay)


def record_progress(
    session: Session, video: NovelaVideo, snap: JobSnapshot, plan: Callable[[NovelaVideo], datetime]
) -> None:
    """An unfinished job's answer on its locked row: its `running` event, progress, and next poll by `plan`."""
    if _starts(video, snap):
        transitions.move(session, video, "running", "started", snap.raw)
    if snap.progress is not None:
        video.progress = max(0, min(99, snap.progress))
    video.poll_attempts += 1
    video.next_poll_at = plan(video)


def record_finished(session: Session, video: NovelaVideo, snap: JobSnapshot) -> None:
    """A job that finished at the provider, on its locked row: to `storing` (its output is saved next)."""
    video.poll_attempts = 0  # from here on it counts store tries
    transitions.move(session, video, "storing", "finished at the provider; saving", snap.raw)


def _starts(video: NovelaVideo, snap: JobSnapshot) -> bool:
    return snap.state == ProviderState.RUNNING and video.status == "queued"


_VIDEOS = NovelaVideo.__table__
_RESCHEDULE = (  # Core, not ORM: executemany over the batch, the lease time as a token in the WHERE
    update(_VIDEOS)
    .where(
        _VIDEOS.c.id == bindparam("b_id"),
        _VIDEOS.c.status == bindparam("b_status"),
        _VIDEOS.c.next_poll_at == bindparam("b_lease"),
    )
    .values(
        next_poll_at=bindparam("b_next"),
        progress=bindparam("b_progress"),
        poll_attempts=_VIDEOS.c.poll_attempts + 1,
        updated_at=_VIDEOS.c.updated_at,  # a reschedule is no change a reader needs to see
    )
)


def _by_provider(videos: Sequence[NovelaVideo]) -> dict[str, list[NovelaVideo]]:
    groups: dict[str, list[NovelaVideo]] = defaultdict(list)
    for video in videos:
        groups[video.provider or "local"].append(video)
    return groups


def _same_time(stored: datetime | None, lease: datetime) -> bool:
    if stored is None:
        return False
    return (stored if stored.tzinfo else stored.replace(tzinfo=lease.tzinfo)) == lease
