"""The worker: one loop that advances every active video job, safe to run in several processes at once.

Jobs are claimed by writing a lease (`next_poll_at = now + lease`) in a short transaction (`FOR UPDATE SKIP
LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite); the worker then talks to providers outside any transaction and
writes the outcome in a new transaction that re-checks the row. While it works on a take it keeps renewing the
lease (`vsl.jobs.leases`), so a slow call is not taken for a crash. A worker that dies mid-flight leaves leases
that simply expire; the next worker resumes those jobs. A job found in `submitting` after its lease expired
becomes `unknown`, and is then recovered as its provider's declared `submit_recovery` allows
(docs/adr/0001-submit-recovery.md): resubmitted with the same request id a bounded number of times, or looked up
by its request id, and only then handed to a person.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from vsl.cast import keyframes
from vsl.catalog import actual_video_cost, get_catalog
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import Novela, NovelaVideo, utcnow
from vsl.jobs import budget, costs, transitions
from vsl.jobs.leases import LeaseKeeper
from vsl.jobs.outputs import StageError, StoredOutput
from vsl.jobs.poller import (
    POLLED_IN_BATCHES,
    Polled,
    Poller,
    PollerConfig,
    Schedule,
    record_finished,
    record_progress,
)
from vsl.jobs.purposes import purpose_of  # video take or image job: docs/adr/0004-image-jobs.md
from vsl.jobs.states import ACTIVE, JobStatus
from vsl.money import ZERO
from vsl.providers.base import (
    PROVIDER_PAGE,
    JobSnapshot,
    Provider,
    ProviderConflict,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderState,
    ProviderValidationError,
    SubmitOutcomeUnknown,
    SubmitRecovery,
)
from vsl.providers.registry import ProviderRegistry
from vsl.storage.base import Storage

log = logging.getLogger(__name__)
MAX_SUBMIT_TRIES = 5
MAX_STORE_TRIES = 3
MAX_RECOVERY_TRIES = 3  # same-id resubmissions or look-ups of a submit of unknown outcome before a person is asked
WINDOW_MARGIN_S = 3600.0  # a same-id resubmission is made only this long before the provider's window closes
STOP_GRACE_S = 5.0  # a stopping worker waits this long for its calls in flight, then abandons them
LATE_ANSWER = {"submitting", "unknown", "needs_attention"}  # where a submit's answer (with a job id) is recorded
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
        self._leases = LeaseKeeper(self._transaction, self.config.lease_s, clock)
        self.abandoned: list[int] = []  # takes whose calls were still in flight when `close` gave up on them
        self._closed = False
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

    def close(self, grace_s: float | None = None) -> None:
        """Stop the pool; with `grace_s`, wait at most that long for calls in flight, then abandon them.

        An abandoned take keeps its status (every status is resumable) and its lease is released at once, so
        another worker picks it up without waiting for the lease to expire. The caller then exits the process
        (`abandoned` is not empty), since the threads stuck in a call cannot be interrupted.
        """
        if self._closed:
            return
        self._closed = True
        self._poller.close()
        if grace_s is None:
            self._pool.shutdown(wait=True)
            self._leases.stop()
            return
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_s
        while self._leases.held and time.monotonic() < deadline:
            time.sleep(0.05)
        self.abandoned = self._leases.release()
        if self.abandoned:
            log.warning("stopped with takes %s still inside a call; their leases were released", self.abandoned)

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
        now, until = self.clock(), self._leases.until()
        with self._transaction() as session:
            rows = video_repo.claim(session, [JobStatus.RESERVED.value], now, limit)
            if len(rows) < limit:
                rows += video_repo.claim(session, PER_JOB, now, limit - len(rows))
            for video in rows:
                video.next_poll_at = until
        for video in rows:
            self._leases.hold(video.id, until)
        return rows

    def _advance_safely(self, video: NovelaVideo) -> None:
        try:
            self._handle(video)
        except Exception:
            log.exception("advancing job %s failed; it will be retried after its lease", video.id)
        finally:
            self._leases.drop(video.id)

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

    def _lease(self, video: NovelaVideo) -> None:
        """Lease the take for a call about to be made (renewed while the call lasts)."""
        video.next_poll_at = self._leases.until()
        self._leases.hold(video.id, video.next_poll_at)

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
            _settle(session, novela, video, charged)  # type: ignore[arg-type]
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
            if self._paused(session, row) or self._awaiting_chain(session, row):
                return
            transitions.move(session, row, "submitting", f"submitting to {row.provider}")
            self._lease(row)
            request = purpose_of(row).request(session, row, self.storage)
        try:
            snap = self.registry.get(video.provider or "local").submit(request)
        except ProviderError as exc:
            self._submit_failed(video, exc)
            return
        self._write(video.id, LATE_ANSWER, lambda s, v: self._accepted(s, v, snap))

    def _paused(self, session: Session, video: NovelaVideo) -> bool:
        """Hold a take waiting to be submitted while its novela's spending is past the budget (not accepted)."""
        novela = novela_repo.get(session, video.novela_id)
        if novela is None or not costs.over_budget(novela) or costs.overspend_accepted(session, video):
            return False
        if not costs.already_paused(session, video):
            transitions.note(session, video, costs.pause_message(novela), {costs.PAUSED: True})
        video.next_poll_at = self.clock() + timedelta(seconds=self.config.poll_max_s)
        return True

    def _awaiting_chain(self, session: Session, video: NovelaVideo) -> bool:
        """Hold a chained take until a take of its previous scene, already on its way, has finished: it starts
        from that take's last frame ("rest of episode" on a continuous sequence renders it in order; ADR 0009)."""
        before = keyframes.chain_pending(session, video)
        if before is None:
            return False
        message = f"waiting for E{before[0]} S{before[1]} to finish, to start from its last frame"
        events = video_repo.events(session, video.id)
        if not events or events[-1].message != message:
            transitions.note(session, video, message)
        video.next_poll_at = self.clock() + timedelta(seconds=self.config.poll_min_s)
        return True

    def _cancel_before_submit(self, session: Session, video: NovelaVideo) -> None:
        self._release(session, video)
        transitions.move(session, video, "canceled", "canceled by the user before submission")

    def _accepted(self, session: Session, video: NovelaVideo, snap: JobSnapshot, how: str = "") -> None:
        """Record the job id a submit returned, whenever its answer arrives (see LATE_ANSWER)."""
        if video.status != JobStatus.SUBMITTING and not how:
            how = f"a late answer to an earlier submit (the take was {video.status})"
        now = self.clock()
        video.job_id = snap.job_id
        video.submitted_at = now
        if snap.web_url:  # the job's page at the provider (Replicate's urls.web), for the board to link
            video.scene_details = {**(video.scene_details or {}), PROVIDER_PAGE: snap.web_url}
        video.poll_attempts = 0
        limit = get_catalog().get(video.model_id).max_runtime_s
        video.deadline_at = now + timedelta(seconds=limit)
        target = "running" if snap.state == ProviderState.RUNNING else "queued"
        said = f"accepted by {video.provider} as job {snap.job_id}" + (f": {how}" if how else "")
        transitions.move(session, video, target, said, snap.raw)
        video.next_poll_at = now if snap.state.terminal or video.cancel_requested else self._later(0)

    def _submit_failed(self, video: NovelaVideo, exc: ProviderError) -> None:
        payload = {"http_status": exc.http_status, "code": exc.code, "payload": _safe(exc.payload)}

        def apply(session: Session, row: NovelaVideo) -> None:
            if isinstance(exc, SubmitOutcomeUnknown):
                transitions.move(session, row, "unknown", str(exc), payload)
                row.poll_attempts = 0  # from here on it counts recovery tries
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
            row.poll_attempts = 0
            row.next_poll_at = self.clock()

        self._write(video.id, {"submitting"}, apply)

    def _reconcile(self, video: NovelaVideo) -> None:
        """A submit of unknown outcome: recover it as the provider's declared promise allows (ADR 0001)."""
        provider = self.registry.get(video.provider or "local")
        if provider.submit_recovery == SubmitRecovery.SAME_ID:
            self._resubmit(video, provider)
        else:
            self._look_up(video, provider)

    def _resubmit(self, video: NovelaVideo, provider: Provider) -> None:
        """SAME_ID: send the same request again; the provider answers with the job the first one created."""
        with self._transaction() as session:
            row = video_repo.get(session, video.id, lock=True)
            if row is None or row.status != JobStatus.UNKNOWN:
                return
            reason = self._no_resubmit_reason(session, row, provider)
            if reason:
                _ask(session, row, reason)
                return
            row.poll_attempts += 1
            message = (
                f"resubmitting with the same request id (try {row.poll_attempts} of {MAX_RECOVERY_TRIES}): "
                f"{row.provider} returns the job an earlier submit created, so it cannot charge twice"
            )
            transitions.note(session, row, message, {"recovery": "resubmit"})
            self._lease(row)
            request = purpose_of(row).request(session, row, self.storage)
        try:
            snap = provider.submit(request)
        except ProviderError as exc:
            self._recovery_failed(video, exc)
            return
        how = "resubmitted with the same request id, which returns the job of the first submit"
        self._write(video.id, LATE_ANSWER, lambda s, v: self._accepted(s, v, snap, how))

    def _no_resubmit_reason(self, session: Session, video: NovelaVideo, provider: Provider) -> str | None:
        if video.poll_attempts >= MAX_RECOVERY_TRIES:
            return f"resubmitted {video.poll_attempts} times with the same request id without a usable answer"
        window = provider.resubmit_window_s
        first = next((e.created_at for e in video_repo.events(session, video.id) if e.to_status == "submitting"), None)
        if window is None or first is None:
            return None
        age = (self.clock() - self._aware(first)).total_seconds()
        if age > window - WINDOW_MARGIN_S:
            return (
                f"first submitted {age / 3600:.1f} h ago, too close to the end of the provider's "
                f"{window / 3600:g}-hour window for resubmitting with the same request id"
            )
        return None

    def _recovery_failed(self, video: NovelaVideo, exc: ProviderError) -> None:
        """A resubmission failed: try again later while the outcome stays unknown; a refusal means no job exists."""
        payload = {"http_status": exc.http_status, "code": exc.code, "payload": _safe(exc.payload)}

        def apply(session: Session, row: NovelaVideo) -> None:
            if isinstance(exc, ProviderValidationError):
                # The same request id would have returned the job had the first submit created one.
                self._fail(session, row, "submit", exc.message, exc.code, payload=payload)
            elif isinstance(exc, SubmitOutcomeUnknown) or exc.retryable:
                wait = exc.retry_after if isinstance(exc, ProviderRateLimited) else None
                transitions.note(session, row, f"{exc}; will try again", payload)
                row.next_poll_at = self._later(row.poll_attempts, wait)
            else:
                _ask(session, row, f"the resubmission was refused: {exc}", payload)

        self._write(video.id, {"unknown"}, apply)

    def _look_up(self, video: NovelaVideo, provider: Provider) -> None:
        """RECONCILE: adopt the job found by the request id, else ask.

        A take only reaches `unknown` when the failed call may have created a charge (a refused connection, a 429
        or a 4xx are retried or failed in `_submit_failed` before that), so a take not found is never resubmitted
        here: a person decides.
        """
        try:
            snap = provider.find_submission(video.client_request_id or "")
        except ProviderError as exc:
            self._look_up_failed(video, exc)
            return
        if snap is None:
            reason = (
                f"{video.provider} has no job carrying this request id, but the submit may have reached it "
                "(and been charged)"
            )
            self._write(video.id, {"unknown"}, lambda s, v: _ask(s, v, reason))
            return
        how = f"found at {video.provider} by its request id and adopted (not resubmitted)"
        self._write(video.id, LATE_ANSWER, lambda s, v: self._accepted(s, v, snap, how))

    def _look_up_failed(self, video: NovelaVideo, exc: ProviderError) -> None:
        def apply(session: Session, row: NovelaVideo) -> None:
            row.poll_attempts += 1
            if exc.retryable and row.poll_attempts < MAX_RECOVERY_TRIES:
                transitions.note(session, row, f"looking the submission up failed: {exc}; will try again")
                row.next_poll_at = self._later(row.poll_attempts)
            else:
                _ask(session, row, f"the submission could not be looked up: {exc}")

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
        return video.deadline_at is not None and self.clock() > self._aware(video.deadline_at)

    def _aware(self, moment: datetime) -> datetime:
        """`moment` with the clock's time zone (SQLite returns naive datetimes)."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.clock().tzinfo)

    def _apply(self, video: NovelaVideo, snap: JobSnapshot) -> None:
        if snap.state == ProviderState.SUCCEEDED:
            moved = video.status == "storing" or self._write(
                video.id, {"queued", "running"}, lambda s, v: record_finished(s, v, snap)
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

    def _canceled(self, session: Session, video: NovelaVideo, snap: JobSnapshot) -> None:
        if snap.cost:  # it ran before the cancel: GPU-time models bill the compute used (Replicate predict_time)
            budget.settle(novela_repo.get(session, video.novela_id, lock=True), video, snap.cost)  # type: ignore[arg-type]
        else:
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
            out = purpose_of(video).store(video, snap, self.storage)
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
        purpose_of(video).record(session, video, out)
        video.s3_key = out.key
        video.thumbnail_key = out.thumbnail_key
        video.output_url = snap.output_url
        video.duration_seconds = out.duration_s
        video.progress = 100
        video.completed_at = self.clock()
        video.next_poll_at = None
        _settle(session, novela, video, self._actual_cost(video, snap, out.duration_s))  # type: ignore[arg-type]
        novela.created_videos += purpose_of(video).counts_as_video  # type: ignore[union-attr]
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


def _settle(session: Session, novela: Novela, video: NovelaVideo, actual: Decimal) -> None:
    """Settle the charge; one off its estimate by more than a few percent is said on the take."""
    budget.settle(novela, video, actual)
    off = costs.deviation_of(video)
    if off is not None:
        ratio = {"estimate": str(off.estimate), "actual": str(off.actual), "ratio": f"{off.ratio:.3f}"}
        transitions.note(session, video, off.sentence(), {"cost_deviation": ratio})


def _ask(session: Session, video: NovelaVideo, reason: str, payload: dict[str, Any] | None = None) -> None:
    """Hand a submit of unknown outcome to a person, saying why it could not be recovered by itself."""
    message = f"{reason}; choose to resubmit with the same request id or to mark it failed"
    transitions.move(session, video, "needs_attention", message, {**(payload or {}), "reason": reason})
    video.next_poll_at = None


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
