"""Dialogue lines of a scene, kept in the take's `scene_details["dialogue"]` as plain JSON.

A line is spoken by a character (by name) or the NARRATOR, with an emotion from speech-02-hd's list and an
optional timing hint (seconds from the start of the scene).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from vsl.catalog import get_catalog

NARRATOR = "NARRATOR"
SPEECH_MODEL = "speech-02-hd"
MAX_SPEAKER = 60
MAX_LINE = 1000


class DialogueInvalid(ValueError):
    """A dialogue line the speech model cannot speak; the message says why and lists what is allowed."""


@cache
def emotions() -> tuple[str, ...]:
    """The emotions speech-02-hd knows, read from the catalog."""
    spec = get_catalog().get(SPEECH_MODEL).param("emotion")
    return tuple(spec.choices or ()) if spec else ("auto",)


@dataclass(frozen=True)
class DialogueLine:
    speaker: str
    line: str
    emotion: str = "auto"
    at_s: float | None = None  # timing hint: seconds from the start of the scene

    def as_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "line": self.line, "emotion": self.emotion, "at_s": self.at_s}

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> DialogueLine:
        """A line from stored or drafted JSON; missing fields take their defaults, text is trimmed."""
        at = raw.get("at_s")
        hint = float(at) if isinstance(at, int | float) and not isinstance(at, bool) and at >= 0 else None
        speaker = str(raw.get("speaker") or "").strip() or NARRATOR
        emotion = str(raw.get("emotion") or "auto").strip().lower()
        return cls(speaker[:MAX_SPEAKER], str(raw.get("line") or "").strip(), emotion, hint)


def spoken_line(raw: Mapping[str, Any]) -> DialogueLine:
    """A drafted line as it will be spoken: an emotion the model does not know becomes auto."""
    line = DialogueLine.of(raw)
    return line if line.emotion in emotions() else DialogueLine(line.speaker, line.line, "auto", line.at_s)


def check(line: DialogueLine) -> DialogueLine:
    """The line if speech-02-hd can speak it; else DialogueInvalid naming the problem."""
    if line.emotion not in emotions():
        raise DialogueInvalid(
            f"Emotion {line.emotion!r} of {line.speaker}'s line is not one speech-02-hd knows; "
            f"choose one of: {', '.join(emotions())}."
        )
    if len(line.line) > MAX_LINE:
        raise DialogueInvalid(f"{line.speaker}'s line has {len(line.line)} characters; at most {MAX_LINE}.")
    return line


def lines_of(details: Mapping[str, Any]) -> list[DialogueLine]:
    """The scene's spoken lines in order; empty lines are skipped."""
    raw = details.get("dialogue") or []
    lines = [DialogueLine.of(d) for d in raw if isinstance(d, Mapping)] if isinstance(raw, list) else []
    return [line for line in lines if line.line]


def with_lines(details: Mapping[str, Any], lines: Iterable[DialogueLine]) -> dict[str, Any]:
    """A copy of `details` holding `lines` (checked; empty ones dropped)."""
    return {**details, "dialogue": [check(line).as_dict() for line in lines if line.line.strip()]}


def speakers(lines: Iterable[DialogueLine]) -> list[str]:
    """Each speaker once, in order of first appearance."""
    return list(dict.fromkeys(line.speaker for line in lines))
