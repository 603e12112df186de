"""Every call to ffmpeg: probing, frame extraction, waveforms, joining clips, encoding rendered frames, loudness
(two-pass `loudnorm`, `ebur128`) and MP4 chapters.

The binary is the one shipped in the `imageio-ffmpeg` wheel (there is no ffprobe, so `probe` reads the stream
description `ffmpeg -i` prints). Every call has a timeout and fails with a `MediaError` that names the file
and quotes ffmpeg's last stderr lines. Outputs are written through `atomic_output`.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import imageio_ffmpeg

from vsl.media import MediaError, atomic_output

__all__ = [
    "Chapter",
    "Loudness",
    "LoudnessTarget",
    "MediaError",
    "MediaProbe",
    "burn_subtitles",
    "chapters_metadata",
    "concat",
    "decode_problem",
    "encode_frames",
    "extract_frame",
    "integrated_loudness",
    "parse_loudness",
    "probe",
    "read_chapters",
    "run",
    "waveform",
]

OUTPUT_FPS = 24
_BROWSER_H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4"]
_ONE_IMAGE = ["-f", "image2", "-update", "1"]  # a single picture to a file name without a %d pattern
_STDERR_TAIL_LINES = 4


def _input(path: Path) -> str:
    """The path as an ffmpeg input that is always read as a local file (a name like `http:x` stays a file)."""
    return f"file:{path}"


@cache
def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaProbe:
    """What `ffmpeg -i` says about a file.

    Audio-only files have width = height = 0 and the audio codec as `codec`; still images have duration 0.
    """

    codec: str
    width: int
    height: int
    duration_s: Decimal
    has_audio: bool
    pix_fmt: str
    audio_codec: str = ""
    sample_rate: int = 0

    @property
    def has_video(self) -> bool:
        return self.width > 0


def _tail(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " | ".join(lines[-_STDERR_TAIL_LINES:])


def _failure(action: str, path: Path, stderr: str) -> MediaError:
    tail = _tail(stderr)
    detail = f" (ffmpeg said: {tail})" if tail else ""
    return MediaError(
        f"ffmpeg could not {action} '{path}'{detail}. Check that the file is a complete media file in a "
        "supported format.",
        path=path,
        stderr_tail=tail,
    )


def _timeout(action: str, path: Path, timeout_s: float) -> MediaError:
    return MediaError(
        f"ffmpeg took longer than {timeout_s:g} s to {action} '{path}' and was stopped. Retry; if it happens "
        "again, check that the file is not damaged or unusually long.",
        path=path,
    )


def _run(args: list[str], *, action: str, path: Path, timeout_s: float, check: bool = True) -> str:
    """Run ffmpeg and return its stderr; raise MediaError on a timeout or, when `check`, on a failure."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(command, check=False, capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise _timeout(action, path, timeout_s) from exc
    stderr = done.stderr.decode("utf-8", errors="replace")
    if check and done.returncode != 0:
        raise _failure(action, path, stderr)
    return stderr


def run(args: list[str], *, action: str, path: Path, timeout_s: float) -> str:
    """Run ffmpeg with `args`; MediaError naming `action` and `path` on a failure or a timeout."""
    return _run(args, action=action, path=path, timeout_s=timeout_s)


def _split_top_level(text: str) -> list[str]:
    """Split a stream description on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE = re.compile(r"^(\d+)x(\d+)")
_RATE = re.compile(r"^(\d+) Hz")


def _duration(stderr: str) -> Decimal:
    match = _DURATION.search(stderr)
    if not match:
        return Decimal("0")
    hours, minutes, seconds = match.groups()
    return Decimal(hours) * 3600 + Decimal(minutes) * 60 + Decimal(seconds)


def _parse_probe(stderr: str, path: Path) -> MediaProbe:
    video = audio = None
    for kind, description in _STREAM.findall(stderr):
        if "(attached pic)" in description:  # cover art of an audio file, not a video
            continue
        fields = _split_top_level(description)
        if kind == "Video" and video is None:
            video = fields
        elif kind == "Audio" and audio is None:
            audio = fields
    if video is None and audio is None:
        raise _failure("read any audio or video stream from", path, stderr)
    audio_codec = audio[0].split()[0] if audio else ""
    sample_rate = next((int(m.group(1)) for f in audio or [] if (m := _RATE.match(f))), 0)
    if video is None:
        return MediaProbe(audio_codec, 0, 0, _duration(stderr), True, "", audio_codec, sample_rate)
    size = next((m for f in video if (m := _SIZE.match(f))), None)
    width, height = (int(size.group(1)), int(size.group(2))) if size else (0, 0)
    pix_fmt = video[1].split("(")[0].strip() if len(video) > 1 and not _SIZE.match(video[1]) else ""
    codec = video[0].split()[0]
    return MediaProbe(codec, width, height, _duration(stderr), audio is not None, pix_fmt, audio_codec, sample_rate)


def probe(path: Path, *, timeout_s: float = 20.0) -> MediaProbe:
    """Codec, size, duration, pixel format and audio presence of a media file."""
    if not path.is_file():
        raise MediaError(f"Cannot probe '{path}': the file does not exist.", path=path)
    stderr = _run(["-i", _input(path)], action="read", path=path, timeout_s=timeout_s, check=False)
    return _parse_probe(stderr, path)


def _require_output(tmp: Path, action: str, source: Path, stderr: str) -> None:
    if not tmp.exists() or tmp.stat().st_size == 0:
        raise _failure(action, source, stderr)


def extract_frame(
    video: Path, out_jpeg: Path, at_s: float = 0.0, max_width: int = 480, *, timeout_s: float = 30.0
) -> Path:
    """Save the frame at `at_s` seconds as a JPEG no wider than `max_width` (never upscaled)."""
    action = f"extract a frame at {at_s:g} s from"
    with atomic_output(out_jpeg) as tmp:
        args = ["-ss", f"{at_s:.3f}", "-i", _input(video), "-frames:v", "1", "-vf", f"scale='min(iw,{max_width})':-2"]
        stderr = _run([*args, "-q:v", "3", *_ONE_IMAGE, str(tmp)], action=action, path=video, timeout_s=timeout_s)
        _require_output(tmp, action, video, stderr)
    return out_jpeg


def waveform(audio: Path, out_png: Path, width: int, height: int, colour: str, *, timeout_s: float = 30.0) -> Path:
    """Draw the whole audio file as a single waveform picture (transparent background)."""
    action = "draw the waveform of"
    with atomic_output(out_png) as tmp:
        graph = f"aformat=channel_layouts=mono,showwavespic=s={width}x{height}:colors={colour}:scale=sqrt:draw=full"
        args = ["-i", _input(audio), "-filter_complex", graph, "-frames:v", "1", "-c:v", "png", *_ONE_IMAGE]
        stderr = _run([*args, str(tmp)], action=action, path=audio, timeout_s=timeout_s)
        _require_output(tmp, action, audio, stderr)
    return out_png


def _copy_key(media: MediaProbe) -> tuple[object, ...]:
    return (media.codec, media.width, media.height, media.pix_fmt, media.audio_codec, media.sample_rate)


def _concat_list(videos: list[Path], folder: Path) -> Path:
    listing = folder / "inputs.txt"
    quoted = (str(v.resolve()).replace("'", "'\\''") for v in videos)
    listing.write_text("".join(f"file '{q}'\n" for q in quoted), encoding="utf-8")
    return listing


def _reencode_graph(probes: list[MediaProbe]) -> tuple[str, bool]:
    """Filter graph fitting every clip into the first clip's frame (scale + pad), silent where audio lacks."""
    width, height = probes[0].width // 2 * 2, probes[0].height // 2 * 2
    with_audio = any(p.has_audio for p in probes)
    chains, labels = [], []
    for i, media in enumerate(probes):
        fit = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
        pad = f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
        chains.append(f"[{i}:v]{fit},{pad},setsar=1,fps={OUTPUT_FPS},format=yuv420p[v{i}]")
        labels.append(f"[v{i}]")
        if with_audio:
            source = f"[{i}:a]" if media.has_audio else f"anullsrc=r=48000:cl=stereo,atrim=duration={media.duration_s},"
            chains.append(f"{source}aresample=48000,aformat=channel_layouts=stereo[a{i}]")
            labels.append(f"[a{i}]")
    outputs = "[v][a]" if with_audio else "[v]"
    chains.append(f"{''.join(labels)}concat=n={len(probes)}:v=1:a={int(with_audio)}{outputs}")
    return ";".join(chains), with_audio


def concat(videos: list[Path], out: Path, *, timeout_s: float = 600.0) -> Path:
    """Join clips end to end into one MP4.

    Clips with identical streams are joined without re-encoding (concat demuxer). Otherwise every clip is
    re-encoded into the first clip's frame size, letterboxed, so takes of different aspect ratios assemble.
    """
    if not videos:
        raise ValueError("concat needs at least one video to join.")
    probes = [probe(v) for v in videos]
    for video, media in zip(videos, probes, strict=True):
        if not media.has_video:
            raise MediaError(
                f"Cannot join '{video}': it has no video stream; only video clips can be joined.", path=video
            )
    with atomic_output(out) as tmp:
        if len({_copy_key(p) for p in probes}) == 1:
            _concat_copy(videos, tmp, out, timeout_s)
        else:
            _concat_reencode(videos, probes, tmp, out, timeout_s)
    return out


def _concat_copy(videos: list[Path], tmp: Path, out: Path, timeout_s: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        listing = _concat_list(videos, Path(folder))
        args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart"]
        _run(
            [*args, "-f", "mp4", str(tmp)],
            action=f"join {len(videos)} clips into",
            path=out,
            timeout_s=timeout_s,
        )


def _concat_reencode(videos: list[Path], probes: list[MediaProbe], tmp: Path, out: Path, timeout_s: float) -> None:
    graph, with_audio = _reencode_graph(probes)
    args = [arg for v in videos for arg in ("-i", _input(v))] + ["-filter_complex", graph, "-map", "[v]"]
    args += ["-map", "[a]", "-c:a", "aac", "-b:a", "128k"] if with_audio else []
    args += ["-preset", "veryfast", "-crf", "20", *_BROWSER_H264, str(tmp)]
    _run(args, action=f"join {len(videos)} clips into", path=out, timeout_s=timeout_s)


def encode_frames(
    frames: Iterable[bytes], size: tuple[int, int], out: Path, *, input_fps: int, timeout_s: float = 120.0
) -> Path:
    """Encode raw RGB frames shown at `input_fps` into a browser-playable H.264 MP4 at 24 fps.

    Each input frame is held for 1/input_fps seconds, so few distinct frames make a long clip cheaply. An
    exception raised by `frames` (e.g. a cancellation) stops ffmpeg and leaves no output behind.
    """
    width, height = size
    action = "encode rendered frames into"
    deadline = time.monotonic() + timeout_s
    raw_input = [
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-framerate",
        str(input_fps),
    ]
    encoder = ["-r", str(OUTPUT_FPS), "-preset", "superfast", "-tune", "stillimage", *_BROWSER_H264]
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *raw_input, "-i", "pipe:0", *encoder]
    with atomic_output(out) as tmp, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen([*command, str(tmp)], stdin=subprocess.PIPE, stderr=stderr)
        try:
            _feed(process, frames, deadline, lambda: _timeout(action, out, timeout_s))
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as exc:
            raise _timeout(action, out, timeout_s) from exc
        finally:
            _stop(process)
        if process.returncode != 0:
            stderr.seek(0)
            raise _failure(action, out, stderr.read().decode("utf-8", errors="replace"))
    return out


def _feed(
    process: subprocess.Popen[bytes],
    frames: Iterable[bytes],
    deadline: float,
    on_timeout: Callable[[], MediaError],
) -> None:
    stdin = process.stdin
    assert stdin is not None
    try:
        for frame in frames:
            if time.monotonic() > deadline:
                raise on_timeout()
            stdin.write(frame)
        stdin.close()
    except BrokenPipeError:
        return  # ffmpeg exited early: its return code and stderr say why


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ffmpeg if it is still running and release its input pipe."""
    if process.poll() is None:
        process.kill()
        process.wait()
    with suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()


def decode_problem(path: Path, *, timeout_s: float = 120.0) -> str:
    """ffmpeg's complaint when it decodes the whole file, or "" when the file decodes cleanly."""
    stderr = _run(
        ["-v", "error", "-i", _input(path), "-f", "null", "-"],
        action="decode",
        path=path,
        timeout_s=timeout_s,
        check=False,
    )
    return _tail(stderr)


@dataclass(frozen=True)
class Loudness:
    """What the first `loudnorm` pass measured (LUFS, dBTP, LU)."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float

    @property
    def silent(self) -> bool:
        return not math.isfinite(self.integrated) or self.integrated < -70


_LOUDNORM_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.DOTALL)


@dataclass(frozen=True)
class LoudnessTarget:
    integrated: float = -16.0  # LUFS
    true_peak: float = -1.5  # dBTP
    lra: float = 11.0  # LU

    def _base(self) -> str:
        return f"loudnorm=I={self.integrated:g}:TP={self.true_peak:g}:LRA={self.lra:g}"

    def first_pass(self) -> str:
        """The `loudnorm` filter that measures (its JSON goes to stderr; read it with `parse_loudness`)."""
        return self._base() + ":print_format=json"

    def second_pass(self, measured: Loudness) -> str:
        """The `loudnorm` filter that applies the target with the first pass's measurements, back at 48 kHz."""
        return (
            f"{self._base()}:measured_I={measured.integrated:.2f}:measured_TP={measured.true_peak:.2f}"
            f":measured_LRA={measured.lra:.2f}:measured_thresh={measured.threshold:.2f}"
            f":offset={measured.offset:.2f}:linear=true,aresample=48000"
        )


def parse_loudness(stderr: str, path: Path) -> Loudness:
    """The measurements a first `loudnorm` pass printed."""
    match = _LOUDNORM_JSON.search(stderr)
    if not match:
        raise _failure("measure the loudness of", path, stderr)
    values = json.loads(match.group(0))
    return Loudness(*(float(values[k]) for k in ("input_i", "input_tp", "input_lra", "input_thresh", "target_offset")))


_EBUR128_I = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS")


def integrated_loudness(path: Path, *, timeout_s: float = 300.0) -> float:
    """The integrated loudness (LUFS) of a file's audio as ffmpeg's `ebur128` filter measures it."""
    args = ["-nostats", "-i", _input(path), "-map", "0:a:0", "-af", "ebur128=framelog=quiet", "-f", "null", "-"]
    stderr = _run(args, action="measure the loudness of", path=path, timeout_s=timeout_s)
    match = _EBUR128_I.findall(stderr)
    if not match:
        raise _failure("measure the loudness of", path, stderr)
    return float(match[-1])


@dataclass(frozen=True)
class Chapter:
    start_s: float
    end_s: float
    title: str


def _metadata_escape(text: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", text)


def chapters_metadata(title: str, chapters: list[Chapter]) -> str:
    """An FFMETADATA1 file with the title and chapters, for `-map_chapters`."""
    blocks = [f";FFMETADATA1\ntitle={_metadata_escape(title)}\n"]
    for chapter in chapters:
        start, end = round(chapter.start_s * 1000), round(chapter.end_s * 1000)
        blocks.append(
            f"[CHAPTER]\nTIMEBASE=1/1000\nSTART={start}\nEND={end}\ntitle={_metadata_escape(chapter.title)}\n"
        )
    return "".join(blocks)


_CHAPTER = re.compile(r"Chapter #\d+:\d+: start (-?[\d.]+), end (-?[\d.]+)\n\s*Metadata:\n\s*title\s*: (.*)")


def read_chapters(path: Path, *, timeout_s: float = 20.0) -> list[Chapter]:
    """The chapters `ffmpeg -i` lists for a file."""
    stderr = _run(["-i", _input(path)], action="read", path=path, timeout_s=timeout_s, check=False)
    return [Chapter(float(a), float(b), t.strip()) for a, b, t in _CHAPTER.findall(stderr)]


def _filter_path(path: Path) -> str:
    """A file name as a filtergraph option value (its \\, ' and : escaped)."""
    return str(path).replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")


def burn_subtitles(
    video: Path, subtitles: Path, out: Path, *, fonts_dir: Path | None = None, timeout_s: float = 900.0
) -> Path:
    """Re-encode `video` with the SRT/WebVTT `subtitles` drawn into the picture (libass); the sound is copied."""
    style = "force_style='FontName=DejaVu Sans,FontSize=22,Outline=2'"
    fonts = f":fontsdir='{_filter_path(fonts_dir)}'" if fonts_dir else ""
    graph = f"subtitles=filename='{_filter_path(subtitles)}'{fonts}:{style}"
    with atomic_output(out) as tmp:
        args = ["-i", _input(video), "-vf", graph, "-c:a", "copy", "-map_chapters", "0", "-preset", "veryfast"]
        _run(
            [*args, "-crf", "20", *_BROWSER_H264, str(tmp)],
            action="burn subtitles into",
            path=video,
            timeout_s=timeout_s,
        )
    return out
