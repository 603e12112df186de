"""Engine and sessions.

SQLite: WAL, a busy timeout and foreign keys; transactions that must serialise (budget reservation, job claims)
open with `BEGIN IMMEDIATE`. PostgreSQL: tables live in `DB_SCHEMA` through `schema_translate_map`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from vsl.config import Settings

IMMEDIATE = "vsl_immediate"


class Database:
    """One engine and its session factories; `session()` reads, `write()` serialises writers."""

    def __init__(self, url: str, schema: str = "vsl_frontend") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.schema = None if self.is_sqlite else schema
        self.engine = _make_engine(url, self.schema)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(self.engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, settings.db_schema)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Like `session()`, but takes the write lock up front on SQLite (BEGIN IMMEDIATE).

        Use it for read-check-write sequences such as the budget check, so two writers cannot both pass the check.
        On PostgreSQL lock the rows with `with_for_update()` inside it.
        """
        with self._writers() as session, session.begin():
            yield session

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, schema: str | None) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return engine.execution_options(schema_translate_map={None: schema})


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the begin hook below emit BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
