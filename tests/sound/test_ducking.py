"""The clip's own sound ducks under speech (issue 10, docs/adr/0005): a take with a steady tone and one spoken line
are rendered by the real episode renderer, and the tone's level is measured before, during and after the line, in
the mix and in the finished MP4."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.media import make_with_ffmpeg
from vsl.media.ffmpeg import ffmpeg_exe, probe
from vsl.sound.dialogue import DialogueLine
from vsl.sound.render import EpisodeSpec, Rendered, SceneSource, render_episode
from vsl.sound.voices import VoiceSettings

RATE = 48000
# The bed is a 12 kHz tone. espeak-ng speaks at 22050 Hz, so its voices have nothing above 11.025 kHz: at 12 kHz the
# mix holds the bed alone, and the tone's amplitude there is the bed's level whether or not someone is speaking.
TONE_HZ = 12000
SCENE_S = 9.0
LINE_AT_S = 2.0  # the line's timing hint, from the start of the scene
# How much quieter the bed must be under speech. The compressor (`_DUCK` in vsl/sound/mix.py) starts at
# threshold=0.02 (-34 dBFS) with ratio=10 and makeup=1: a sidechain level L dB above the threshold takes
# (1 - 1/10) * L dB off the bed. The espeak-ng voice is about -20 dBFS RMS (checked below), 14 dB over the threshold,
# so a steady voice would take about 12.6 dB off; between words the 350 ms release lets the bed come part of the
# way back, so over the whole line we ask for 8 dB. Without the compressor the difference is 0 dB.
DUCKED_DB = 8.0
RECOVERED_DB = 1.0  # a second after the line the bed is back within this of its level before the line


def _pcm(path: Path) -> np.ndarray:
    """The file's sound as 48 kHz mono floats, decoded by the bundled ffmpeg."""
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return np.frombuffer(done.stdout, dtype=np.float32).astype(np.float64)


def _tone_db(samples: np.ndarray, start_s: float, end_s: float) -> float:
    """The amplitude (dBFS) of the TONE_HZ component between two times: the samples are projected on a complex
    sinusoid of that frequency, so everything else in the window (the voice) averages out."""
    window = samples[round(start_s * RATE) : round(end_s * RATE)]
    assert len(window) > RATE // 4, "the window lies outside the audio"
    t = np.arange(len(window)) / RATE
    amplitude = 2 * abs(np.mean(window * np.exp(-2j * np.pi * TONE_HZ * t)))
    return float(20 * np.log10(max(amplitude, 1e-12)))


def _rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(max(np.sqrt(np.mean(samples**2)), 1e-12)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    folder = tmp_path_factory.mktemp("ducking")
    # A steady tone at -12 dBFS (the sine source's amplitude 1/8, doubled) under a test picture. A bed this loud
    # brings the episode down to -16 LUFS, so the second `loudnorm` pass is linear (one gain for the whole episode)
    # and the finished MP4 keeps the mix's levels; with a quiet bed and the voice's peaks it goes dynamic and its
    # gain rides by a few dB over seconds, which is loudness normalisation, not ducking.
    tone = f"sine=frequency={TONE_HZ}:duration={SCENE_S:g},volume=2"
    take = make_with_ffmpeg(folder / "take.mp4", f"testsrc=s=160x90:r=10:d={SCENE_S:g}", tone)
    line = DialogueLine("Isabel", "The letter came tonight, and nobody in this house will read it.", at_s=LINE_AT_S)
    scene = SceneSource(1, "The letter", SCENE_S, take, [line], sound="both")
    spec = EpisodeSpec("La casa del río", 1, [scene], {"Isabel": VoiceSettings("Isabel")})
    return render_episode(spec, folder, lambda _fraction, _message: None)


def _levels(samples: np.ndarray, rendered: Rendered) -> tuple[float, float, float]:
    """The bed's level before the line (the scene's start to the line), during it (its inside, past the attack
    and before its last syllable's release) and after it (from a second after it to the scene's end)."""
    (line,) = rendered.lines
    scene_start = rendered.duration_s - SCENE_S
    before = _tone_db(samples, scene_start + 0.2, line.start_s - 0.1)
    during = _tone_db(samples, line.start_s + 0.1, line.end_s - 0.1)
    after = _tone_db(samples, line.end_s + 1.0, rendered.duration_s - 0.1)
    return before, during, after


def test_the_voice_is_loud_enough_to_duck_and_has_nothing_at_the_beds_frequency(rendered: Rendered) -> None:
    (line,) = rendered.lines
    voice = _pcm(line.audio)
    assert -24.0 < _rms_db(voice) < -14.0  # what DUCKED_DB is derived from
    assert _tone_db(voice, 0.0, len(voice) / RATE) < -90.0  # the measurement sees the bed alone


def test_the_clips_own_sound_ducks_under_the_line_and_recovers_after_it(rendered: Rendered) -> None:
    (line,) = rendered.lines
    assert line.end_s - line.start_s > 2.0  # a long line: the window during it holds many words and gaps
    before, during, after = _levels(_pcm(rendered.video.parent / "mix.wav"), rendered)
    assert before == pytest.approx(-12.0, abs=1.0)  # the take's tone, untouched while nobody speaks
    assert before - during >= DUCKED_DB, f"bed {before:.1f} dB before the line, {during:.1f} dB during it"
    assert abs(after - before) <= RECOVERED_DB, f"bed {before:.1f} dB before the line, {after:.1f} dB after it"


def test_the_finished_episode_keeps_the_ducking(rendered: Rendered) -> None:
    """Loudness normalisation and the AAC encode must not undo it: the same measurement on the MP4's sound."""
    before, during, after = _levels(_pcm(rendered.video), rendered)
    assert before - during >= DUCKED_DB, f"bed {before:.1f} dB before the line, {during:.1f} dB during it"
    assert abs(after - before) <= RECOVERED_DB, f"bed {before:.1f} dB before the line, {after:.1f} dB after it"


def test_the_mix_is_made_at_48_khz(rendered: Rendered) -> None:
    """loudnorm measures at 192 kHz on its own branch; the soundtrack itself is not mixed at four times the rate."""
    assert probe(rendered.video.parent / "mix.wav").sample_rate == 48000
