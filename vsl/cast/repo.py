"""Queries on the cast tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.db.models import Asset, AssetImage, NovelaVideo, SceneAsset

CAST_EPISODE = 0  # image jobs (portraits, candidates, keyframes) live in episode 0: docs/adr/0004-image-jobs.md


def assets(session: Session, novela_id: int) -> list[Asset]:
    return list(session.scalars(select(Asset).where(Asset.novela_id == novela_id).order_by(Asset.kind, Asset.name)))


def asset(session: Session, asset_id: int, *, lock: bool = False) -> Asset | None:
    stmt = select(Asset).where(Asset.id == asset_id)
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def by_key(session: Session, novela_id: int) -> dict[str, Asset]:
    return {a.name_key: a for a in assets(session, novela_id)}


def images(session: Session, asset_ids: list[int]) -> dict[int, list[AssetImage]]:
    """asset id → its images, the chosen one first, then newest first."""
    found: dict[int, list[AssetImage]] = {i: [] for i in asset_ids}
    if not asset_ids:
        return found
    stmt = (
        select(AssetImage)
        .where(AssetImage.asset_id.in_(asset_ids))
        .order_by(AssetImage.chosen.desc(), AssetImage.id.desc())
    )
    for image in session.scalars(stmt):
        found[image.asset_id].append(image)
    return found


def scene_links(session: Session, novela_id: int, episode: int, scene: int) -> list[int]:
    stmt = select(SceneAsset.asset_id).where(
        SceneAsset.novela_id == novela_id, SceneAsset.episode_number == episode, SceneAsset.scene_number == scene
    )
    return list(session.scalars(stmt))


def episode_links(session: Session, novela_id: int, episodes: Collection[int]) -> dict[tuple[int, int], set[int]]:
    """(episode, scene) → the ids of the assets linked to that scene, for every scene of these episodes."""
    stmt = select(SceneAsset.episode_number, SceneAsset.scene_number, SceneAsset.asset_id).where(
        SceneAsset.novela_id == novela_id, SceneAsset.episode_number.in_(episodes)
    )
    found: dict[tuple[int, int], set[int]] = defaultdict(set)
    for episode, scene, asset_id in session.execute(stmt):
        found[episode, scene].add(asset_id)
    return found


def scene_takes_of_novela(session: Session, novela_id: int) -> list[NovelaVideo]:
    """Every take of every real scene (image jobs left out), by episode, scene and take."""
    stmt = (
        select(NovelaVideo)
        .where(NovelaVideo.novela_id == novela_id, NovelaVideo.episode_number != CAST_EPISODE)
        .order_by(NovelaVideo.episode_number, NovelaVideo.scene_number, NovelaVideo.take)
    )
    return list(session.scalars(stmt))
