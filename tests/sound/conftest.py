"""Fixtures for sound tests: the embedded stack (local preview, local storage, a fast Worker) on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jobs.conftest import job_settings
from tests.jobs.test_pipeline_local import FAST, LocalStack
from vsl.db.engine import Database
from vsl.jobs.worker import Worker
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage


@pytest.fixture
def sqlite_stack(sqlite_db: Database, tmp_path: Path) -> Iterator[LocalStack]:
    registry = ProviderRegistry(job_settings(tmp_path))
    storage = LocalStorage(tmp_path / "media")
    worker = Worker(sqlite_db, registry, storage, FAST)
    yield LocalStack(registry, storage, worker)
    worker.close()
    registry.close()
