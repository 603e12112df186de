"""Creating, renaming and deleting cast assets and their reference images.

Renaming rewrites `@Old` to `@New` in takes not yet generated and flags the others; deleting flags every take
that mentions the asset. A flagged prompt's unknown `@Name` is then refused when it is priced, so nothing breaks
silently (`vsl.cast.prompts.cast_problems`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vsl.cast import repo
from vsl.cast.legacy import wizard_assets
from vsl.cast.names import (
    BadAsset,
    clean_kind,
    clean_look,
    clean_name,
    mention_names,
    mentions,
    name_key,
    replace_mentions,
)
from vsl.cast.uploads import store_upload
from vsl.db import novela_repo
from vsl.db.engine import Database
from vsl.db.models import Asset, AssetImage, NovelaVideo, SceneAsset
from vsl.storage.base import Storage


@dataclass(frozen=True)
class Flagged:
    """A take whose prompt mentions an asset that was renamed or deleted."""

    video_id: int
    label: str
    note: str


def _require_novela(session: Session, novela_id: int) -> None:
    if novela_repo.get(session, novela_id) is None:
        raise BadAsset("The novela was deleted.")


def _collision(session: Session, novela_id: int, name: str, keep: int | None = None) -> None:
    other = repo.by_key(session, novela_id).get(name_key(name))
    if other is not None and other.id != keep:
        raise BadAsset(f"The cast already has a {other.kind} called {other.name}; choose another name.")


def create_asset(db: Database, novela_id: int, kind: str, name: str, look: str = "") -> Asset:
    asset = Asset(novela_id=novela_id, kind=clean_kind(kind), name=clean_name(name), look=clean_look(look))
    asset.name_key = name_key(asset.name)
    try:
        with db.write() as session:
            _require_novela(session, novela_id)
            _collision(session, novela_id, asset.name)
            session.add(asset)
    except IntegrityError as exc:  # created at the same moment elsewhere
        raise BadAsset(f"The cast already has an asset called {asset.name}; choose another name.") from exc
    return asset


def update_look(db: Database, asset_id: int, look: str) -> Asset:
    with db.write() as session:
        asset = _asset(session, asset_id)
        asset.look = clean_look(look)
        return asset


def _asset(session: Session, asset_id: int) -> Asset:
    asset = repo.asset(session, asset_id, lock=True)
    if asset is None:
        raise BadAsset("That asset no longer exists.")
    return asset


def _mentioning(session: Session, novela_id: int, key: str) -> list[NovelaVideo]:
    return [
        v for v in repo.scene_takes_of_novela(session, novela_id) if key in {m.key for m in mentions(v.script_prompt)}
    ]


def _label(video: NovelaVideo) -> str:
    return f"E{video.episode_number} S{video.scene_number} take {video.take}"


def rename_asset(db: Database, asset_id: int, new_name: str) -> list[Flagged]:
    """Rename; planned takes get the new `@Name`, generated takes are listed (their prompts are history)."""
    name = clean_name(new_name)
    with db.write() as session:
        asset = _asset(session, asset_id)
        _collision(session, asset.novela_id, name, keep=asset.id)
        old = asset.name
        flagged = []
        for video in _mentioning(session, asset.novela_id, asset.name_key):
            if video.status == "planned":
                video.script_prompt = replace_mentions(video.script_prompt, {asset.name_key: f"@{name}"})
                note = f"@{old} rewritten as @{name}"
            else:
                note = f"generated with @{old}, since renamed @{name}"
            flagged.append(Flagged(video.id, _label(video), note))
        asset.name, asset.name_key = name, name_key(name)
        return flagged


def delete_asset(db: Database, asset_id: int) -> list[Flagged]:
    """Delete the asset (its images and scene links go with it); every take that mentions it is listed."""
    with db.write() as session:
        asset = _asset(session, asset_id)
        flagged = [
            Flagged(v.id, _label(v), f"mentions @{asset.name}, which was deleted: edit the prompt before generating")
            for v in _mentioning(session, asset.novela_id, asset.name_key)
        ]
        session.delete(asset)
        return flagged


def add_upload(db: Database, storage: Storage, asset_id: int, filename: str, data: bytes) -> AssetImage:
    """Check and store an uploaded reference image; the asset's first image becomes its chosen one."""
    with db.session() as session:
        if repo.asset(session, asset_id) is None:
            raise BadAsset("That asset no longer exists.")
    stored = store_upload(storage, filename, data)
    with db.write() as session:
        return _add_image(session, asset_id, stored.ref, "upload", stored.width, stored.height)


def _add_image(
    session: Session, asset_id: int, ref: str, source: str, width: int | None, height: int | None, video_id=None
) -> AssetImage:
    first = not repo.images(session, [asset_id])[asset_id]
    image = AssetImage(
        asset_id=asset_id, ref=ref, source=source, chosen=first, width=width, height=height, video_id=video_id
    )
    session.add(image)
    session.flush()
    return image


def choose_image(db: Database, image_id: int) -> None:
    """Make this image its asset's reference (the pick among candidates)."""
    with db.write() as session:
        image = session.get(AssetImage, image_id)
        if image is None:
            raise BadAsset("That image no longer exists.")
        for other in repo.images(session, [image.asset_id])[image.asset_id]:
            other.chosen = other.id == image.id


def link_scene(db: Database, novela_id: int, episode: int, scene: int, asset_ids: list[int]) -> None:
    """Set who appears in a scene (besides those its prompt mentions)."""
    with db.write() as session:
        known = {a.id for a in repo.assets(session, novela_id)}
        for link in session.query(SceneAsset).filter_by(
            novela_id=novela_id, episode_number=episode, scene_number=scene
        ):
            session.delete(link)
        session.flush()
        for asset_id in dict.fromkeys(asset_ids):
            if asset_id in known:
                session.add(
                    SceneAsset(novela_id=novela_id, episode_number=episode, scene_number=scene, asset_id=asset_id)
                )


def import_wizard_characters(db: Database, novela_id: int) -> int:
    """Characters typed in the wizard become assets the first time the cast is opened; returns how many."""
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None or repo.assets(session, novela_id):
            return 0
        rows = wizard_assets(novela.reference_character_images)
    try:
        with db.write() as session:
            for row in rows:
                asset = Asset(novela_id=novela_id, kind="character", name=row.name, name_key=row.key, look=row.look)
                session.add(asset)
                session.flush()
                if row.image:
                    _add_image(session, asset.id, row.image, "wizard", None, None)
    except IntegrityError:  # another session imported them first
        return 0
    adopt_mentions(db, novela_id)
    return len(rows)


def adopt_mentions(db: Database, novela_id: int) -> int:
    """Write the cast's names as `@Name` in every planned take's prompt (the draft wrote them as plain words);
    returns how many prompts changed."""
    changed = 0
    with db.write() as session:
        cast = [a.name for a in repo.assets(session, novela_id)]
        for video in repo.scene_takes_of_novela(session, novela_id):
            if (
                video.status == "planned"
                and (prompt := mention_names(video.script_prompt, cast)) != video.script_prompt
            ):
                video.script_prompt = prompt
                changed += 1
    return changed
