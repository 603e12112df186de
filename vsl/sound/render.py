"""Rendering a finished episode in a work folder: read the takes, draw the cards, speak the lines, mix, normalise
loudness (two passes), cut the picture with chapters, and write the subtitles. See docs/adr/0005.

Every step that fails raises `AssemblyFailed` naming the step and, where one is to blame, the scene.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from vsl.media import MediaError
from vsl.media.ffmpeg import (
    Chapter,
    LoudnessTarget,
    chapters_metadata,
    decode_problem,
    parse_loudness,
    probe,
    run,
)
from vsl.sound import cards, cut, mix
from vsl.sound.dialogue import DialogueLine
from vsl.sound.subtitles import cues_of, to_srt, to_vtt
from vsl.sound.timeline import PlacedLine, place_scene
from vsl.sound.voices import VoiceSettings
from vsl.sound.voicing import speak_lines

T = TypeVar("T")
Progress = Callable[[float, str], None]
SOUND_CHOICES = ("both", "model", "voices")  # per scene: the model's own sound and our voices, or one of them
DEFAULT_SIZE = (1280, 720)
LOUDNESS = LoudnessTarget(integrated=-16.0, true_peak=-1.5, lra=11.0)
_ENCODE_TIMEOUT_S = 900.0


class AssemblyFailed(RuntimeError):
    """A step of assembly failed; `scene` is the scene to blame, when there is one."""

    def __init__(self, step: str, detail: str, scene: int | None = None) -> None:
        where = f"scene {scene}, step “{step}”" if scene is not None else f"step “{step}”"
        super().__init__(f"Assembly stopped at {where}: {detail}")
        self.step, self.scene, self.detail = step, scene, detail


@dataclass(frozen=True)
class SceneSource:
    scene: int
    title: str
    duration_s: float
    clip: Path | None  # the downloaded take; None shows a placeholder card
    lines: list[DialogueLine]
    sound: str = "both"  # one of SOUND_CHOICES


@dataclass(frozen=True)
class EpisodeSpec:
    title: str  # the novela's title
    episode: int
    scenes: list[SceneSource]
    voices: dict[str, VoiceSettings]
    crossfade_s: float = 0.0
    recorded: dict[str, Path] = field(default_factory=dict)  # speech-02-hd recordings by line key


@dataclass(frozen=True)
class Rendered:
    video: Path
    srt: Path
    vtt: Path
    duration_s: float
    lines: list[PlacedLine]
    chapters: list[Chapter]
    left_out: list[str]  # lines that did not fit their scene


def _size(spec: EpisodeSpec) -> tuple[int, int]:
    """The frame of the first take (even dimensions), else 720p."""
    for scene in spec.scenes:
        if scene.clip is not None:
            media = _step("read the take", scene.scene, lambda c=scene.clip: probe(c))
            if not media.has_video:
                raise AssemblyFailed("read the take", "the take's file has no video stream.", scene.scene)
            return media.width // 2 * 2, media.height // 2 * 2
    return DEFAULT_SIZE


def _step(step: str, scene: int | None, action: Callable[[], T]) -> T:
    try:
        return action()
    except MediaError as exc:
        raise AssemblyFailed(step, str(exc), scene) from exc


def _segments(spec: EpisodeSpec, folder: Path, size: tuple[int, int]) -> list[cut.Segment]:
    lengths = [(cut.TITLE_CARD_S, f"{spec.title} — Episode {spec.episode}")]
    lengths += [(s.duration_s, f"Scene {s.scene}: {s.title}") for s in spec.scenes]
    timeline = cut.timeline(lengths, spec.crossfade_s)
    title_card = cards.draw_card(folder / "title.png", size, spec.title, f"Episode {spec.episode}")
    segments = [cut.Segment(*timeline[0], card=title_card)]
    for scene, (start, duration, chapter) in zip(spec.scenes, timeline[1:], strict=True):
        if scene.clip is None:
            card = cards.draw_card(
                folder / f"scene-{scene.scene}.png", size, scene.title, f"Scene {scene.scene} (not rendered yet)"
            )
            segments.append(cut.Segment(start, duration, chapter, scene.scene, card=card))
            continue
        media = _step("read the take", scene.scene, lambda c=scene.clip: probe(c))
        own_sound = media.has_audio and scene.sound != "voices"
        fit = (media.width, media.height) != size
        segments.append(cut.Segment(start, duration, chapter, scene.scene, scene.clip, clip_sound=own_sound, fit=fit))
    return segments


def _spoken(
    spec: EpisodeSpec, segments: list[cut.Segment], folder: Path, progress: Progress
) -> tuple[list[PlacedLine], list[str]]:
    placed: list[PlacedLine] = []
    left_out: list[str] = []
    by_scene = {s.scene: s for s in segments if s.scene is not None}
    for i, scene in enumerate(spec.scenes, start=1):
        progress(0.1 + 0.3 * i / len(spec.scenes), f"Speaking the lines of scene {scene.scene}")
        if scene.sound == "model" or not scene.lines:
            continue
        speak = lambda s=scene: speak_lines(s.lines, spec.voices, folder, spec.recorded)  # noqa: E731
        spoken = _step("speak the lines", scene.scene, speak)
        segment = by_scene[scene.scene]
        plan = place_scene(spoken, scene.scene, segment.start_s, segment.duration_s)
        placed += plan.placed
        left_out += plan.left_out
    return placed, left_out


def _soundtrack(
    segments: list[cut.Segment], lines: list[PlacedLine], folder: Path, progress: Progress
) -> tuple[Path, str]:
    """The mixed soundtrack and the filter that brings it to the loudness target (two-pass `loudnorm`)."""
    progress(0.45, "Mixing voices over the scenes' sound and measuring loudness")
    mixed = folder / "mix.wav"
    args = mix.mix_args(segments, lines, mixed, LOUDNESS)
    stderr = _step(
        "mix the sound", None, lambda: run(args, action="mix the sound of", path=mixed, timeout_s=_ENCODE_TIMEOUT_S)
    )
    measured = _step("normalise loudness", None, lambda: parse_loudness(stderr, mixed))
    return mixed, "anull" if measured.silent else LOUDNESS.second_pass(measured)


def _culprit(spec: EpisodeSpec) -> int | None:
    """The first scene whose take does not decode cleanly."""
    return next((s.scene for s in spec.scenes if s.clip is not None and decode_problem(s.clip)), None)


def _picture(
    spec: EpisodeSpec, segments: list[cut.Segment], soundtrack: Path, folder: Path, size: tuple[int, int]
) -> Path:
    metadata = folder / "chapters.txt"
    metadata.write_text(
        chapters_metadata(f"{spec.title} — Episode {spec.episode}", cut.chapters(segments)), encoding="utf-8"
    )
    out = folder / "episode.mp4"
    try:
        run(
            cut.picture_args(segments, size, soundtrack, metadata, spec.crossfade_s, out),
            action="encode the episode into",
            path=out,
            timeout_s=_ENCODE_TIMEOUT_S,
        )
    except MediaError as exc:
        raise AssemblyFailed("encode the episode", str(exc), _culprit(spec)) from exc
    return out


def render_episode(spec: EpisodeSpec, folder: Path, progress: Progress) -> Rendered:
    """Render the episode into `folder`; nothing outside it is touched."""
    if not spec.scenes:
        raise AssemblyFailed("plan the cut", "the episode has no scene to show.")
    shortest = min(s.duration_s for s in spec.scenes)
    if spec.crossfade_s < 0 or spec.crossfade_s * 2 > min(shortest, cut.TITLE_CARD_S):
        raise AssemblyFailed(
            "plan the cut", f"a crossfade of {spec.crossfade_s:g} s is too long for a {shortest:g} s scene."
        )
    progress(0.06, "Reading the takes")
    size = _size(spec)
    segments = _segments(spec, folder, size)
    lines, left_out = _spoken(spec, segments, folder, progress)
    soundtrack = _soundtrack(segments, lines, folder, progress)
    progress(0.55, "Encoding the episode and normalising loudness to -16 LUFS")
    video = _picture(spec, segments, soundtrack, folder, size)
    cues = cues_of(lines)
    srt, vtt = folder / "episode.srt", folder / "episode.vtt"
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    return Rendered(video, srt, vtt, cut.total_s(segments), lines, cut.chapters(segments), left_out)
