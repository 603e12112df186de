"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, settings, media folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg
from tests.fakes.s3_server import fresh_bucket, moto_server  # shared S3 fixtures
from vsl.config import Settings, load_settings
from vsl.db import migrate
from vsl.db.engine import Database

IN_CI = os.environ.get("CI", "").lower() == "true"
__all__ = ["fresh_bucket", "moto_server"]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    try:
        with pg.server_url() as url:
            yield url
    except Exception as exc:  # no server and no binaries: skip locally, fail in CI
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


def _migrated(url: str) -> Database:
    db = Database(url, schema="vsl_frontend")
    migrate.upgrade(db)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated database; every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        database = _migrated(f"sqlite:///{tmp_path / 'vsl.db'}")
        yield database
        database.dispose()
        return
    admin = request.getfixturevalue("pg_admin_url")
    with pg.throwaway_database(admin) as url:
        database = _migrated(url)
        yield database
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """SQLite only, for tests about behaviour that does not depend on the backend."""
    database = _migrated(f"sqlite:///{tmp_path / 'vsl.db'}")
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-mode settings pointing at a temporary database and media folder."""
    return load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "MEDIA_DIR": str(tmp_path / "media")})
