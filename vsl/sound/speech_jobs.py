"""Lines spoken by speech-02-hd through the one spend path (docs/adr/0008-speech-jobs.md).

A speech job is a planned `novela_videos` row in episode 0, scene `SPEECH_SCENE`, whose `scene_details` carry
`purpose: "speech"` and the line's key (its words, speaker's voice and emotion). It is priced per 1,000
characters, confirmed with one click, reserved, run by the worker, stored under `audio/` and put in the media
library like an image job. Assembly speaks a line with its recording when one exists, else with the offline
stand-in voice. Nothing here spends: the caller shows `vsl.jobs.actions.quote` of the returned ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.sound.dialogue import SPEECH_MODEL, DialogueLine, lines_of, speakers
from vsl.sound.episodes import chosen_takes
from vsl.sound.voices import VoiceSettings, voices_for
from vsl.sound.voicing import emotion_of, line_key
from vsl.storage.base import Storage, StorageError

SPEECH_PURPOSE = "speech"
SPEECH_EPISODE, SPEECH_SCENE = 0, 1  # episode 0 holds the jobs that are not scenes; its scene 0 the image jobs
_REUSABLE = (  # a line whose job may still be charged (unknown, needs attention) is never planned again
    "planned", "reserved", "submitting", "queued", "running", "storing", "completed", "unknown", "needs_attention"
)  # fmt: skip


class SpeechUnavailable(ValueError):
    """The episode has nothing to speak, or the novela is gone."""


def speech_params(line: DialogueLine, voice: VoiceSettings) -> dict[str, Any]:
    """speech-02-hd's input for one line (the text is a parameter: the model takes no prompt)."""
    return {
        "text": line.line,
        "voice_id": voice.voice_id,
        "speed": voice.speed,
        "pitch": voice.pitch,
        "emotion": emotion_of(line, voice),
        "language_boost": voice.language_boost,
        "audio_format": "mp3",
    }


def is_speech(video: NovelaVideo) -> bool:
    return (video.scene_details or {}).get("purpose") == SPEECH_PURPOSE


@dataclass(frozen=True)
class _Wanted:
    scene: int
    line: DialogueLine
    voice: VoiceSettings


def _episode_lines(db: Database, novela_id: int, episode: int) -> list[tuple[int, DialogueLine]]:
    """The lines of each scene's chosen take (else its newest), scenes that use only the model's sound left out."""
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None:
            raise SpeechUnavailable("The novela no longer exists.")
        cut = chosen_takes(session, novela_id, episode, novela.scenes_per_episode)
        takes = {**(cut.planned or {}), **{t.scene_number: t for t in cut.scenes}}
        return [
            (scene, line)
            for scene, take in sorted(takes.items())
            if (take.scene_details or {}).get("sound") != "model"
            for line in lines_of(take.scene_details)
        ]


def _existing(session: Session, novela_id: int) -> dict[str, NovelaVideo]:
    """Speech jobs of the novela that are done, in flight or still planned, by line key (newest wins)."""
    rows = session.scalars(
        select(NovelaVideo)
        .where(
            NovelaVideo.novela_id == novela_id,
            NovelaVideo.episode_number == SPEECH_EPISODE,
            NovelaVideo.scene_number == SPEECH_SCENE,
            NovelaVideo.status.in_(_REUSABLE),
        )
        .order_by(NovelaVideo.take)
    )
    return {str(r.scene_details.get("line_key")): r for r in rows if is_speech(r)}


def plan_speech(db: Database, novela_id: int, episode: int) -> list[int]:
    """A planned speech job for every line of the episode not yet recorded or on its way; their ids to quote."""
    found = _episode_lines(db, novela_id, episode)
    if not found:
        raise SpeechUnavailable(f"Episode {episode} has no dialogue lines to speak.")
    voices = voices_for(db, novela_id, speakers(line for _, line in found))
    wanted = [_Wanted(scene, line, voices[line.speaker]) for scene, line in found]
    with db.write() as session:
        existing = _existing(session, novela_id)
        ids: list[int] = []
        for want in wanted:
            key = line_key(want.line, want.voice)
            row = existing.get(key)
            if row is None:
                row = _plan_line(session, novela_id, episode, want, key)
                existing[key] = row
            if row.status == "planned" and row.id not in ids:
                ids.append(row.id)
        return ids


def _plan_line(session: Session, novela_id: int, episode: int, want: _Wanted, key: str) -> NovelaVideo:
    label = f"E{episode} S{want.scene} line of {want.line.speaker}"
    details = {"purpose": SPEECH_PURPOSE, "line_key": key, "label": label, "speaker": want.line.speaker}
    params = speech_params(want.line, want.voice)
    return video_repo.plan_job(
        session, novela_id, (SPEECH_EPISODE, SPEECH_SCENE), SPEECH_MODEL, label, want.line.line, params, details
    )


def recordings(db: Database, novela_id: int) -> dict[str, str]:
    """The storage key of every finished recording of the novela, by line key."""
    with db.session() as session:
        done = [r for r in _existing(session, novela_id).values() if r.status == "completed" and r.s3_key]
        return {str(r.scene_details["line_key"]): str(r.s3_key) for r in done}


def fetch_recordings(storage: Storage, keys: dict[str, str], wanted: set[str], folder: Path) -> dict[str, Path]:
    """The recordings of the `wanted` line keys, downloaded into `folder`; a missing file falls back to the
    stand-in voice rather than stopping assembly (its line is still spoken)."""
    fetched: dict[str, Path] = {}
    for key in sorted(wanted & keys.keys()):
        suffix = Path(keys[key]).suffix or ".mp3"
        try:
            fetched[key] = storage.download_to(keys[key], folder / f"recording-{key}{suffix}")
        except StorageError:
            continue
    return fetched
