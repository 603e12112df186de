"""The offline stand-in voice: espeak-ng (a Debian package) speaks each line into a WAV file.

Each speech-02-hd system voice maps to an espeak-ng variant of the same gender and its own base pitch, so the
characters of a novela sound different offline too; speed, pitch and emotion shift rate, pitch and loudness.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

from vsl.media import MediaError, atomic_output
from vsl.sound.voices import SYSTEM_VOICES, VoiceSettings

STAND_IN_LABEL = "espeak-ng stand-in voice (offline; speech-02-hd speaks with a provider)"
_BASE_WPM = 165
_FEMALE = ("f1", "f2", "f3", "f4", "f5")
_MALE = ("m1", "m3", "m2", "m4", "m6", "m7")
# (rate factor, pitch shift, amplitude) per emotion: a hint of delivery, not acting
_EMOTION = {
    "happy": (1.08, 6, 110),
    "sad": (0.88, -6, 85),
    "angry": (1.12, 2, 135),
    "fearful": (1.15, 8, 95),
    "disgusted": (0.95, -3, 105),
    "surprised": (1.05, 10, 115),
    "calm": (0.92, -2, 90),
}
_TIMEOUT_S = 30.0


def espeak_exe() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise MediaError(
            "espeak-ng is not installed, so lines cannot be spoken offline; install the Debian package "
            "espeak-ng (apt-get install espeak-ng).",
            path=Path("espeak-ng"),
        )
    return exe


def _is_female(voice_id: str) -> bool:
    return any(word in voice_id.lower() for word in ("woman", "girl", "abbess"))


def variant(voice_id: str) -> str:
    """The espeak-ng voice standing in for a speech-02-hd voice (the same one for the same id)."""
    index = SYSTEM_VOICES.index(voice_id) if voice_id in SYSTEM_VOICES else 0
    family = _FEMALE if _is_female(voice_id) else _MALE
    return f"en+{family[index % len(family)]}"


def command(text: str, voice: VoiceSettings, emotion: str, out: Path) -> list[str]:
    """The espeak-ng call speaking `text` in `voice` with `emotion` into the WAV file `out`."""
    rate, shift, amplitude = _EMOTION.get(emotion, (1.0, 0, 100))
    base_pitch = 40 + (SYSTEM_VOICES.index(voice.voice_id) * 7 % 25 if voice.voice_id in SYSTEM_VOICES else 0)
    pitch = min(99, max(0, base_pitch + 3 * voice.pitch + shift))
    wpm = round(_BASE_WPM * voice.speed * rate)
    return [
        espeak_exe(),
        "-v",
        variant(voice.voice_id),
        "-s",
        str(wpm),
        "-p",
        str(pitch),
        "-a",
        str(amplitude),
        "-w",
        str(out),
        "--",
        text,
    ]


def speak(text: str, voice: VoiceSettings, emotion: str, out: Path) -> Path:
    """Speak `text` into `out` (WAV); fails with MediaError naming the speaker, never leaving a partial file."""
    with atomic_output(out) as tmp:
        try:
            done = subprocess.run(
                command(text, voice, emotion, tmp), capture_output=True, timeout=_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise MediaError(
                f"espeak-ng took longer than {_TIMEOUT_S:g} s to speak {voice.speaker}'s line.", path=out
            ) from exc
        if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size <= 44:
            said = done.stderr.decode("utf-8", errors="replace").strip()[-300:]
            raise MediaError(
                f"espeak-ng could not speak {voice.speaker}'s line ({said or 'no audio written'}).", path=out
            )
    return out


def wav_duration(path: Path) -> float:
    """The length of a WAV file in seconds, from its frame count."""
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()
