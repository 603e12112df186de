"""Speaking a scene's lines offline (espeak-ng) and measuring each recording."""

from __future__ import annotations

import hashlib
from pathlib import Path

from vsl.sound import espeak
from vsl.sound.dialogue import DialogueLine
from vsl.sound.timeline import SpokenLine
from vsl.sound.voices import VoiceSettings


def emotion_of(line: DialogueLine, voice: VoiceSettings) -> str:
    """The line's own emotion, else the speaker's default."""
    return voice.emotion if line.emotion == "auto" else line.emotion


def speak_offline(lines: list[DialogueLine], voices: dict[str, VoiceSettings], folder: Path) -> list[SpokenLine]:
    """Each line spoken by its speaker's stand-in voice into `folder` (same line and voice: same file, reused)."""
    spoken = []
    for line in lines:
        voice = voices[line.speaker]
        emotion = emotion_of(line, voice)
        key = hashlib.sha256(repr((line.line, voice, emotion)).encode()).hexdigest()[:20]
        out = folder / f"line-{key}.wav"
        if not out.exists():
            espeak.speak(line.line, voice, emotion, out)
        spoken.append(SpokenLine(line, out, espeak.wav_duration(out)))
    return spoken
