"""auto review: a novela's opt-in to reviewing each new take, and at most one automatic review per take

Revision ID: 0004_auto_review
Revises: 0003_sound
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0004_auto_review"
down_revision = "0003_sound"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """ALTER TABLE takes no schema_translate_map: name the PostgreSQL schema (migrations/env.py) outright."""
    return context.config.attributes.get("schema")


def upgrade() -> None:
    schema = _schema()
    op.add_column("novelas", sa.Column("auto_review_since", sa.DateTime(timezone=True)), schema=schema)
    op.add_column(
        "reviews", sa.Column("automatic", sa.Boolean(), nullable=False, server_default=sa.false()), schema=schema
    )
    op.create_index(
        "uq_reviews_automatic_video_id",
        "reviews",
        ["video_id"],
        unique=True,
        schema=schema,
        sqlite_where=sa.text("automatic"),
        postgresql_where=sa.text("automatic"),
    )


def downgrade() -> None:
    schema = _schema()
    op.drop_index("uq_reviews_automatic_video_id", table_name="reviews", schema=schema)
    # Plain DROP COLUMN (SQLite >= 3.35), not a batch copy: on SQLite a batch drops and recreates `novelas`, and
    # with foreign keys on, dropping it cascades to every take and review.
    op.drop_column("reviews", "automatic", schema=schema)
    op.drop_column("novelas", "auto_review_since", schema=schema)
