"""ffmpeg helpers against real files made by the renderer and by ffmpeg's synthetic sources."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from tests.media import make_with_ffmpeg, render_clip
from vsl.media.ffmpeg import MediaError, concat, encode_frames, extract_frame, probe


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "wide": render_clip(folder / "wide.mp4", aspect_ratio="16:9", duration_s=1),
        "tall": render_clip(folder / "tall.mp4", aspect_ratio="9:16", duration_s=2),
        "tone": make_with_ffmpeg(folder / "tone.m4a", "sine=frequency=440:duration=1"),
        "with_sound": make_with_ffmpeg(folder / "sound.mp4", "testsrc=s=320x240:d=1", "sine=duration=1"),
    }


def test_probe_reads_codec_size_duration_and_pixel_format(clips: dict[str, Path]) -> None:
    media = probe(clips["tall"])
    assert (media.codec, media.width, media.height, media.pix_fmt) == ("h264", 480, 854, "yuv420p")
    assert abs(media.duration_s - Decimal(2)) <= Decimal("0.1")
    assert not media.has_audio


def test_probe_of_an_audio_file_has_no_picture(clips: dict[str, Path]) -> None:
    media = probe(clips["tone"])
    assert media.has_audio and not media.has_video
    assert media.codec == "aac"
    assert abs(media.duration_s - 1) <= Decimal("0.1")


def test_probe_of_a_text_file_names_the_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video", encoding="utf-8")
    with pytest.raises(MediaError, match=r"notes\.txt") as caught:
        probe(notes)
    assert "Invalid data" in caught.value.stderr_tail


def test_probe_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        probe(tmp_path / "gone.mp4")


def test_extract_frame_writes_a_jpeg_no_wider_than_asked(clips: dict[str, Path], tmp_path: Path) -> None:
    out = extract_frame(clips["wide"], tmp_path / "frame.jpg", at_s=0.5, max_width=320)
    with Image.open(out) as image:
        assert image.format == "JPEG"
        assert image.size == (320, 180)


def test_extract_frame_past_the_end_fails_without_leaving_a_file(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"wide\.mp4"):
        extract_frame(clips["wide"], tmp_path / "frame.jpg", at_s=30)
    assert list(tmp_path.iterdir()) == []


def test_concat_of_identical_clips_sums_their_durations(clips: dict[str, Path], tmp_path: Path) -> None:
    joined = probe(concat([clips["wide"], clips["wide"]], tmp_path / "episode.mp4"))
    assert (joined.codec, joined.width, joined.height) == ("h264", 854, 480)
    assert abs(joined.duration_s - 2) <= Decimal("0.1")


def test_concat_of_different_aspect_ratios_fits_them_in_the_first_frame(clips: dict[str, Path], tmp_path: Path) -> None:
    joined = probe(concat([clips["wide"], clips["tall"]], tmp_path / "episode.mp4"))
    assert (joined.codec, joined.width, joined.height, joined.pix_fmt) == ("h264", 854, 480, "yuv420p")
    assert abs(joined.duration_s - 3) <= Decimal("0.1")


def test_concat_keeps_sound_when_only_some_clips_have_it(clips: dict[str, Path], tmp_path: Path) -> None:
    joined = probe(concat([clips["tall"], clips["with_sound"]], tmp_path / "episode.mp4"))
    assert joined.has_audio
    assert (joined.width, joined.height) == (480, 854)
    assert abs(joined.duration_s - 3) <= Decimal("0.1")


def test_concat_refuses_a_file_that_is_not_a_video(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"tone\.m4a"):
        concat([clips["wide"], clips["tone"]], tmp_path / "episode.mp4")
    assert not (tmp_path / "episode.mp4").exists()


def _grey_frames(count: int, size: tuple[int, int], pause_s: float = 0.0) -> Iterator[bytes]:
    for _ in range(count):
        time.sleep(pause_s)
        yield bytes([128]) * (size[0] * size[1] * 3)


def test_encode_frames_holds_each_frame_for_its_share(tmp_path: Path) -> None:
    out = encode_frames(_grey_frames(6, (64, 48)), (64, 48), tmp_path / "grey.mp4", input_fps=4)
    media = probe(out)
    assert (media.codec, media.width, media.height) == ("h264", 64, 48)
    assert abs(media.duration_s - Decimal("1.5")) <= Decimal("0.1")


def test_encode_frames_stops_at_its_deadline_and_leaves_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(MediaError, match="took longer than"):
        encode_frames(_grey_frames(100, (64, 48), 0.05), (64, 48), tmp_path / "slow.mp4", input_fps=4, timeout_s=0.3)
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


def test_encode_frames_stopped_by_its_source_leaves_nothing(tmp_path: Path) -> None:
    def failing() -> Iterator[bytes]:
        yield from _grey_frames(2, (64, 48))
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        encode_frames(failing(), (64, 48), tmp_path / "half.mp4", input_fps=4)
    assert list(tmp_path.iterdir()) == []
