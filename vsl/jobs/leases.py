"""A worker keeps the leases of the takes it is working on for as long as it works on them (ADR 0003).

A lease is the take's `next_poll_at` pushed `lease_s` ahead by the worker that claimed it. A call to a provider
can outlast it (a submit answered after 31 s, retries with back-off), so a heartbeat thread renews every lease
this worker still holds every `lease_s / 3` seconds (docs/adr/0003-lease-during-calls.md). A renewal only
touches a row whose `next_poll_at` is still the lease this worker wrote: once the worker has written the take's
next poll time, or another worker has taken the row over, the heartbeat leaves it alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from vsl.db.models import NovelaVideo

log = logging.getLogger(__name__)
Transaction = Callable[[], AbstractContextManager[Session]]


class LeaseKeeper:
    def __init__(self, transaction: Transaction, lease_s: float, clock: Callable[[], datetime]) -> None:
        self._transaction = transaction
        self._lease = timedelta(seconds=lease_s)
        self._interval = lease_s / 3
        self._clock = clock
        self._held: dict[int, datetime] = {}  # video id -> the lease this worker last wrote
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def until(self) -> datetime:
        """The end of a lease taken now."""
        return self._clock() + self._lease

    def hold(self, video_id: int, until: datetime) -> None:
        """Record that this worker wrote `until` as the take's lease (in a transaction about to commit)."""
        with self._lock:
            self._held[video_id] = until
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="vsl-lease", daemon=True)
                self._thread.start()

    def drop(self, video_id: int) -> None:
        with self._lock:
            self._held.pop(video_id, None)

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._held)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.renew()
            except Exception:  # a database outage: leases may lapse; late answers are still recorded
                log.exception("renewing leases failed; trying again shortly")

    def renew(self) -> int:
        """Push every lease still held `lease_s` ahead; returns how many were renewed."""
        return self._rewrite(self.until())

    def release(self) -> list[int]:
        """Stop renewing and make the takes still held due now, so that another worker resumes them at once."""
        self._stop.set()
        with self._lock:
            ids = sorted(self._held)
        self._rewrite(self._clock())
        with self._lock:
            self._held.clear()
        return ids

    def stop(self) -> None:
        self._stop.set()

    def _rewrite(self, until: datetime) -> int:
        with self._lock:
            held = sorted(self._held.items())
        if not held:
            return 0
        renewed = []
        with self._transaction() as session:
            for video_id, lease in held:
                stmt = (
                    update(NovelaVideo)
                    .where(NovelaVideo.id == video_id, NovelaVideo.next_poll_at == lease)
                    .values(next_poll_at=until)
                    .execution_options(synchronize_session=False)
                )
                if session.execute(stmt).rowcount:
                    renewed.append((video_id, lease))
        with self._lock:
            for video_id, lease in renewed:
                if self._held.get(video_id) == lease:
                    self._held[video_id] = until
        return len(renewed)
