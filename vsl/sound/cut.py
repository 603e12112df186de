"""The episode's timeline (title card, then one segment per scene) and the ffmpeg arguments that cut the picture:
each take trimmed (or held on its last frame) to its scene's length, fitted into one frame size, joined end to end
or with a short crossfade, with the finished soundtrack and one chapter per scene. See docs/adr/0005.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vsl.media.ffmpeg import OUTPUT_FPS, Chapter

TITLE_CARD_S = 3.0


@dataclass(frozen=True)
class Segment:
    start_s: float  # on the episode's clock
    duration_s: float
    chapter: str
    scene: int | None = None  # None for the title card
    clip: Path | None = None  # the take's file; None for a still card
    card: Path | None = None  # the title or placeholder card
    clip_sound: bool = False  # the take's own sound is part of the mix
    fit: bool = True  # scale and pad into the episode's frame (not needed when the take already has its size)

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


def timeline(lengths: list[tuple[float, str]], crossfade_s: float) -> list[tuple[float, float, str]]:
    """(start, duration, chapter title) per segment: each starts `crossfade_s` before the previous ends."""
    starts, clock = [], 0.0
    for duration, title in lengths:
        starts.append((round(clock, 3), duration, title))
        clock += duration - crossfade_s
    return starts


def total_s(segments: list[Segment]) -> float:
    return segments[-1].end_s


def chapters(segments: list[Segment]) -> list[Chapter]:
    """One chapter per scene; the first also covers the title card before it."""
    scenes = [s for s in segments if s.scene is not None]
    return [
        Chapter(0.0 if i == 0 else s.start_s, scenes[i + 1].start_s if i + 1 < len(scenes) else s.end_s, s.chapter)
        for i, s in enumerate(scenes)
    ]


def _inputs(segments: list[Segment]) -> list[str]:
    args: list[str] = []
    for segment in segments:
        if segment.clip is not None:
            args += ["-i", f"file:{segment.clip}"]
        else:
            assert segment.card is not None
            args += ["-loop", "1", "-framerate", str(OUTPUT_FPS), "-t", f"{segment.duration_s:.3f}"]
            args += ["-i", f"file:{segment.card}"]
    return args


def _chain(i: int, segment: Segment, size: tuple[int, int]) -> str:
    width, height = size
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,"
        if segment.fit
        else ""
    )
    hold = f"tpad=stop_mode=clone:stop_duration={segment.duration_s:.3f}," if segment.clip else ""
    cut = f"trim=duration={segment.duration_s:.3f},setpts=PTS-STARTPTS"
    return f"[{i}:v]fps={OUTPUT_FPS},{fit}setsar=1,{hold}{cut},format=yuv420p[v{i}]"


def _join(segments: list[Segment], crossfade_s: float) -> list[str]:
    if crossfade_s <= 0:
        labels = "".join(f"[v{i}]" for i in range(len(segments)))
        return [f"{labels}concat=n={len(segments)}:v=1:a=0[v]"]
    chains, previous = [], "[v0]"
    for i, segment in enumerate(segments[1:], start=1):
        out = "[v]" if i == len(segments) - 1 else f"[x{i}]"
        chains.append(
            f"{previous}[v{i}]xfade=transition=fade:duration={crossfade_s:.3f}:offset={segment.start_s:.3f}{out}"
        )
        previous = out
    return chains


def picture_args(
    segments: list[Segment],
    size: tuple[int, int],
    soundtrack: tuple[Path, str],
    metadata: Path,
    crossfade_s: float,
    out: Path,
) -> list[str]:
    """ffmpeg arguments writing the episode MP4 (H.264 + AAC, chapters from `metadata`) to `out`; the soundtrack
    file is filtered on the way (the second loudness pass, in its own filter thread beside the picture)."""
    sound, sound_filter = soundtrack
    graph = ";".join([_chain(i, s, size) for i, s in enumerate(segments)] + _join(segments, crossfade_s))
    audio, meta = len(segments), len(segments) + 1
    args = [*_inputs(segments), "-i", f"file:{sound}", "-i", f"file:{metadata}", "-filter_complex", graph]
    args += ["-map", "[v]", "-map", f"{audio}:a", "-map_metadata", str(meta), "-map_chapters", str(meta)]
    args += ["-filter:a", sound_filter, "-t", f"{total_s(segments):.3f}", "-c:a", "aac", "-b:a", "160k"]
    args += ["-r", str(OUTPUT_FPS)]
    return [
        *args,
        "-preset",
        "veryfast",
        "-crf",
        "20",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(out),
    ]
