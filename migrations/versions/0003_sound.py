"""sound: voices per speaker and the subtitles of assembled episodes

Revision ID: 0003_sound
Revises: 0002_cast
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sound"
down_revision = "0002_cast"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speaker_voices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("novela_id", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=60), nullable=False),
        sa.Column("voice_id", sa.String(length=200), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("pitch", sa.Integer(), nullable=False),
        sa.Column("emotion", sa.String(length=20), nullable=False),
        sa.Column("language_boost", sa.String(length=30), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"], ["novelas.id"], name=op.f("fk_speaker_voices_novela_id_novelas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speaker_voices")),
        sa.UniqueConstraint("novela_id", "speaker", name=op.f("uq_speaker_voices_novela_id_speaker")),
    )
    op.create_table(
        "episode_subtitles",
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("srt_key", sa.String(length=512), nullable=False),
        sa.Column("vtt_key", sa.String(length=512), nullable=False),
        sa.Column("cues", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media_library.id"],
            name=op.f("fk_episode_subtitles_media_id_media_library"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", name=op.f("pk_episode_subtitles")),
    )


def downgrade() -> None:
    op.drop_table("episode_subtitles")
    op.drop_table("speaker_voices")
