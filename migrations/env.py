"""Alembic environment: run by `vsl.db.migrate` with a live connection; the same revisions serve both backends."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from vsl.db.models import Base

config = context.config
connection = config.attributes["connection"]
schema = config.attributes.get("schema")

if schema:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.commit()
    connection = connection.execution_options(schema_translate_map={None: schema})

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table_schema=schema,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
