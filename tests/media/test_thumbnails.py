"""Thumbnails of real videos, images and audio files are JPEGs no wider than asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.media import make_with_ffmpeg, render_clip
from vsl.media import MediaError
from vsl.media.thumbnails import make_thumbnail


def _jpeg_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "JPEG"
        image.load()
        return image.size


def test_video_thumbnail_is_a_frame_at_the_requested_width(tmp_path: Path) -> None:
    clip = render_clip(tmp_path / "scene.mp4", aspect_ratio="16:9", duration_s=1)
    width, height = _jpeg_size(make_thumbnail(clip, "video", tmp_path / "thumb.jpg", max_width=240))
    assert width == 240
    assert abs(height - 240 * 480 / 854) <= 1


def test_image_thumbnail_keeps_the_aspect_ratio(tmp_path: Path) -> None:
    source = tmp_path / "still.png"
    Image.new("RGBA", (1000, 500), (200, 40, 40, 128)).save(source)
    assert _jpeg_size(make_thumbnail(source, "image", tmp_path / "thumb.jpg")) == (480, 240)


def test_small_image_is_not_enlarged(tmp_path: Path) -> None:
    source = tmp_path / "icon.jpg"
    Image.new("RGB", (100, 60), (10, 90, 200)).save(source)
    assert _jpeg_size(make_thumbnail(source, "image", tmp_path / "thumb.jpg")) == (100, 60)


def test_audio_thumbnail_is_a_card_with_a_waveform(tmp_path: Path) -> None:
    tone = make_with_ffmpeg(tmp_path / "voice.mp3", "sine=frequency=440:duration=2")
    silence = make_with_ffmpeg(tmp_path / "silence.mp3", "anullsrc=r=44100:cl=mono:d=2")
    thumbs = [make_thumbnail(src, "audio", tmp_path / f"{src.stem}.jpg", max_width=320) for src in (tone, silence)]
    assert [_jpeg_size(t) for t in thumbs] == [(320, 180), (320, 180)]
    assert _bright_pixels_in_middle_column(thumbs[0]) > 10  # the tone's waveform
    assert _bright_pixels_in_middle_column(thumbs[1]) == 0  # silence draws nothing


def _bright_pixels_in_middle_column(path: Path) -> int:
    with Image.open(path) as image:
        column = [image.getpixel((image.width // 2, y)) for y in range(image.height)]
    return sum(1 for pixel in column if sum(pixel) > 300)


def test_broken_image_raises_media_error_naming_it(tmp_path: Path) -> None:
    source = tmp_path / "broken.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(MediaError, match=r"broken\.png"):
        make_thumbnail(source, "image", tmp_path / "thumb.jpg")
    assert not (tmp_path / "thumb.jpg").exists()


def test_unknown_media_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="video, image or audio"):
        make_thumbnail(tmp_path / "x.bin", "hologram", tmp_path / "thumb.jpg")
