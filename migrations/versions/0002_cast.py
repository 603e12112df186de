"""cast: assets, asset images, scene links, keyframes, reviews; wizard characters become assets

Revision ID: 0002_cast
Revises: 0001
Create Date: 2026-12-02 14:25:08.189865
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from vsl.cast.legacy import wizard_assets

revision = "0002_cast"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("novela_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_key", sa.String(length=60), nullable=False),
        sa.Column("look", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"], ["novelas.id"], name=op.f("fk_assets_novela_id_novelas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("novela_id", "name_key", name=op.f("uq_assets_novela_id_name_key")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assets_novela_id"), ["novela_id"], unique=False)

    op.create_table(
        "asset_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=1024), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_images_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["novela_videos.id"], name=op.f("fk_asset_images_video_id_novela_videos"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_images")),
    )
    with op.batch_alter_table("asset_images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_images_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "keyframes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("novela_id", sa.Integer(), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("scene_number", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=1024), nullable=True),
        sa.Column("video_id", sa.Integer(), nullable=True),
        sa.Column("from_video_id", sa.Integer(), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_video_id"],
            ["novela_videos.id"],
            name=op.f("fk_keyframes_from_video_id_novela_videos"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["novela_id"], ["novelas.id"], name=op.f("fk_keyframes_novela_id_novelas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["novela_videos.id"], name=op.f("fk_keyframes_video_id_novela_videos"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyframes")),
    )
    with op.batch_alter_table("keyframes", schema=None) as batch_op:
        batch_op.create_index("ix_keyframes_scene", ["novela_id", "episode_number", "scene_number"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column(
            "verdict", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("fix_prompt", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cost_usd", sa.Numeric(12, 4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"], ["novela_videos.id"], name=op.f("fk_reviews_video_id_novela_videos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_video_id"), ["video_id"], unique=False)

    op.create_table(
        "scene_assets",
        sa.Column("novela_id", sa.Integer(), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("scene_number", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_scene_assets_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["novela_id"], ["novelas.id"], name=op.f("fk_scene_assets_novela_id_novelas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "novela_id", "episode_number", "scene_number", "asset_id", name=op.f("pk_scene_assets")
        ),
    )
    _characters_to_assets()


def _characters_to_assets() -> None:
    """Every novela's wizard characters (`reference_character_images`) become character assets."""
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(sa.select(_NOVELAS.c.id, _NOVELAS.c.reference_character_images)).all()
    for novela_id, characters in rows:
        for row in wizard_assets(characters):
            values = {"novela_id": novela_id, "kind": "character", "name": row.name, "name_key": row.key}
            result = conn.execute(_ASSETS.insert().values(**values, look=row.look, created_at=now, updated_at=now))
            if row.image:
                asset_id = result.inserted_primary_key[0]
                image = {"asset_id": asset_id, "ref": row.image, "source": "wizard", "chosen": True}
                conn.execute(_IMAGES.insert().values(**image, created_at=now))


_META = sa.MetaData()
_NOVELAS = sa.Table(
    "novelas", _META, sa.Column("id", sa.Integer, primary_key=True), sa.Column("reference_character_images", sa.JSON)
)
_ASSETS = sa.Table(
    "assets",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(c, sa.String) for c in ("kind", "name", "name_key", "look")),
    sa.Column("novela_id", sa.Integer),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
_IMAGES = sa.Table(
    "asset_images",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.Integer),
    sa.Column("ref", sa.String),
    sa.Column("source", sa.String),
    sa.Column("chosen", sa.Boolean),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)


def downgrade() -> None:
    op.drop_table("scene_assets")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_video_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("keyframes", schema=None) as batch_op:
        batch_op.drop_index("ix_keyframes_scene")

    op.drop_table("keyframes")
    with op.batch_alter_table("asset_images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_images_asset_id"))

    op.drop_table("asset_images")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_novela_id"))

    op.drop_table("assets")
