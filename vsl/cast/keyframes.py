"""Keyframes and frame chaining: the frames a take starts (and ends) on.

A scene's start frame is its latest approved start keyframe, or, when the take asks to continue from the
previous scene (`scene_details["chain"]`), the last frame of that scene's chosen take, extracted with ffmpeg and
stored (`frames/...png`, referenced as `media:<key>`). A chained take records the take it started from; when the
user chooses another take of the previous scene, `chain_is_stale` says so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from vsl.cast import frames
from vsl.cast.repo import CAST_EPISODE
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import Keyframe, NovelaVideo
from vsl.jobs.states import ACTIVE
from vsl.storage.base import Storage


class ChainUnavailable(ValueError):
    """There is no finished take to continue from; the message says which scene."""


def chosen_take(session: Session, novela_id: int, episode: int, scene: int) -> NovelaVideo | None:
    """The take chosen for assembly, else the scene's latest completed take."""
    rows = session.scalars(
        select(NovelaVideo)
        .where(
            NovelaVideo.novela_id == novela_id,
            NovelaVideo.episode_number == episode,
            NovelaVideo.scene_number == scene,
            NovelaVideo.status == "completed",
        )
        .order_by(NovelaVideo.selected.desc(), NovelaVideo.take.desc())
    )
    return rows.first()


def previous_scene(session: Session, video: NovelaVideo) -> tuple[int, int] | None:
    """(episode, scene) just before this take's scene: the previous scene, or the previous episode's last."""
    if video.scene_number > 1:
        return video.episode_number, video.scene_number - 1
    last = session.scalar(
        select(NovelaVideo.scene_number)
        .where(NovelaVideo.novela_id == video.novela_id, NovelaVideo.episode_number == video.episode_number - 1)
        .order_by(NovelaVideo.scene_number.desc())
    )
    return (video.episode_number - 1, last) if last and video.episode_number - 1 > CAST_EPISODE else None


def keyframe(
    session: Session, novela_id: int, episode: int, scene: int, position: str, *, approved: bool = True
) -> Keyframe | None:
    """The scene's latest generated or uploaded keyframe at `position` that has an image, approved or not."""
    return session.scalars(
        _with_image(novela_id)
        .where(
            Keyframe.episode_number == episode,
            Keyframe.scene_number == scene,
            Keyframe.position == position,
            Keyframe.approved.is_(approved),
        )
        .order_by(Keyframe.id.desc())
    ).first()


FrameKey = tuple[int, int, str, bool]  # episode, scene, position, approved


def latest_keyframes(session: Session, novela_id: int, episodes: Collection[int]) -> dict[FrameKey, Keyframe]:
    """`keyframe` for every scene of these episodes in one query: (episode, scene, position, approved) → it."""
    stmt = _with_image(novela_id).where(Keyframe.episode_number.in_(episodes)).order_by(Keyframe.id)
    return {(k.episode_number, k.scene_number, k.position, k.approved): k for k in session.scalars(stmt)}


def _with_image(novela_id: int) -> Select[tuple[Keyframe]]:
    """The novela's generated or uploaded keyframes that have an image (chained frames left out)."""
    return select(Keyframe).where(
        Keyframe.novela_id == novela_id, Keyframe.source != "chained", Keyframe.ref.is_not(None)
    )


def _chained(session: Session, video: NovelaVideo, source: NovelaVideo) -> Keyframe | None:
    return session.scalars(
        select(Keyframe)
        .where(
            Keyframe.novela_id == video.novela_id,
            Keyframe.episode_number == video.episode_number,
            Keyframe.scene_number == video.scene_number,
            Keyframe.source == "chained",
            Keyframe.from_video_id == source.id,
        )
        .order_by(Keyframe.id.desc())
    ).first()


def chain_source(session: Session, video: NovelaVideo) -> NovelaVideo:
    before = previous_scene(session, video)
    source = chosen_take(session, video.novela_id, *before) if before else None
    if source is None or not source.s3_key:
        where = f"episode {before[0]}, scene {before[1]}" if before else "the previous scene"
        raise ChainUnavailable(f"There is no finished take of {where} to continue from yet; generate it first.")
    return source


def chain_pending(session: Session, video: NovelaVideo) -> tuple[int, int] | None:
    """The previous (episode, scene) when this take asks to be chained, none of that scene's takes has finished
    yet and one is on its way: the chained take waits for it rather than starting without its frame."""
    if not (video.scene_details or {}).get("chain"):
        return None
    before = previous_scene(session, video)
    if before is None or chosen_take(session, video.novela_id, *before) is not None:
        return None
    waiting = session.scalar(
        select(NovelaVideo.id).where(
            NovelaVideo.novela_id == video.novela_id,
            NovelaVideo.episode_number == before[0],
            NovelaVideo.scene_number == before[1],
            NovelaVideo.status.in_(ACTIVE),
        )
    )
    return before if waiting is not None else None


def chain_frame(session: Session, video: NovelaVideo, storage: Storage) -> Keyframe:
    """The stored last frame of the previous scene's chosen take, extracted once per source take."""
    source = chain_source(session, video)
    existing = _chained(session, video, source)
    if existing is not None:
        return existing
    key = (
        f"frames/novela-{video.novela_id}/e{source.episode_number:03d}-s{source.scene_number:03d}-last-{source.id}.png"
    )
    if not storage.exists(key):
        with tempfile.TemporaryDirectory(prefix="vsl-chain-") as tmp:
            clip = storage.download_to(source.s3_key or "", Path(tmp) / "clip.mp4")
            storage.put_file(key, frames.last_frame(clip, Path(tmp) / "last.png"), "image/png")
    frame = Keyframe(
        novela_id=video.novela_id,
        episode_number=video.episode_number,
        scene_number=video.scene_number,
        position="start",
        source="chained",
        ref=f"media:{key}",
        from_video_id=source.id,
        approved=True,
    )
    session.add(frame)
    session.flush()
    return frame


def frames_for(session: Session, video: NovelaVideo, storage: Storage | None = None) -> dict[str, str]:
    """position → ref of the frames this take uses. With `storage`, a chained frame is extracted if needed;
    without it (pricing), only whether one is wanted counts, so a placeholder stands in."""
    details = video.scene_details or {}
    found: dict[str, str] = {}
    if details.get("chain"):
        if storage is None:
            found["start"] = "chained"
        else:
            frame = chain_frame(session, video, storage)
            video.scene_details = {**details, "chained_from": frame.from_video_id}
            found["start"] = frame.ref or ""
    for position in ("start", "end"):
        if position not in found and (kf := keyframe(session, video.novela_id, *_scene(video), position)):
            found[position] = kf.ref or ""
    return found


def _scene(video: NovelaVideo) -> tuple[int, int]:
    return video.episode_number, video.scene_number


ChosenBefore = Callable[[Session, NovelaVideo], int | None]


def chain_is_stale(session: Session, video: NovelaVideo, chosen: ChosenBefore | None = None) -> bool:
    """True when this take started from a take of the previous scene that is no longer the chosen one
    (`chosen`: how to find that scene's chosen take, `chosen_before` unless told)."""
    started_from = (video.scene_details or {}).get("chained_from")
    return bool(started_from) and (chosen or chosen_before)(session, video) != started_from


def chosen_before(session: Session, video: NovelaVideo) -> int | None:
    """The id of the chosen take of the scene before this take's scene; None when there is none."""
    before = previous_scene(session, video)
    chosen = chosen_take(session, video.novela_id, *before) if before else None
    return chosen.id if chosen is not None else None


def set_chain(db: Database, video_id: int, on: bool) -> None:
    """Turn "continue from the previous scene" on or off for a planned take."""
    with db.write() as session:
        take = video_repo.get(session, video_id, lock=True)
        if take is not None and take.status == "planned":
            take.scene_details = {**take.scene_details, "chain": on}
