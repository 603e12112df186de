"""Still cards of an episode: the opening title (novela title, episode number) and the placeholder of a missing
scene, drawn with Pillow at the episode's frame size."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from vsl.media import atomic_output
from vsl.providers.animatic import SYSTEM_FONT, plain_text

_BACKGROUND = (16, 14, 24)
_TITLE = (245, 232, 210)
_SUBTITLE = (200, 170, 120)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int) -> Font:
    try:
        return ImageFont.truetype(SYSTEM_FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _shrink_to_fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> Font:
    while size > 10 and draw.textlength(text, font=_font(size)) > width:
        size -= 2
    return _font(size)


def draw_card(out: Path, size: tuple[int, int], title: str, subtitle: str) -> Path:
    """A dark card with `title` large and `subtitle` below it, centred, written as PNG to `out`."""
    width, height = size
    image = Image.new("RGB", size, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    for raw, share, colour, y in ((title, 0.09, _TITLE, 0.45), (subtitle, 0.05, _SUBTITLE, 0.6)):
        text = plain_text(raw)
        font = _shrink_to_fit(draw, text, max(12, round(height * share)), round(width * 0.9))
        draw.text((width / 2, height * y), text, font=font, fill=colour, anchor="mm")
    with atomic_output(out) as tmp:
        image.save(tmp, format="PNG")
    return out
