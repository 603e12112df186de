"""Speaking a scene's lines, each with its speech-02-hd recording when there is one, else offline (espeak-ng),
and measuring each recording."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from vsl.media.ffmpeg import probe
from vsl.sound import espeak
from vsl.sound.dialogue import DialogueLine
from vsl.sound.timeline import SpokenLine
from vsl.sound.voices import VoiceSettings


def emotion_of(line: DialogueLine, voice: VoiceSettings) -> str:
    """The line's own emotion, else the speaker's default."""
    return voice.emotion if line.emotion == "auto" else line.emotion


def line_key(line: DialogueLine, voice: VoiceSettings) -> str:
    """What makes two recordings the same: the words, the voice settings and the delivery."""
    return hashlib.sha256(repr((line.line, voice, emotion_of(line, voice))).encode()).hexdigest()[:20]


def speak_lines(
    lines: list[DialogueLine],
    voices: dict[str, VoiceSettings],
    folder: Path,
    recorded: Mapping[str, Path] | None = None,
) -> list[SpokenLine]:
    """Each line with its recording from `recorded` (by line key), else spoken by its speaker's stand-in voice
    into `folder` (the same line and voice: the same file, reused)."""
    spoken = []
    for line in lines:
        voice = voices[line.speaker]
        key = line_key(line, voice)
        if recorded and key in recorded:
            spoken.append(SpokenLine(line, recorded[key], float(probe(recorded[key]).duration_s), stand_in=False))
            continue
        out = folder / f"line-{key}.wav"
        if not out.exists():
            espeak.speak(line.line, voice, emotion_of(line, voice), out)
        spoken.append(SpokenLine(line, out, espeak.wav_duration(out)))
    return spoken
