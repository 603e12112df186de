"""What the Cast page and the board's scene cards show: assets with their images, scenes with cast and frames."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.cast import repo
from vsl.cast.keyframes import chain_is_stale, keyframe
from vsl.cast.prompts import scene_cast
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import Asset, AssetImage, Keyframe, NovelaVideo, Review


@dataclass(frozen=True)
class AssetView:
    asset: Asset
    images: list[AssetImage]  # chosen first
    in_flight: int  # image jobs of this asset not finished yet


@dataclass(frozen=True)
class SceneView:
    take: NovelaVideo  # the latest take of the scene
    cast: list[str]  # asset names, most relevant first
    start_frame: Keyframe | None
    pending_frame: Keyframe | None  # generated but not approved yet
    end_frame: Keyframe | None  # approved; sent as `last_frame` on models that take one
    pending_end_frame: Keyframe | None
    chained: bool
    stale: bool
    review: Review | None  # the latest review of the latest take


def assets(db: Database, novela_id: int) -> list[AssetView]:
    with db.session() as session:
        rows = repo.assets(session, novela_id)
        pictures = repo.images(session, [a.id for a in rows])
        jobs = video_repo.scene_takes(session, novela_id, repo.CAST_EPISODE, 0)
        waiting = [j for j in jobs if j.status not in ("completed", "failed", "canceled")]
        return [
            AssetView(a, pictures[a.id], sum(1 for j in waiting if j.scene_details.get("asset_id") == a.id))
            for a in rows
        ]


def _where(take: NovelaVideo) -> tuple[int, int, int]:
    return take.novela_id, take.episode_number, take.scene_number


def latest_review(session: Session, video_id: int) -> Review | None:
    return session.scalars(select(Review).where(Review.video_id == video_id).order_by(Review.id.desc())).first()


def _frames(session: Session, take: NovelaVideo, position: str) -> tuple[Keyframe | None, Keyframe | None]:
    """The approved frame at `position` and a proposal newer than it (older proposals were passed over)."""
    approved = keyframe(session, *_where(take), position)
    pending = keyframe(session, *_where(take), position, approved=False)
    return approved, pending if pending is not None and (approved is None or pending.id > approved.id) else None


def scene(db: Database, take: NovelaVideo) -> SceneView:
    with db.session() as session:
        start, pending_start = _frames(session, take, "start")
        end, pending_end = _frames(session, take, "end")
        return SceneView(
            take=take,
            cast=[m.asset.name for m in scene_cast(session, take)],
            start_frame=start,
            pending_frame=pending_start,
            end_frame=end,
            pending_end_frame=pending_end,
            chained=bool(take.scene_details.get("chain") or take.scene_details.get("chained_from")),
            stale=chain_is_stale(session, take),
            review=latest_review(session, take.id),
        )


def scenes(db: Database, novela_id: int, episode: int) -> list[SceneView]:
    with db.session() as session:
        takes = video_repo.episode_takes(session, novela_id, episode)
    latest: dict[int, NovelaVideo] = {}
    for take in takes:
        latest[take.scene_number] = take
    return [scene(db, t) for _, t in sorted(latest.items())]
