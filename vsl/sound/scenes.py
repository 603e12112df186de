"""What the board needs about a scene's sound: save its dialogue and sound choice, preview its subtitles from
the stand-in voices, the novela's speakers, a voice sample, and an episode's assembled cut with its subtitles."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from vsl.catalog import duration_of
from vsl.db import media_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import EpisodeSubtitles, MediaItem, NovelaVideo
from vsl.sound.dialogue import DialogueInvalid, DialogueLine, lines_of, speakers, with_lines
from vsl.sound.render import SOUND_CHOICES
from vsl.sound.subtitles import Cue, cues_of
from vsl.sound.timeline import place_scene
from vsl.sound.voices import VoiceSettings, voices_for
from vsl.sound.voicing import speak_lines

SAMPLE_TEXT = "Good evening. This is how I sound when the story needs me."


def scene_length(take: NovelaVideo) -> float:
    """The scene's planned length from its take's parameters, else the take's measured length."""
    try:
        return float(duration_of(take.model_id, take.model_parameters))
    except (ValueError, KeyError):
        return float(take.duration_seconds or 0) or 5.0


def voice_cache() -> Path:
    """Where stand-in recordings are kept between previews (the same line and voice are spoken once)."""
    folder = Path(tempfile.gettempdir()) / "vsl-voices"
    folder.mkdir(exist_ok=True)
    return folder


def save_dialogue(db: Database, video_id: int, lines: list[DialogueLine], sound: str | None = None) -> NovelaVideo:
    """Replace a take's dialogue (and its sound choice); refused lines leave the take unchanged."""
    if sound is not None and sound not in SOUND_CHOICES:
        raise DialogueInvalid(f"Sound {sound!r} is unknown; choose one of: {', '.join(SOUND_CHOICES)}.")
    with db.write() as session:
        take = video_repo.get(session, video_id, lock=True)
        if take is None:
            raise DialogueInvalid("That scene no longer exists.")
        details = with_lines(take.scene_details, lines)
        take.scene_details = {**details, "sound": sound} if sound else details
        return take


def take_cues(db: Database, take: NovelaVideo) -> tuple[list[Cue], list[str]]:
    """The take's subtitles on its own clock, from its lines spoken by the stand-in voices; and lines left out."""
    lines = lines_of(take.scene_details)
    if not lines:
        return [], []
    voices = voices_for(db, take.novela_id, speakers(lines))
    plan = place_scene(speak_lines(lines, voices, voice_cache()), take.scene_number, 0.0, scene_length(take))
    return cues_of(plan.placed), plan.left_out


def novela_speakers(db: Database, novela_id: int) -> list[str]:
    """Everyone who speaks in the novela's scenes, in order of first line."""
    dialogue = NovelaVideo.scene_details["dialogue"]
    stmt = (
        select(dialogue)  # only the dialogue of takes that have one: not every take of the novela
        .where(NovelaVideo.novela_id == novela_id, dialogue.as_string().is_not(None))
        .order_by(NovelaVideo.id)
    )
    with db.session() as session:
        return speakers(line for raw in session.scalars(stmt) for line in lines_of({"dialogue": raw}))


def sample(voice: VoiceSettings) -> bytes:
    """A short WAV of the voice (the offline stand-in) for the user to listen to."""
    (spoken,) = speak_lines([DialogueLine(voice.speaker, SAMPLE_TEXT)], {voice.speaker: voice}, voice_cache())
    return spoken.audio.read_bytes()


@dataclass(frozen=True)
class EpisodeFiles:
    item: MediaItem
    vtt_key: str | None
    srt_key: str | None


def assembled(db: Database, novela_id: int, episode: int) -> EpisodeFiles | None:
    """The episode's current assembled cut in the library, with its subtitle files."""
    with db.session() as session:
        item = media_repo.episode_cut(session, novela_id, episode)
        if item is None:
            return None
        subtitles = session.get(EpisodeSubtitles, item.id)
        return EpisodeFiles(item, subtitles.vtt_key if subtitles else None, subtitles.srt_key if subtitles else None)
