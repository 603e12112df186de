"""The worker: one loop that advances every active video job, safe to run in several processes at once.

Jobs are claimed by writing a lease (`next_poll_at = now + lease`) in a short transaction (`FOR UPDATE SKIP
LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite); the worker then talks to providers outside any transaction and
writes the outcome in a new transaction that re-checks the row. A worker that dies mid-flight leaves leases that
simply expire; the next worker resumes those jobs. A job found in `submitting` after its lease expired is never
resubmitted: it becomes `unknown`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from vsl.catalog import actual_video_cost, get_catalog
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo, utcnow
from vsl.jobs import budget, transitions
from vsl.jobs.outputs import StageError, StoredOutput, record_media, store_output
from vsl.jobs.poller import POLLED_IN_BATCHES, Polled, Poller, PollerConfig, Schedule, record_progress
from vsl.jobs.requests import build_request
from vsl.jobs.states import ACTIVE, JobStatus
from vsl.money import ZERO
from vsl.providers.base import (
    JobSnapshot,
    ProviderConflict,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderState,
    SubmitOutcomeUnknown,
)
from vsl.providers.registry import ProviderRegistry
from vsl.storage.base import Storage

log = logging.getLogger(__name__)
MAX_SUBMIT_TRIES = 5
MAX_STORE_TRIES = 3
POLLED = [s.value for s in ACTIVE if s != JobStatus.RESERVED]  # active statuses other than "waiting to submit"
PER_JOB = [s for s in POLLED if s not in POLLED_IN_BATCHES]  # the rest are polled in batches (vsl.jobs.poller)


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int = 4
    poll_min_s: float = 3.0
    poll_max_s: float = 30.0
    lease_s: float = 90.0
    idle_s: float = 1.0


class Worker:
    def __init__(
        self,
        db: Database,
        registry: ProviderRegistry,
        storage: Storage,
        config: WorkerConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        polling: PollerConfig | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.storage = storage
        self.config = config or WorkerConfig()
        self.clock = clock
        self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="vsl-job")
        # SQLite has one writer at a time: this process's threads queue here instead of in SQLite's busy handler,
        # whose back-off sleeps (up to 100 ms each) would otherwise throttle a busy worker.
        self._sqlite_writer = threading.Lock() if db.is_sqlite else None
        schedule = Schedule(self.config.poll_min_s, self.config.poll_max_s, self.config.lease_s)
        self._poller = Poller(db, registry, schedule, polling or PollerConfig(), clock, self._transaction)

    # ── the loop ──────────────────────────────────────────────────────────────────────────────────
    def step(self) -> int:
        """Claim due jobs and advance each once; returns how many were advanced."""
        handed = self._poller.round()  # first, so that a job submitted in this step is not polled in it too
        list(self._pool.map(self._advance_polled, handed))
        claimed = self._claim(self.config.concurrency * 4)
        list(self._pool.map(self._advance_safely, claimed))
        return len(claimed) + self._poller.claimed

    def run(self, stop: threading.Event) -> None:
        """Keep up to `concurrency` jobs advancing until `stop` is set.

        Slots are refilled as jobs finish, so one slow job (a download, a thumbnail) never holds back the polls
        of the others, as waiting for a whole batch would; claims wait for a quarter of the slots to be free,
        so that claiming (a write transaction) does not cost as much as the work it hands out.
        """
        running: set[Future[None]] = set()
        refill_at = max(1, self.config.concurrency // 4)
        self._poller.start(stop, partial(self._pool.submit, self._advance_polled), self.config.idle_s)
        while not stop.is_set():
            free = self.config.concurrency - len(running)
            if free >= refill_at or not running:
                running |= {self._pool.submit(self._advance_safely, v) for v in self._claim_or_none(free)}
            if running:
                _, running = wait(running, timeout=self.config.idle_s, return_when=FIRST_COMPLETED)
            else:
                stop.wait(self.config.idle_s)

    def close(self) -> None:
        self._poller.close()
        self._pool.shutdown(wait=True)

    def _claim_or_none(self, limit: int) -> list[NovelaVideo]:
        try:
            return self._claim(limit)
        except Exception:  # a database outage must not kill the loop
            log.exception("claiming jobs failed; trying again shortly")
            return []

    def _claim(self, limit: int) -> list[NovelaVideo]:
        """Lease up to `limit` due jobs to this worker (another worker skips them until the lease ends).

        Confirmed takes waiting to be submitted come first: the user is waiting for them to start, and polls of
        jobs already at the provider must not hold them back when the worker is busy. The rows are returned as
        read in the claim, so advancing them needs no second read.
        """
        now = self.clock()
        with self._transaction() as session:
            rows = video_repo.claim(session, [JobStatus.RESERVED.value], now, limit)
            if len(rows) < limit:
                rows += video_repo.claim(session, PER_JOB, now, limit - len(rows))
            for video in rows:
                video.next_poll_at = now + timedelta(seconds=self.config.lease_s)
            return rows

    def _advance_safely(self, video: NovelaVideo) -> None:
        try:
            self._handle(video)
        except Exception:
            log.exception("advancing job %s failed; it will be retried after its lease", video.id)

    def _advance_polled(self, polled: Polled) -> None:
        """A job the poller asked about and hands back: finished, failed, late, in error, or to cancel."""
        try:
            if polled.result is None:
                self._poll(polled.video)
            else:
                self._polled(polled.video, polled.result)
        except Exception:
            log.exception("advancing job %s failed; it will be retried after its lease", polled.video.id)

    def advance(self, video_id: int) -> None:
        """Move one job along by one step, whatever its lease (the loop only advances the jobs it claimed)."""
        with self.db.session() as session:
            video = video_repo.get(session, video_id)
        if video is not None:
            self._handle(video)

    def _handle(self, video: NovelaVideo) -> None:
        handler = {
            JobStatus.RESERVED: self._submit,
            JobStatus.SUBMITTING: self._submission_lost,
            JobStatus.UNKNOWN: self._reconcile,
            JobStatus.QUEUED: self._poll,
            JobStatus.RUNNING: self._poll,
            JobStatus.STORING: self._poll,
        }.get(JobStatus(video.status))
        if handler:
            handler(video)

    # ── helpers that write ────────────────────────────────────────────────────────────────────────
    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """`Database.write()`, taken in turn by this process's threads on SQLite."""
        with self._sqlite_writer or nullcontext(), self.db.write() as session:
            yield session

    def _write(self, video_id: int, expect: set[str], fn: Callable[[Session, NovelaVideo], Any]) -> bool:
        """Run `fn` on the locked row if its status is still one of `expect` (the user may have acted)."""
        with self._transaction() as session:
            video = video_repo.get(session, video_id, lock=True)
            if video is None or video.status not in expect:
                return False
            fn(session, video)
            return True

    def _later(self, attempts: int, floor_s: float | None = None) -> datetime:
        delay = min(self.config.poll_max_s, self.config.poll_min_s * (1.5**attempts))
        return self.clock() + timedelta(seconds=max(delay, floor_s or 0))

    def _release(self, session: Session, video: NovelaVideo) -> None:
        budget.release(novela_repo.get(session, video.novela_id, lock=True), video)  # type: ignore[arg-type]

    def _fail(
        self,
        session: Session,
        video: NovelaVideo,
        stage: str,
        message: str,
        code: str | None = None,
        charged: Decimal | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        novela = novela_repo.get(session, video.novela_id, lock=True)
        if charged:
            budget.settle(novela, video, charged)  # type: ignore[arg-type]
        else:
            budget.release(novela, video)  # type: ignore[arg-type]
        transitions.fail(
            session, video, stage=stage, provider=video.provider, message=message, code=code, payload=payload
        )

    # ── submit ────────────────────────────────────────────────────────────────────────────────────
    def _submit(self, video: NovelaVideo) -> None:
        with self._transaction() as session:
            row = video_repo.get(session, video.id, lock=True)
            if row is None or row.status != JobStatus.RESERVED:
                return
            if row.cancel_requested and not _maybe_sent(session, row):
                self._cancel_before_submit(session, row)
                return
            transitions.move(session, row, "submitting", f"submitting to {row.provider}")
            row.next_poll_at = self.clock() + timedelta(seconds=self.config.lease_s)
            request = build_request(session, row)
        try:
            snap = self.registry.get(video.provider or "local").submit(request)
        except ProviderError as exc:
            self._submit_failed(video, exc)
            return
        self._write(video.id, {"submitting"}, lambda s, v: self._accepted(s, v, snap))

    def _cancel_before_submit(self, session: Session, video: NovelaVideo) -> None:
        self._release(session, video)
        transitions.move(session, video, "canceled", "canceled by the user before submission")

    def _accepted(self, session: Session, video: NovelaVideo, snap: JobSnapshot) -> None:
        now = self.clock()
        video.job_id = snap.job_id
        video.submitted_at = now
        video.poll_attempts = 0
        limit = get_catalog().get(video.model_id).max_runtime_s
        video.deadline_at = now + timedelta(seconds=limit)
        target = "running" if snap.state == ProviderState.RUNNING else "queued"
        transitions.move(session, video, target, f"accepted by {video.provider} as job {snap.job_id}", snap.raw)
        video.next_poll_at = now if snap.state.terminal or video.cancel_requested else self._later(0)

    def _submit_failed(self, video: NovelaVideo, exc: ProviderError) -> None:
        payload = {"http_status": exc.http_status, "code": exc.code, "payload": _safe(exc.payload)}

        def apply(session: Session, row: NovelaVideo) -> None:
            if isinstance(exc, SubmitOutcomeUnknown):
                transitions.move(session, row, "unknown", str(exc), payload)
                row.next_poll_at = self.clock()
            elif exc.retryable and row.poll_attempts + 1 < MAX_SUBMIT_TRIES:
                row.poll_attempts += 1
                wait = exc.retry_after if isinstance(exc, ProviderRateLimited) else None
                transitions.move(session, row, "reserved", f"{exc}; will retry", payload)
                row.next_poll_at = self._later(row.poll_attempts, wait)
            else:
                self._fail(session, row, "submit", exc.message, exc.code, payload=payload)

        self._write(video.id, {"submitting"}, apply)

    def _submission_lost(self, video: NovelaVideo) -> None:
        """Found in `submitting` after its lease: the worker died mid-submit, so the outcome is unknown."""

        def apply(session: Session, row: NovelaVideo) -> None:
            transitions.move(session, row, "unknown", "the app stopped while submitting; outcome unknown")
            row.next_poll_at = self.clock()

        self._write(video.id, {"submitting"}, apply)

    def _reconcile(self, video: NovelaVideo) -> None:
        """Local renders are free and keyed by request id, so they simply go again; paid ones wait for the user."""

        def apply(session: Session, row: NovelaVideo) -> None:
            if row.provider == "local":
                transitions.move(session, row, "needs_attention", "local render outcome unknown")
                transitions.move(session, row, "reserved", "local renders are free: submitting again")
                row.next_poll_at = self.clock()
            else:
                transitions.move(
                    session,
                    row,
                    "needs_attention",
                    "the provider may or may not have accepted this job; choose to resubmit with the "
                    "same request id or to mark it failed",
                )
                row.next_poll_at = None

        self._write(video.id, {"unknown"}, apply)

    # ── poll and store ────────────────────────────────────────────────────────────────────────────
    def _poll(self, video: NovelaVideo) -> None:
        if video.cancel_requested and video.status in {"queued", "running"}:
            self._cancel_requested(video)
            return
        self._check(video)

    def _check(self, video: NovelaVideo) -> None:
        """Ask the provider for the job's status (one request) and act on the answer."""
        result: JobSnapshot | ProviderError
        try:
            result = self.registry.get(video.provider or "local").status(video.job_id or "")
        except ProviderError as exc:
            result = exc
        self._polled(video, result)

    def _polled(self, video: NovelaVideo, result: JobSnapshot | ProviderError) -> None:
        """Act on a status answer (`_check`'s, or the poller's)."""
        if isinstance(result, ProviderNotFound):
            message, code = result.message, result.code
            self._write(
                video.id,
                {"queued", "running", "storing"},
                lambda s, v: self._fail(s, v, "status", message, code),
            )
        elif isinstance(result, ProviderError):
            self._status_error(video, result)
        else:
            self._apply(video, result)

    def _status_error(self, video: NovelaVideo, exc: ProviderError) -> None:
        def apply(session: Session, row: NovelaVideo) -> None:
            if self._past_deadline(row):
                # A take being stored had finished at the provider, so it was charged: its estimate stands in.
                charged = row.reserved_cost if row.status == JobStatus.STORING else None
                message = f"no answer from {row.provider} before the deadline: {exc}"
                self._fail(session, row, "status", message, charged=charged)
                return
            row.poll_attempts += 1
            transitions.note(session, row, f"{exc}; will check again", {"http_status": exc.http_status})
            row.next_poll_at = self._later(row.poll_attempts)

        self._write(video.id, {"queued", "running", "storing"}, apply)

    def _past_deadline(self, video: NovelaVideo) -> bool:
        deadline = video.deadline_at
        if deadline is None:
            return False
        if deadline.tzinfo is None:  # SQLite returns naive datetimes
            deadline = deadline.replace(tzinfo=self.clock().tzinfo)
        return self.clock() > deadline

    def _apply(self, video: NovelaVideo, snap: JobSnapshot) -> None:
        if snap.state == ProviderState.SUCCEEDED:
            moved = video.status == "storing" or self._write(
                video.id, {"queued", "running"}, lambda s, v: self._to_storing(s, v, snap)
            )
            if moved:
                self._store(video.id, snap)
        elif snap.state == ProviderState.FAILED:
            self._write(
                video.id,
                {"queued", "running"},
                lambda s, v: self._fail(
                    s,
                    v,
                    "generate",
                    snap.error_message or "no reason given",
                    snap.error_code,
                    snap.cost,
                    snap.raw,
                ),
            )
        elif snap.state == ProviderState.CANCELED:
            self._write(video.id, {"queued", "running"}, lambda s, v: self._canceled(s, v, snap))
        elif self._past_deadline(video):
            self._stuck(video, snap)
        else:
            plan = self._poller.next_poll
            self._write(video.id, {"queued", "running"}, lambda s, v: record_progress(s, v, snap, plan))

    def _to_storing(self, session: Session, video: NovelaVideo, snap: JobSnapshot) -> None:
        video.poll_attempts = 0  # from here on it counts store tries
        transitions.move(session, video, "storing", "finished at the provider; saving", snap.raw)

    def _canceled(self, session: Session, video: NovelaVideo, snap: JobSnapshot) -> None:
        self._release(session, video)
        transitions.move(session, video, "canceled", f"canceled at {video.provider}", snap.raw)

    def _stuck(self, video: NovelaVideo, snap: JobSnapshot) -> None:
        """Past the model's max runtime: mark failed, then (outside the transaction) cancel it at the provider."""
        minutes = get_catalog().get(video.model_id).max_runtime_s // 60
        message = f"still not finished after {minutes} minutes; treated as stuck"
        failed = self._write(
            video.id,
            {"queued", "running"},
            lambda s, v: self._fail(s, v, "status", message, "timeout", payload=snap.raw),
        )
        if failed:
            try:
                self.registry.get(video.provider or "local").cancel(video.job_id or "")
            except ProviderError:
                log.info("could not cancel stuck job %s", video.job_id)

    def _cancel_requested(self, video: NovelaVideo) -> None:
        """The user asked to cancel before the job id was known; now it is, so cancel at the provider."""
        try:
            snap = self.registry.get(video.provider or "local").cancel(video.job_id or "")
        except ProviderConflict:  # it finished first: store what was paid for, like any finished job
            self._check(video)
            return
        except ProviderError as exc:  # the job may still run (and charge): try again later
            self._status_error(video, exc)
            return
        self._apply(video, snap)

    def _store(self, video_id: int, snap: JobSnapshot) -> None:
        with self.db.session() as session:
            video = video_repo.get(session, video_id)
        if video is None or video.status != "storing":
            return
        try:
            out = store_output(video, snap, self.storage)
        except StageError as exc:
            self._store_failed(video_id, snap, exc)
            return
        self._write(video_id, {"storing"}, lambda s, v: self._complete(s, v, snap, out))

    def _store_failed(self, video_id: int, snap: JobSnapshot, exc: StageError) -> None:
        def apply(session: Session, row: NovelaVideo) -> None:
            row.poll_attempts += 1
            if row.poll_attempts >= MAX_STORE_TRIES:
                self._fail(session, row, exc.stage, exc.message, charged=self._actual_cost(row, snap, None))
                return
            transitions.note(session, row, f"{exc.stage} failed: {exc.message}; will retry")
            row.next_poll_at = self._later(row.poll_attempts)

        self._write(video_id, {"storing"}, apply)

    def _complete(self, session: Session, video: NovelaVideo, snap: JobSnapshot, out: StoredOutput) -> None:
        # The novela is locked before the media row is inserted: that insert's foreign key share-locks the novela,
        # and two takes completing at once would then deadlock upgrading their share locks (PostgreSQL).
        novela = novela_repo.get(session, video.novela_id, lock=True)
        record_media(session, video, out)
        video.s3_key = out.key
        video.thumbnail_key = out.thumbnail_key
        video.output_url = snap.output_url
        video.duration_seconds = out.duration_s
        video.progress = 100
        video.completed_at = self.clock()
        video.next_poll_at = None
        budget.settle(novela, video, self._actual_cost(video, snap, out.duration_s))  # type: ignore[arg-type]
        novela.created_videos += 1  # type: ignore[union-attr]
        if out.warning:
            transitions.note(session, video, out.warning)
        transitions.move(session, video, "completed", f"stored as {out.key}")

    def _actual_cost(self, video: NovelaVideo, snap: JobSnapshot, duration: Decimal | None) -> Decimal:
        if video.provider == "local":
            return ZERO
        if snap.cost is not None:
            return snap.cost
        return actual_video_cost(
            video.model_id, video.model_parameters, output_seconds=duration, predict_time=snap.predict_time
        )


def _maybe_sent(session: Session, video: NovelaVideo) -> bool:
    """Whether an earlier submit of this take may have reached the provider (its outcome was unknown).

    Such a take is back in `reserved` only because the user chose to resubmit it with the same request id:
    a pending cancel must then wait for the job id that resubmission returns, or the job would run unseen.
    """
    return any(e.to_status == JobStatus.UNKNOWN for e in video_repo.events(session, video.id))


def _safe(payload: Any) -> Any:
    """Keep raw payloads JSON-serialisable for job_events."""
    if payload is None or isinstance(payload, (str, int, float, bool, list, dict)):
        return payload
    return str(payload)
