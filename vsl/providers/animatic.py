"""The free preview renderer: an animatic MP4 of one scene, a title card and then the prompt page by page.

Only a handful of distinct pictures are drawn with Pillow (one per page, plus a progress bar per input
frame at `INPUT_FPS`); ffmpeg holds each for its share of the clip and encodes 24 fps H.264. The palette comes
from the seed, so the same spec always gives the same colours. User text is drawn as plain text, never as
markup, in DejaVu Sans when the system has it (accents, Hebrew, Arabic, Cyrillic) and otherwise in Pillow's
built-in font, which covers ASCII only (accents are then dropped: "río" becomes "rio"). Nothing is installed.
"""

from __future__ import annotations

import colorsys
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from vsl.media.ffmpeg import encode_frames

ASPECT_RATIOS = ("16:9", "9:16", "1:1")
RESOLUTIONS = {"480p": 480, "720p": 720}
MIN_DURATION_S, MAX_DURATION_S = 1, 10
INPUT_FPS = 4
SECONDS_PER_PAGE = 2  # how long each page of prompt text stays up, so that it can be read
MAX_LINES_PER_PAGE = 6
GOLDEN_RATIO_CONJUGATE = 0.618033988749895
SYSTEM_FONT = "DejaVuSans.ttf"  # Debian's fonts-dejavu-core; Pillow finds it in the system font folders

Colour = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class RenderCanceled(Exception):
    """The render was asked to stop; no output file was written."""


@dataclass(frozen=True)
class AnimaticSpec:
    title: str
    episode: int
    scene: int
    prompt: str
    characters: list[str] = field(default_factory=list)
    seed: int = 0
    duration_s: int = 5
    aspect_ratio: str = "16:9"
    resolution: str = "480p"
    first_frame: str = ""  # a local image path: the clip starts on exactly it and dissolves into the card

    def __post_init__(self) -> None:
        if not MIN_DURATION_S <= self.duration_s <= MAX_DURATION_S:
            raise ValueError(
                f"duration must be {MIN_DURATION_S} to {MAX_DURATION_S} seconds for a local preview, "
                f"got {self.duration_s}."
            )
        if self.aspect_ratio not in ASPECT_RATIOS:
            raise ValueError(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}, got {self.aspect_ratio!r}.")
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {', '.join(RESOLUTIONS)}, got {self.resolution!r}.")

    @property
    def size(self) -> tuple[int, int]:
        """Frame width and height, both even (H.264 with yuv420p needs that)."""
        short = RESOLUTIONS[self.resolution]
        long = round(short * 16 / 9 / 2) * 2
        return {"16:9": (long, short), "9:16": (short, long), "1:1": (short, short)}[self.aspect_ratio]


@dataclass(frozen=True)
class Palette:
    background: Colour
    panel: Colour
    text: Colour
    accent: Colour


def palette_for(seed: int) -> Palette:
    """Colours derived from the seed alone: the same seed always gives the same palette.

    Hues step by the golden ratio, so neighbouring seeds (scene 1, 2, 3...) get clearly different colours.
    """
    hue = (seed * GOLDEN_RATIO_CONJUGATE) % 1.0
    accent_hue = (hue + 0.4 + random.Random(seed).random() * 0.2) % 1.0

    def rgb(h: float, s: float, v: float) -> Colour:
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        return round(r * 255), round(g * 255), round(b * 255)

    return Palette(rgb(hue, 0.6, 0.25), rgb(hue, 0.45, 0.35), rgb(hue, 0.06, 0.97), rgb(accent_hue, 0.5, 1.0))


@cache
def _has_system_font() -> bool:
    try:
        ImageFont.truetype(SYSTEM_FONT, 12)
    except OSError:
        return False
    return True


@cache
def _font(size: int) -> Font:
    return ImageFont.truetype(SYSTEM_FONT, size) if _has_system_font() else ImageFont.load_default(size=size)


def plain_text(text: str) -> str:
    """Text as it will be drawn: control characters become spaces, whitespace runs collapse to one space, and
    accents are dropped when only the ASCII built-in font is available."""
    if not _has_system_font():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return " ".join(cleaned.split())


def _fit(text: str, font: Font, width: int) -> str:
    """`text`, or its longest prefix that fits in `width` pixels followed by an ellipsis (binary search)."""
    if font.getlength(text) <= width:
        return text
    shortest, longest = 0, len(text)
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if font.getlength(text[:middle] + "…") <= width:
            shortest = middle
        else:
            longest = middle - 1
    return text[:shortest].rstrip() + "…"


def _split_word(word: str, font: Font, width: int) -> Iterator[str]:
    """A word wider than a line, cut into pieces that fit (lazily: wrapping may stop early)."""
    current = ""
    for char in word:
        if current and font.getlength(current + char) > width:
            yield current
            current = ""
        current += char
    yield current


def wrap(text: str, font: Font, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to at most `max_lines` lines; the last ends in an ellipsis if text is left over."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        for piece in _split_word(word, font, width) if font.getlength(word) > width else [word]:
            candidate = f"{current} {piece}" if current else piece
            if current and font.getlength(candidate) > width:
                lines.append(current)
                candidate = piece
            current = candidate
            if len(lines) == max_lines:
                lines[-1] = _fit(lines[-1] + " …", font, width)
                return lines
    return [*lines, current] if current else lines


class _Canvas:
    """Lays out the pages of one animatic: sizes, margins and fonts scale with the frame."""

    def __init__(self, spec: AnimaticSpec) -> None:
        self.spec = spec
        self.width, self.height = spec.size
        self.palette = palette_for(spec.seed)
        short = min(self.width, self.height)
        self.margin = short // 12
        self.text_width = self.width - 2 * self.margin
        self.title_font, self.body_font, self.small_font = (
            _font(short // 11),
            _font(short // 17),
            _font(short // 28),
        )
        self.bar_height = max(4, short // 90)
        self.heading = f"Episode {spec.episode} · Scene {spec.scene}"
        self.title = plain_text(spec.title) or "Untitled scene"

    def _blank(self) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        image = Image.new("RGB", (self.width, self.height), self.palette.background)
        draw = ImageDraw.Draw(image)
        footer_top = self.height - self.margin - self._line_height(self.small_font)
        draw.rectangle((0, footer_top - self.margin // 2, self.width, self.height), fill=self.palette.panel)
        names = plain_text(" · ".join(self.spec.characters))
        if names:
            footer = _fit(f"With {names}", self.small_font, self.text_width)
            draw.text((self.margin, footer_top), footer, font=self.small_font, fill=self.palette.text)
        return image, draw

    @staticmethod
    def _line_height(font: Font) -> int:
        _left, top, _right, bottom = font.getbbox("Ag")
        return int((bottom - top) * 1.45)

    def title_card(self) -> Image.Image:
        image, draw = self._blank()
        y = self.height // 4
        draw.text((self.margin, y), self.heading, font=self.body_font, fill=self.palette.accent)
        y += self._line_height(self.body_font) * 2
        for line in wrap(self.title, self.title_font, self.text_width, max_lines=3):
            draw.text((self.margin, y), line, font=self.title_font, fill=self.palette.text)
            y += self._line_height(self.title_font)
        return image

    def lines_per_page(self) -> int:
        header = self._line_height(self.small_font) * 2
        footer = self._line_height(self.small_font) + self.margin
        room = self.height - 2 * self.margin - header - footer
        return max(1, min(MAX_LINES_PER_PAGE, room // self._line_height(self.body_font)))

    def text_page(self, lines: list[str], number: int, count: int) -> Image.Image:
        image, draw = self._blank()
        header = _fit(f"{self.heading} · {self.title}", self.small_font, self.text_width)
        draw.text((self.margin, self.margin), header, font=self.small_font, fill=self.palette.accent)
        y = self.margin + self._line_height(self.small_font) * 2
        for line in lines:
            draw.text((self.margin, y), line, font=self.body_font, fill=self.palette.text)
            y += self._line_height(self.body_font)
        if count > 1:
            marker = f"{number}/{count}"
            x = self.width - self.margin - int(self.small_font.getlength(marker))
            draw.text((x, self.margin), marker, font=self.small_font, fill=self.palette.text)
        return image

    def with_progress(self, page: Image.Image, done: float) -> bytes:
        frame = page.copy()
        top = self.height - self.bar_height
        ImageDraw.Draw(frame).rectangle((0, top, round(self.width * done), self.height), fill=self.palette.accent)
        return frame.tobytes()


def _pages(canvas: _Canvas, total_frames: int) -> list[tuple[Image.Image, int]]:
    """Each distinct picture with the number of input frames it is held for; the counts add up to the clip."""
    title_frames = max(1, min(SECONDS_PER_PAGE * INPUT_FPS, total_frames // 3))
    text_frames = total_frames - title_frames
    if text_frames == 0:
        return [(canvas.title_card(), title_frames)]
    page_count = max(1, text_frames // (SECONDS_PER_PAGE * INPUT_FPS))
    per_page = canvas.lines_per_page()
    prompt = plain_text(canvas.spec.prompt) or "(no prompt written yet)"
    lines = wrap(prompt, canvas.body_font, canvas.text_width, max_lines=page_count * per_page)
    chunks = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    share, extra = divmod(text_frames, len(chunks))
    text_pages = [
        (canvas.text_page(chunk, n + 1, len(chunks)), share + (1 if n < extra else 0)) for n, chunk in enumerate(chunks)
    ]
    return [(canvas.title_card(), title_frames), *text_pages]


def _opening(spec: AnimaticSpec) -> Image.Image | None:
    """The given first frame fitted to the clip's size (cropped to fill, never letterboxed), or None."""
    if not spec.first_frame:
        return None
    with Image.open(spec.first_frame) as image:
        return ImageOps.fit(image.convert("RGB"), spec.size)


def _frames(
    canvas: _Canvas,
    total_frames: int,
    progress: Callable[[int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> Iterator[bytes]:
    index = 0
    opening = _opening(canvas.spec)
    for page, count in _pages(canvas, total_frames):
        for _ in range(count):
            if should_stop is not None and should_stop():
                raise RenderCanceled("The local preview render was canceled.")
            if opening is not None:  # animate from the first frame: a dissolve over the whole clip
                yield Image.blend(opening, page, index / total_frames).tobytes()
                index += 1
            else:
                index += 1
                yield canvas.with_progress(page, index / total_frames)
            if progress is not None:
                progress(min(99, index * 100 // total_frames))


def render_animatic(
    spec: AnimaticSpec,
    out: Path,
    progress: Callable[[int], None] | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> Path:
    """Render `spec` to an H.264 MP4 at `out` (written atomically).

    `progress` receives 0..100; `should_stop` is checked between frames and raises RenderCanceled when true.
    """
    canvas = _Canvas(spec)
    total_frames = spec.duration_s * INPUT_FPS
    encode_frames(_frames(canvas, total_frames, progress, should_stop), spec.size, out, input_fps=INPUT_FPS)
    if progress is not None:
        progress(100)
    return out
