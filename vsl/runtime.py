"""Everything the app needs, built once from the settings: database, storage, providers, worker."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

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
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start_worker(self) -> None:
        """Run the job worker in a daemon thread (once)."""
        if self._thread and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self.worker.run, args=(self._stop,), name="vsl-worker", daemon=True)
        self._thread.start()

    @property
    def worker_running(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
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
