"""Labelled stand-in stills for the local preview: portraits of cast members and scene keyframes.

Nothing here pretends to be AI art: every still says "stand-in" and shows the name, a palette from the seed
and a simple drawn figure (a person, a place or a thing), so the cast journey works offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from vsl.media import atomic_output
from vsl.providers.animatic import _font, palette_for, plain_text, wrap

STILL_SIZES = {"1:1": (512, 512), "16:9": (854, 480), "9:16": (480, 854)}


@dataclass(frozen=True)
class StillSpec:
    purpose: str  # portrait | keyframe
    label: str  # "Portrait of Isabel", "E1 S2 start frame"
    prompt: str
    seed: int = 0
    aspect_ratio: str = "1:1"

    @property
    def size(self) -> tuple[int, int]:
        return STILL_SIZES.get(self.aspect_ratio, STILL_SIZES["16:9"])


def _figure(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> None:
    """A simple person: head, shoulders and body, inside `box`."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    cx = left + width // 2
    head = height // 6
    draw.ellipse((cx - head, top, cx + head, top + 2 * head), fill=colour)
    draw.rounded_rectangle((cx - 2 * head, top + 2 * head + head // 3, cx + 2 * head, bottom), radius=head, fill=colour)


def render_still(spec: StillSpec, out: Path) -> Path:
    """Draw the stand-in and save it as PNG at `out` (written atomically)."""
    width, height = spec.size
    palette = palette_for(spec.seed)
    image = Image.new("RGB", (width, height), palette.background)
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    margin = short // 14
    draw.rectangle((0, height * 2 // 3, width, height), fill=palette.panel)
    figure_top = height // 5
    figure_h = height * 2 // 3 - figure_top
    _figure(draw, (width // 2 - figure_h // 3, figure_top, width // 2 + figure_h // 3, height * 2 // 3), palette.accent)
    small, body = _font(max(10, short // 26)), _font(max(12, short // 16))
    draw.text((margin, margin), "LOCAL STAND-IN · not AI art", font=small, fill=palette.text)
    y = height * 2 // 3 + margin // 2
    for line in wrap(plain_text(spec.label), body, width - 2 * margin, max_lines=1):
        draw.text((margin, y), line, font=body, fill=palette.text)
        y += short // 12
    for line in wrap(plain_text(spec.prompt), small, width - 2 * margin, max_lines=3):
        draw.text((margin, y), line, font=small, fill=palette.text)
        y += short // 22
    with atomic_output(out) as tmp:
        image.save(tmp, format="PNG")
    return out
