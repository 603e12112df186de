"""Voices per speaker of a novela: speech-02-hd settings, checked against the catalog, stored in `speaker_voices`.

A speaker without a stored voice gets the next system voice not yet used in the novela, so every character
sounds different; that choice is stored on first use and stays until the user changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vsl.catalog import get_catalog
from vsl.db.engine import Database
from vsl.db.models import SpeakerVoice
from vsl.sound.dialogue import SPEECH_MODEL, DialogueInvalid, emotions

# MiniMax system voices (the Replicate schema of minimax/speech-02-hd); the offline stand-in mirrors their gender.
SYSTEM_VOICES = (
    "Wise_Woman",
    "Deep_Voice_Man",
    "Calm_Woman",
    "Casual_Guy",
    "Lively_Girl",
    "Patient_Man",
    "Young_Knight",
    "Determined_Man",
    "Lovely_Girl",
    "Decent_Boy",
    "Inspirational_girl",
    "Imposing_Manner",
    "Elegant_Man",
    "Abbess",
    "Sweet_Girl_2",
    "Exuberant_Girl",
    "Friendly_Person",
)


def _choices(name: str) -> tuple[str, ...]:
    spec = get_catalog().get(SPEECH_MODEL).param(name)
    return tuple(str(c) for c in (spec.choices or ())) if spec else ()


@dataclass(frozen=True)
class VoiceSettings:
    speaker: str
    voice_id: str = SYSTEM_VOICES[0]
    speed: float = 1.0  # 0.5 to 2
    pitch: int = 0  # semitones, -12 to 12
    emotion: str = "auto"  # the default for lines that say auto
    language_boost: str = "None"


def check_voice(voice: VoiceSettings) -> VoiceSettings:
    """The settings if speech-02-hd accepts them; else DialogueInvalid with what is allowed."""
    if voice.voice_id not in SYSTEM_VOICES:
        raise DialogueInvalid(
            f"Voice {voice.voice_id!r} is not a speech-02-hd voice; choose one of: {', '.join(SYSTEM_VOICES)}."
        )
    if voice.emotion not in emotions():
        raise DialogueInvalid(
            f"Emotion {voice.emotion!r} is not one speech-02-hd knows; choose one of: {', '.join(emotions())}."
        )
    boosts = _choices("language_boost")
    if voice.language_boost not in boosts:
        raise DialogueInvalid(
            f"Language boost {voice.language_boost!r} is unknown; choose one of: {', '.join(boosts)}."
        )
    if not 0.5 <= voice.speed <= 2:
        raise DialogueInvalid(f"Speed {voice.speed:g} is out of range; choose 0.5 to 2.")
    if not -12 <= voice.pitch <= 12:
        raise DialogueInvalid(f"Pitch {voice.pitch} is out of range; choose -12 to 12 semitones.")
    return voice


def _settings(row: SpeakerVoice) -> VoiceSettings:
    return VoiceSettings(row.speaker, row.voice_id, row.speed, row.pitch, row.emotion, row.language_boost)


def _rows(session: Session, novela_id: int) -> dict[str, SpeakerVoice]:
    rows = session.scalars(select(SpeakerVoice).where(SpeakerVoice.novela_id == novela_id).order_by(SpeakerVoice.id))
    return {row.speaker: row for row in rows}


def voices_for(db: Database, novela_id: int, speakers: list[str]) -> dict[str, VoiceSettings]:
    """The voice of each speaker; a new speaker gets the first system voice the novela does not use yet."""
    with db.write() as session:
        rows = _rows(session, novela_id)
        used = [row.voice_id for row in rows.values()]
        for speaker in speakers:
            if speaker in rows:
                continue
            free = [v for v in SYSTEM_VOICES if v not in used] or list(SYSTEM_VOICES)
            row = SpeakerVoice(novela_id=novela_id, speaker=speaker, voice_id=free[0], speed=1.0, pitch=0)
            row.emotion, row.language_boost = "auto", "None"
            session.add(row)
            rows[speaker] = row
            used.append(free[0])
        return {speaker: _settings(rows[speaker]) for speaker in speakers}


def all_voices(db: Database, novela_id: int) -> list[VoiceSettings]:
    """Every stored voice of the novela, in the order the speakers first spoke."""
    with db.session() as session:
        return [_settings(row) for row in _rows(session, novela_id).values()]


def save_voice(db: Database, novela_id: int, voice: VoiceSettings) -> VoiceSettings:
    """Store a speaker's voice after checking it (nothing is written when it is refused)."""
    check_voice(voice)
    with db.write() as session:
        row = _rows(session, novela_id).get(voice.speaker) or SpeakerVoice(novela_id=novela_id, speaker=voice.speaker)
        row.voice_id, row.speed, row.pitch = voice.voice_id, float(voice.speed), int(voice.pitch)
        row.emotion, row.language_boost = voice.emotion, voice.language_boost
        session.add(row)
    return voice
