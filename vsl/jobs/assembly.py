"""Episode assembly: concatenate the chosen take of every scene into one episode MP4, stored as media."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import MediaItem, NovelaVideo
from vsl.media.ffmpeg import concat, probe
from vsl.media.thumbnails import make_thumbnail
from vsl.storage.base import Storage


class NotReady(ValueError):
    """Some scenes of the episode have no finished take yet."""


@dataclass(frozen=True)
class EpisodeCut:
    scenes: list[NovelaVideo]  # one take per scene, in scene order
    missing: list[int]  # scene numbers without a finished take


def chosen_takes(session: Session, novela_id: int, episode: int, scenes_per_episode: int) -> EpisodeCut:
    """The take marked `selected` for each scene, else its newest finished take."""
    takes = video_repo.episode_takes(session, novela_id, episode)
    chosen: dict[int, NovelaVideo] = {}
    for take in takes:
        if take.status != "completed" or not take.s3_key:
            continue
        current = chosen.get(take.scene_number)
        if current is None or take.selected or (not current.selected and take.take > current.take):
            chosen[take.scene_number] = take
    missing = [s for s in range(1, scenes_per_episode + 1) if s not in chosen]
    return EpisodeCut([chosen[s] for s in sorted(chosen)], missing)


def select_take(db: Database, video_id: int) -> None:
    """Mark one take as the one to use for its scene (and unmark the others)."""
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None or video.status != "completed":
            raise NotReady("Only a finished take can be chosen for the episode.")
        for take in video_repo.scene_takes(session, video.novela_id, video.episode_number, video.scene_number):
            take.selected = take.id == video.id


def assemble_episode(db: Database, storage: Storage, novela_id: int, episode: int) -> MediaItem:
    """Concatenate the episode and store it; re-assembling replaces the earlier cut's file and row."""
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None:
            raise NotReady("The novela no longer exists.")
        cut = chosen_takes(session, novela_id, episode, novela.scenes_per_episode)
        title = f"{novela.title} — Episode {episode}"
    if cut.missing:
        raise NotReady(f"Scenes {', '.join(map(str, cut.missing))} of episode {episode} have no finished take yet.")
    key = f"episodes/novela-{novela_id}/episode-{episode:03d}.mp4"
    with tempfile.TemporaryDirectory(prefix="vsl-episode-") as tmp:
        parts = [storage.download_to(v.s3_key or "", Path(tmp) / f"{i:03d}.mp4") for i, v in enumerate(cut.scenes)]
        out = concat(parts, Path(tmp) / "episode.mp4")
        info = storage.put_file(key, out, "video/mp4")
        thumb_key = f"thumbnails/{key.rsplit('.', 1)[0]}.jpg"
        storage.put_file(thumb_key, make_thumbnail(out, "video", Path(tmp) / "thumb.jpg"), "image/jpeg")
        duration = probe(out).duration_s
    with db.write() as session:
        item = session.scalars(select(MediaItem).where(MediaItem.s3_key == key)).first() or MediaItem(s3_key=key)
        item.media_type, item.content_type, item.source = "video", "video/mp4", "assembled"
        item.file_size_bytes, item.duration_seconds, item.thumbnail_key = info.size, duration, thumb_key
        item.title, item.novela_id, item.episode_number = title, novela_id, episode
        item.description = "Takes: " + ", ".join(f"S{v.scene_number} take {v.take}" for v in cut.scenes)
        item.tags = ["episode"]
        session.add(item)
        session.flush()
        return item
