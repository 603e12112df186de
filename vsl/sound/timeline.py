"""Where each spoken line sits in its scene, from the measured length of its audio.

Lines follow each other inside their scene, a short pause apart, each no earlier than its timing hint. A line
that would run past the end of its scene is cut at the scene's end (its cue too); one that would start in the
last half second is left out and reported, so every cue lies inside its scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vsl.sound.dialogue import NARRATOR, DialogueLine

LEAD_S = 0.4  # silence before the first line of a scene
GAP_S = 0.3  # pause between two lines
TAIL_S = 0.1  # silence kept at the end of a scene
MIN_SPOKEN_S = 0.5  # a line that would have less room than this is left out


@dataclass(frozen=True)
class SpokenLine:
    line: DialogueLine
    audio: Path
    duration_s: float  # measured from the audio file
    stand_in: bool = True  # spoken offline by espeak-ng, not recorded by speech-02-hd


@dataclass(frozen=True)
class PlacedLine:
    scene: int
    line: DialogueLine
    audio: Path
    start_s: float  # on the episode's clock
    end_s: float
    stand_in: bool = True

    @property
    def caption(self) -> str:
        line = self.line
        return line.line if line.speaker == NARRATOR else f"{line.speaker}: {line.line}"


@dataclass(frozen=True)
class ScenePlan:
    placed: list[PlacedLine]
    left_out: list[str]  # sentences for the user: which lines did not fit


def place_scene(spoken: list[SpokenLine], scene: int, start_s: float, duration_s: float) -> ScenePlan:
    """Place the scene's lines between `start_s` and `start_s + duration_s` (episode time)."""
    placed: list[PlacedLine] = []
    left_out: list[str] = []
    cursor = LEAD_S
    last = duration_s - TAIL_S
    for item in spoken:
        begin = max(cursor, item.line.at_s or 0.0)
        if last - begin < MIN_SPOKEN_S:
            left_out.append(
                f"Scene {scene}: {item.line.speaker}'s line “{item.line.line[:40]}” does not fit in {duration_s:g} s."
            )
            continue
        end = min(begin + item.duration_s, last)
        placed.append(
            PlacedLine(scene, item.line, item.audio, round(start_s + begin, 3), round(start_s + end, 3), item.stand_in)
        )
        cursor = end + GAP_S
    return ScenePlan(placed, left_out)
