"""Subtitles as SRT and WebVTT from placed lines; cue text has its markup escaped so it shows as written."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from vsl.sound.timeline import PlacedLine


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # plain text, as the user wrote it


def cues_of(lines: Iterable[PlacedLine], offset_s: float = 0.0) -> list[Cue]:
    """One cue per line, in time order; a cue never runs into the next one."""
    ordered = sorted(lines, key=lambda p: p.start_s)
    cues = [Cue(round((p.start_s - offset_s) * 1000), round((p.end_s - offset_s) * 1000), p.caption) for p in ordered]
    return [
        Cue(c.start_ms, min(c.end_ms, cues[i + 1].start_ms) if i + 1 < len(cues) else c.end_ms, c.text)
        for i, c in enumerate(cues)
    ]


def _escaped(text: str) -> str:
    """Markup-safe cue text: &, < and > as entities, no blank line (it would end the cue), no arrow."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    return html.escape("\n".join(line for line in lines if line), quote=False)


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(max(0, ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{n}\n{_clock(c.start_ms, ',')} --> {_clock(c.end_ms, ',')}\n{_escaped(c.text)}\n"
        for n, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    blocks = [f"{_clock(c.start_ms, '.')} --> {_clock(c.end_ms, '.')}\n{_escaped(c.text)}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
