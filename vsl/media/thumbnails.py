"""JPEG thumbnails for the media library: a video's first frame, a resized image, an audio waveform card."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from vsl.media import MediaError, atomic_output
from vsl.media.ffmpeg import extract_frame, probe, waveform

CARD_BACKGROUND = (24, 26, 38)
WAVE_COLOUR = "#e8b04b"
LABEL_COLOUR = (235, 235, 240)
JPEG_QUALITY = 85


def make_thumbnail(source: Path, media_type: str, out: Path, max_width: int = 480) -> Path:
    """Write a JPEG thumbnail of `source` (no wider than `max_width`) to `out` and return `out`."""
    makers = {"video": _video, "image": _image, "audio": _audio}
    if media_type not in makers:
        raise ValueError(f"Cannot make a thumbnail for media type {media_type!r}: use video, image or audio.")
    return makers[media_type](source, out, max_width)


def _video(source: Path, out: Path, max_width: int) -> Path:
    return extract_frame(source, out, at_s=0.0, max_width=max_width)


def _save_jpeg(image: Image.Image, out: Path) -> Path:
    with atomic_output(out) as tmp:
        image.convert("RGB").save(tmp, format="JPEG", quality=JPEG_QUALITY)
    return out


def _image(source: Path, out: Path, max_width: int) -> Path:
    try:
        with Image.open(source) as image:
            image.draft("RGB", (max_width, max_width))  # JPEG: decode at reduced size, much faster
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((max_width, picture.height))  # keeps the aspect ratio, never enlarges
            return _save_jpeg(picture, out)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(
            f"Cannot make a thumbnail of image '{source}': {exc}. Check that it is a complete image file.",
            path=source,
        ) from exc


def _clock(seconds: Decimal) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _audio(source: Path, out: Path, max_width: int) -> Path:
    """A dark card with the waveform across the middle and the file's length in the corner."""
    width, height = max_width, max_width * 9 // 16
    length = probe(source).duration_s
    card = Image.new("RGB", (width, height), CARD_BACKGROUND)
    with tempfile.TemporaryDirectory() as folder:
        wave_png = waveform(source, Path(folder) / "wave.png", width, height // 2, WAVE_COLOUR)
        with Image.open(wave_png) as wave:
            card.paste(wave, (0, height // 4), wave.convert("RGBA"))
    font = ImageFont.load_default(size=max(10, height // 12))
    margin = height // 16
    ImageDraw.Draw(card).text((margin, margin), f"Audio · {_clock(length)}", font=font, fill=LABEL_COLOUR)
    return _save_jpeg(card, out)
