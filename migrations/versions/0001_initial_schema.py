"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:36:04.537034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_cache",
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_hash", name=op.f("pk_llm_cache")),
    )
    op.create_table(
        "novelas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("genre", sa.String(length=60), nullable=False),
        sa.Column("premise", sa.Text(), nullable=False),
        sa.Column("target_episodes", sa.Integer(), nullable=False),
        sa.Column("scenes_per_episode", sa.Integer(), nullable=False),
        sa.Column("created_videos", sa.Integer(), nullable=False),
        sa.Column("total_cost", sa.Numeric(12, 4), nullable=False),
        sa.Column("reserved_cost", sa.Numeric(12, 4), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(12, 4), nullable=False),
        sa.Column("budget", sa.Numeric(12, 4), nullable=True),
        sa.Column("default_model_id", sa.String(length=60), nullable=False),
        sa.Column("default_duration", sa.Integer(), nullable=False),
        sa.Column("default_resolution", sa.String(length=20), nullable=False),
        sa.Column(
            "default_parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "reference_character_images",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "story_bible",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("master_seed", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_novelas")),
    )
    with op.batch_alter_table("novelas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_novelas_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_novelas_status"), ["status"], unique=False)

    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(12, 4), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("cached_response", sa.Boolean(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("novela_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"],
            ["novelas.id"],
            name=op.f("fk_llm_calls_novela_id_novelas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_calls")),
    )
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_calls_agent"), ["agent"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_llm_calls_conversation_id"),
            ["conversation_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_llm_calls_novela_id"), ["novela_id"], unique=False)

    op.create_table(
        "novela_videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("novela_id", sa.Integer(), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("scene_number", sa.Integer(), nullable=False),
        sa.Column("take", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("script_prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column(
            "scene_details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model_id", sa.String(length=60), nullable=False),
        sa.Column(
            "model_parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=30), nullable=True),
        sa.Column("client_request_id", sa.String(length=64), nullable=True),
        sa.Column("job_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("failure_stage", sa.String(length=20), nullable=True),
        sa.Column("failure_provider", sa.String(length=30), nullable=True),
        sa.Column("failure_code", sa.String(length=60), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("output_url", sa.Text(), nullable=True),
        sa.Column("s3_key", sa.String(length=512), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=512), nullable=True),
        sa.Column("duration_seconds", sa.Numeric(12, 4), nullable=True),
        sa.Column("estimated_cost", sa.Numeric(12, 4), nullable=False),
        sa.Column("reserved_cost", sa.Numeric(12, 4), nullable=False),
        sa.Column("actual_cost", sa.Numeric(12, 4), nullable=True),
        sa.Column("created_by_agent", sa.String(length=40), nullable=True),
        sa.Column("validated_by_agent", sa.String(length=40), nullable=True),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("poll_attempts", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"],
            ["novelas.id"],
            name=op.f("fk_novela_videos_novela_id_novelas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_novela_videos")),
        sa.UniqueConstraint("client_request_id", name=op.f("uq_novela_videos_client_request_id")),
        sa.UniqueConstraint(
            "novela_id",
            "episode_number",
            "scene_number",
            "take",
            name=op.f("uq_novela_videos_novela_id_episode_number_scene_number_take"),
        ),
    )
    with op.batch_alter_table("novela_videos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_novela_videos_board",
            ["novela_id", "episode_number", "scene_number"],
            unique=False,
        )
        batch_op.create_index("ix_novela_videos_due", ["status", "next_poll_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_novela_videos_job_id"), ["job_id"], unique=False)

    op.create_table(
        "agent_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("from_agent", sa.String(length=40), nullable=False),
        sa.Column("to_agent", sa.String(length=40), nullable=False),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("novela_id", sa.Integer(), nullable=True),
        sa.Column("video_id", sa.Integer(), nullable=True),
        sa.Column("response_to", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"],
            ["novelas.id"],
            name=op.f("fk_agent_messages_novela_id_novelas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["response_to"],
            ["agent_messages.id"],
            name=op.f("fk_agent_messages_response_to_agent_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["novela_videos.id"],
            name=op.f("fk_agent_messages_video_id_novela_videos"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_messages")),
    )
    with op.batch_alter_table("agent_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_messages_conversation_id"),
            ["conversation_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_agent_messages_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_messages_novela_id"), ["novela_id"], unique=False)

    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["novela_videos.id"],
            name=op.f("fk_job_events_video_id_novela_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
    )
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_events_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_events_video_id"), ["video_id"], unique=False)

    op.create_table(
        "media_library",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("s3_key", sa.String(length=512), nullable=False),
        sa.Column("s3_url", sa.Text(), nullable=True),
        sa.Column("media_type", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.Numeric(12, 4), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("novela_id", sa.Integer(), nullable=True),
        sa.Column("video_id", sa.Integer(), nullable=True),
        sa.Column("episode_number", sa.Integer(), nullable=True),
        sa.Column("scene_number", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.String(length=128), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=512), nullable=True),
        sa.Column("thumbnail_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"],
            ["novelas.id"],
            name=op.f("fk_media_library_novela_id_novelas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["novela_videos.id"],
            name=op.f("fk_media_library_video_id_novela_videos"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_library")),
        sa.UniqueConstraint("s3_key", name=op.f("uq_media_library_s3_key")),
        sa.UniqueConstraint("video_id", name=op.f("uq_media_library_video_id")),
    )
    with op.batch_alter_table("media_library", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_library_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_library_novela_id"), ["novela_id"], unique=False)
        batch_op.create_index("ix_media_library_type_created", ["media_type", "created_at"], unique=False)

    op.create_table(
        "user_chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("novela_id", sa.Integer(), nullable=True),
        sa.Column("video_id", sa.Integer(), nullable=True),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["novela_id"],
            ["novelas.id"],
            name=op.f("fk_user_chat_messages_novela_id_novelas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["novela_videos.id"],
            name=op.f("fk_user_chat_messages_video_id_novela_videos"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_chat_messages")),
    )
    with op.batch_alter_table("user_chat_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_chat_messages_novela_id"), ["novela_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_chat_messages_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_chat_messages_session_id"))
        batch_op.drop_index(batch_op.f("ix_user_chat_messages_novela_id"))

    op.drop_table("user_chat_messages")
    with op.batch_alter_table("media_library", schema=None) as batch_op:
        batch_op.drop_index("ix_media_library_type_created")
        batch_op.drop_index(batch_op.f("ix_media_library_novela_id"))
        batch_op.drop_index(batch_op.f("ix_media_library_created_at"))

    op.drop_table("media_library")
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_events_video_id"))
        batch_op.drop_index(batch_op.f("ix_job_events_created_at"))

    op.drop_table("job_events")
    with op.batch_alter_table("agent_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_messages_novela_id"))
        batch_op.drop_index(batch_op.f("ix_agent_messages_created_at"))
        batch_op.drop_index(batch_op.f("ix_agent_messages_conversation_id"))

    op.drop_table("agent_messages")
    with op.batch_alter_table("novela_videos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_novela_videos_job_id"))
        batch_op.drop_index("ix_novela_videos_due")
        batch_op.drop_index("ix_novela_videos_board")

    op.drop_table("novela_videos")
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_calls_novela_id"))
        batch_op.drop_index(batch_op.f("ix_llm_calls_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_llm_calls_agent"))

    op.drop_table("llm_calls")
    with op.batch_alter_table("novelas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_novelas_status"))
        batch_op.drop_index(batch_op.f("ix_novelas_created_at"))

    op.drop_table("novelas")
    op.drop_table("llm_cache")
