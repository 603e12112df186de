"""Apply or roll back the Alembic revisions in `migrations/` on a `Database`, programmatically."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from vsl.config import PROJECT_ROOT
from vsl.db.engine import Database

MIGRATIONS = PROJECT_ROOT / "migrations"


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["schema"] = db.schema
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = _config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def downgrade(db: Database, revision: str = "base") -> None:
    cfg = _config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def pending(db: Database) -> bool:
    """True when the database is behind the newest revision."""
    head = ScriptDirectory.from_config(_config(db)).get_current_head()
    with db.engine.connect() as conn:
        opts = {"version_table_schema": db.schema} if db.schema else {}
        current = MigrationContext.configure(conn, opts=opts).get_current_revision()
    return current != head
