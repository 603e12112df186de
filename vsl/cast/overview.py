"""What the Cast page and the board's scene cards show: assets with their images, scenes with cast and frames."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.cast import repo
from vsl.cast.keyframes import FrameKey, chain_is_stale, chosen_before, latest_keyframes
from vsl.cast.prompts import NovelaCast, cast_of, novela_cast
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


def _where(take: NovelaVideo) -> tuple[int, int]:
    return take.episode_number, take.scene_number


def latest_reviews(session: Session, video_ids: Collection[int]) -> dict[int, Review]:
    """take id → its latest review, for the takes that have one."""
    stmt = select(Review).where(Review.video_id.in_(video_ids)).order_by(Review.id)
    return {r.video_id: r for r in session.scalars(stmt)}


@dataclass
class _Episodes:
    """What the scene views of some takes of one novela share, each read once."""

    frames: dict[FrameKey, Keyframe]
    cast: NovelaCast
    links: dict[tuple[int, int], set[int]]
    reviews: dict[int, Review]
    chosen: dict[tuple[int, int], int | None] = field(default_factory=dict)  # chosen_before, per chained scene

    @classmethod
    def read(cls, session: Session, takes: Sequence[NovelaVideo]) -> _Episodes:
        novela_id, episodes = takes[0].novela_id, {t.episode_number for t in takes}
        return cls(
            latest_keyframes(session, novela_id, episodes),
            novela_cast(session, novela_id),
            repo.episode_links(session, novela_id, episodes),
            latest_reviews(session, [t.id for t in takes]),
        )

    def frames_at(self, take: NovelaVideo, position: str) -> tuple[Keyframe | None, Keyframe | None]:
        """The approved frame at `position` and a proposal newer than it (older proposals were passed over)."""
        approved = self.frames.get((*_where(take), position, True))
        pending = self.frames.get((*_where(take), position, False))
        return approved, pending if pending is not None and (approved is None or pending.id > approved.id) else None

    def chosen_once(self, session: Session, take: NovelaVideo) -> int | None:
        """`chosen_before`, read once per scene (its takes share the previous scene)."""
        if _where(take) not in self.chosen:
            self.chosen[_where(take)] = chosen_before(session, take)
        return self.chosen[_where(take)]

    def view(self, session: Session, take: NovelaVideo) -> SceneView:
        start, pending_start = self.frames_at(take, "start")
        end, pending_end = self.frames_at(take, "end")
        return SceneView(
            take=take,
            cast=[m.asset.name for m in cast_of(take, self.cast, self.links.get(_where(take), set()))],
            start_frame=start,
            pending_frame=pending_start,
            end_frame=end,
            pending_end_frame=pending_end,
            chained=bool(take.scene_details.get("chain") or take.scene_details.get("chained_from")),
            stale=chain_is_stale(session, take, self.chosen_once),
            review=self.reviews.get(take.id),
        )


def scenes_for(db: Database, takes: Sequence[NovelaVideo]) -> dict[int, SceneView]:
    """take id → its scene view, for takes of one novela, in a few queries whatever their number."""
    if not takes:
        return {}
    with db.session() as session:
        shared = _Episodes.read(session, takes)
        return {take.id: shared.view(session, take) for take in takes}


def scenes(db: Database, novela_id: int, episode: int) -> list[SceneView]:
    with db.session() as session:
        takes = video_repo.episode_takes(session, novela_id, episode)
    latest: dict[int, NovelaVideo] = {}
    for take in takes:
        latest[take.scene_number] = take
    views = scenes_for(db, list(latest.values()))
    return [views[t.id] for _, t in sorted(latest.items())]
