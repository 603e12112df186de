"""The takes an episode is made of: the chosen take of each scene, and which scenes have none yet."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from vsl.db import video_repo
from vsl.db.models import NovelaVideo


@dataclass(frozen=True)
class EpisodeCut:
    scenes: list[NovelaVideo]  # one take per scene, in scene order
    missing: list[int]  # scene numbers without a finished take
    planned: dict[int, NovelaVideo] | None = None  # the newest take of every scene, finished or not


def chosen_takes(session: Session, novela_id: int, episode: int, scenes_per_episode: int) -> EpisodeCut:
    """The take marked `selected` for each scene, else its newest finished take."""
    takes = video_repo.episode_takes(session, novela_id, episode)
    chosen: dict[int, NovelaVideo] = {}
    newest: dict[int, NovelaVideo] = {}
    for take in takes:
        newest[take.scene_number] = take
        if take.status != "completed" or not take.s3_key:
            continue
        current = chosen.get(take.scene_number)
        if current is None or take.selected or (not current.selected and take.take > current.take):
            chosen[take.scene_number] = take
    missing = [s for s in range(1, scenes_per_episode + 1) if s not in chosen]
    return EpisodeCut([chosen[s] for s in sorted(chosen)], missing, newest)
