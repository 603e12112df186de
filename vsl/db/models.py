"""ORM models: the seed's five tables plus `llm_calls`, `llm_cache` and `job_events`.

Tables carry no schema here; on PostgreSQL the engine maps them into `DB_SCHEMA` (default `vsl_frontend`)
with `schema_translate_map`, so the same models and migrations serve SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vsl.db.types import JsonType, Money
from vsl.money import ZERO

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType, Decimal: Money()}


class Novela(Base):
    __tablename__ = "novelas"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    genre: Mapped[str] = mapped_column(String(60), default="")
    premise: Mapped[str] = mapped_column(Text, default="")
    target_episodes: Mapped[int] = mapped_column(Integer)
    scenes_per_episode: Mapped[int] = mapped_column(Integer)
    created_videos: Mapped[int] = mapped_column(Integer, default=0)
    total_cost: Mapped[Decimal] = mapped_column(default=ZERO)  # spent (settled actual costs)
    reserved_cost: Mapped[Decimal] = mapped_column(default=ZERO)  # held for jobs in flight
    estimated_cost: Mapped[Decimal] = mapped_column(default=ZERO)  # plan estimate at creation
    budget: Mapped[Decimal | None] = mapped_column(nullable=True)
    default_model_id: Mapped[str] = mapped_column(String(60))
    default_duration: Mapped[int] = mapped_column(Integer)
    default_resolution: Mapped[str] = mapped_column(String(20))
    default_parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reference_character_images: Mapped[list[Any]] = mapped_column(default=list)
    story_bible: Mapped[dict[str, Any]] = mapped_column(default=dict)
    master_seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="planning", index=True)
    # Reviews every take completed from then on (docs/adr/0010-automatic-review.md); None: reviews on a click.
    auto_review_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    videos: Mapped[list[NovelaVideo]] = relationship(back_populates="novela", passive_deletes=True)


class NovelaVideo(Base):
    """One take of one scene, and the generation job that makes it."""

    __tablename__ = "novela_videos"
    __table_args__ = (
        UniqueConstraint("novela_id", "episode_number", "scene_number", "take"),
        Index("ix_novela_videos_board", "novela_id", "episode_number", "scene_number"),
        Index("ix_novela_videos_due", "status", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    novela_id: Mapped[int] = mapped_column(ForeignKey("novelas.id", ondelete="CASCADE"))
    episode_number: Mapped[int] = mapped_column(Integer)
    scene_number: Mapped[int] = mapped_column(Integer)
    take: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200), default="")
    script_prompt: Mapped[str] = mapped_column(Text, default="")
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    scene_details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # camera, characters, cues, continuity
    model_id: Mapped[str] = mapped_column(String(60))
    model_parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    provider: Mapped[str | None] = mapped_column(String(30), nullable=True)
    client_request_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    failure_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    failure_provider: Mapped[str | None] = mapped_column(String(30), nullable=True)
    failure_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    output_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    s3_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    duration_seconds: Mapped[Decimal | None] = mapped_column(nullable=True)
    estimated_cost: Mapped[Decimal] = mapped_column(default=ZERO)
    reserved_cost: Mapped[Decimal] = mapped_column(default=ZERO)
    actual_cost: Mapped[Decimal | None] = mapped_column(nullable=True)
    created_by_agent: Mapped[str | None] = mapped_column(String(40), nullable=True)
    validated_by_agent: Mapped[str | None] = mapped_column(String(40), nullable=True)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)  # the take chosen for episode assembly
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)  # asked while no provider job id yet
    poll_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    novela: Mapped[Novela] = relationship(back_populates="videos")


class JobEvent(Base):
    """Every status change of a video job, with the raw provider payload that caused it."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("novela_videos.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class AgentMessage(Base):
    __tablename__ = "agent_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    from_agent: Mapped[str] = mapped_column(String(40))
    to_agent: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str] = mapped_column(String(20))  # request | response | broadcast | error
    action: Mapped[str] = mapped_column(String(60))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    novela_id: Mapped[int | None] = mapped_column(
        ForeignKey("novelas.id", ondelete="SET NULL"), nullable=True, index=True
    )
    video_id: Mapped[int | None] = mapped_column(ForeignKey("novela_videos.id", ondelete="SET NULL"), nullable=True)
    response_to: Mapped[int | None] = mapped_column(ForeignKey("agent_messages.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class UserChatMessage(Base):
    __tablename__ = "user_chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(20))  # user | assistant
    content: Mapped[str] = mapped_column(Text)
    novela_id: Mapped[int | None] = mapped_column(
        ForeignKey("novelas.id", ondelete="SET NULL"), nullable=True, index=True
    )
    video_id: Mapped[int | None] = mapped_column(ForeignKey("novela_videos.id", ondelete="SET NULL"), nullable=True)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MediaItem(Base):
    __tablename__ = "media_library"
    __table_args__ = (Index("ix_media_library_type_created", "media_type", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    s3_key: Mapped[str] = mapped_column(String(512), unique=True)
    s3_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_type: Mapped[str] = mapped_column(String(10))  # video | image | audio
    content_type: Mapped[str] = mapped_column(String(80), default="")
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    duration_seconds: Mapped[Decimal | None] = mapped_column(nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(20), default="generated")  # generated | assembled | synced
    novela_id: Mapped[int | None] = mapped_column(
        ForeignKey("novelas.id", ondelete="SET NULL"), nullable=True, index=True
    )
    video_id: Mapped[int | None] = mapped_column(
        ForeignKey("novela_videos.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    episode_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scene_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    thumbnail_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class LlmCall(Base):
    """One GPT-5 request: tokens, price and latency, for the agent log and cost totals."""

    __tablename__ = "llm_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent: Mapped[str] = mapped_column(String(40), index=True)
    model: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(60), default="")
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(default=ZERO)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    cached_response: Mapped[bool] = mapped_column(Boolean, default=False)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    novela_id: Mapped[int | None] = mapped_column(
        ForeignKey("novelas.id", ondelete="SET NULL"), nullable=True, index=True
    )
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LlmCache(Base):
    """Responses to identical non-chat requests, keyed by a hash of the whole request."""

    __tablename__ = "llm_cache"

    request_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(40))
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ── cast, keyframes and continuity reviews (issue 9; migration 0002_cast) ───────────────────────────────────
class Asset(Base):
    """A cast member of a novela: a character, a location or a prop, with the look every prompt carries."""

    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("novela_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    novela_id: Mapped[int] = mapped_column(ForeignKey("novelas.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # character | location | prop
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60))  # casefolded name: "@ana" and "@Ana" are one asset
    look: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class AssetImage(Base):
    """One reference image of an asset: uploaded, generated (by an image job) or carried over from the wizard."""

    __tablename__ = "asset_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(1024))  # media:<key> or an http(s) URL
    source: Mapped[str] = mapped_column(String(20), default="upload")  # upload | generated | wizard
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)  # the asset's reference for prompts
    video_id: Mapped[int | None] = mapped_column(ForeignKey("novela_videos.id", ondelete="SET NULL"), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SceneAsset(Base):
    """Who (or what) appears in one scene of a novela."""

    __tablename__ = "scene_assets"

    novela_id: Mapped[int] = mapped_column(ForeignKey("novelas.id", ondelete="CASCADE"), primary_key=True)
    episode_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    scene_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)


class Keyframe(Base):
    """A start or end frame of a scene: generated by an image job, uploaded, or chained from the previous scene."""

    __tablename__ = "keyframes"
    __table_args__ = (Index("ix_keyframes_scene", "novela_id", "episode_number", "scene_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    novela_id: Mapped[int] = mapped_column(ForeignKey("novelas.id", ondelete="CASCADE"))
    episode_number: Mapped[int] = mapped_column(Integer)
    scene_number: Mapped[int] = mapped_column(Integer)
    position: Mapped[str] = mapped_column(String(10), default="start")  # start | end
    source: Mapped[str] = mapped_column(String(20), default="generated")  # generated | chained | upload
    ref: Mapped[str | None] = mapped_column(String(1024), nullable=True)  # media:<key> once the image exists
    video_id: Mapped[int | None] = mapped_column(ForeignKey("novela_videos.id", ondelete="SET NULL"), nullable=True)
    from_video_id: Mapped[int | None] = mapped_column(  # chained: the take whose last frame this is
        ForeignKey("novela_videos.id", ondelete="SET NULL"), nullable=True
    )
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Review(Base):
    """A continuity review of one take: GPT-5's verdict on its frames, or the offline image measure."""

    __tablename__ = "reviews"
    __table_args__ = (  # one automatic review per take, whatever the number of processes (migration 0004)
        Index(
            "uq_reviews_automatic_video_id",
            "video_id",
            unique=True,
            sqlite_where=text("automatic"),
            postgresql_where=text("automatic"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("novela_videos.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # gpt-5 | offline-histogram
    status: Mapped[str] = mapped_column(String(20))  # reviewing | consistent | drifted | failed | skipped
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0..100
    verdict: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the schema's answer (or the measures)
    fix_prompt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cost_usd: Mapped[Decimal] = mapped_column(default=ZERO)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # started by the novela's opt-in, not a click
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ── voices and subtitles (issue 10; migration 0003_sound) ──────────────────────────────────────────────────
class SpeakerVoice(Base):
    """The voice one speaker of a novela talks with (speech-02-hd settings; espeak-ng follows them offline)."""

    __tablename__ = "speaker_voices"
    __table_args__ = (UniqueConstraint("novela_id", "speaker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    novela_id: Mapped[int] = mapped_column(ForeignKey("novelas.id", ondelete="CASCADE"))
    speaker: Mapped[str] = mapped_column(String(60))  # a character name or NARRATOR
    voice_id: Mapped[str] = mapped_column(String(200))
    speed: Mapped[float] = mapped_column(default=1.0)
    pitch: Mapped[int] = mapped_column(Integer, default=0)
    emotion: Mapped[str] = mapped_column(String(20), default="auto")
    language_boost: Mapped[str] = mapped_column(String(30), default="None")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class EpisodeSubtitles(Base):
    """The SRT and WebVTT files of an assembled episode in the media library."""

    __tablename__ = "episode_subtitles"

    media_id: Mapped[int] = mapped_column(ForeignKey("media_library.id", ondelete="CASCADE"), primary_key=True)
    srt_key: Mapped[str] = mapped_column(String(512))
    vtt_key: Mapped[str] = mapped_column(String(512))
    cues: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
