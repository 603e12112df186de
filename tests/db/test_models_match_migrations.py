"""The ORM models and the migrations describe the same schema: a column, index or table added to one and not the
other shows up here (Alembic's own comparison, on a database built by the migrations)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from vsl.db.engine import Database
from vsl.db.models import Base


def test_the_migrated_schema_is_the_models_schema(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        # Types are left out: SQLite reflects FLOAT for the models' Double, the same REAL storage.
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert differences == []
