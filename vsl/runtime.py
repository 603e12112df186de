"""Everything the app needs, built once from the settings: database, storage, providers, worker, reviewer."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from vsl.agents.auto_review import AutoReviewer
from vsl.config import Settings, load_settings
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.jobs.poller import PollerConfig
from vsl.jobs.worker import Worker, WorkerConfig
from vsl.providers.registry import ProviderRegistry
from vsl.storage.base import Storage
from vsl.storage.factory import make_storage

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    storage: Storage
    registry: ProviderRegistry
    worker: Worker
    reviewer: AutoReviewer = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _reviewing: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.reviewer = AutoReviewer.from_settings(self.settings, self.db, self.storage)

    def start_worker(self) -> None:
        """Run the job worker and the automatic reviewer in daemon threads (once)."""
        self.start_reviewer()
        if self._thread and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self.worker.run, args=(self._stop,), name="vsl-worker", daemon=True)
        self._thread.start()

    def start_reviewer(self) -> None:
        """Review the takes of opted-in novelas as they complete (docs/adr/0010-automatic-review.md)."""
        if self._reviewing and self._reviewing.is_alive():
            return
        self._reviewing = threading.Thread(
            target=self.reviewer.run, args=(self._stop,), name="vsl-reviewer", daemon=True
        )
        self._reviewing.start()

    @property
    def worker_running(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def close(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._reviewing):
            if thread:
                thread.join(timeout=10)
        self.worker.close()
        self.registry.close()
        self.db.dispose()


def build_runtime(settings: Settings | None = None, *, start_worker: bool | None = None) -> Runtime:
    """Open the database (applying pending migrations), storage and providers; start the worker if configured."""
    settings = settings or load_settings()
    db = Database.from_settings(settings)
    migrate.upgrade(db)
    storage = make_storage(settings)
    registry = ProviderRegistry(settings)
    config = WorkerConfig(
        concurrency=settings.worker_concurrency,
        poll_min_s=settings.poll_min_s,
        poll_max_s=settings.poll_max_s,
        lease_s=settings.worker_lease_s,
    )
    polling = PollerConfig(requests_per_min={"lambda": settings.lambda_requests_per_min})
    runtime = Runtime(settings, db, storage, registry, Worker(db, registry, storage, config, polling=polling))
    if settings.embedded_worker if start_worker is None else start_worker:
        runtime.start_worker()
    return runtime
