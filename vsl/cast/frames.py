"""Frames out of a finished take with ffmpeg: its last frame (for chaining) and review samples (first/middle/last).

Both seek instead of decoding the clip: `-sseof` starts half a second before the end, and the samples are three
seeked inputs of one ffmpeg run, so each costs about one short decode (bench/cast_bench.py measures it).
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

from vsl.media import MediaError, atomic_output
from vsl.media.ffmpeg import ffmpeg_exe, probe

TAIL_S = 0.5
REVIEW_WIDTH = 512  # review frames are downscaled to this width before they go to GPT-5


def _ffmpeg(args: list[str], action: str, source: Path, timeout_s: float = 60.0) -> None:
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg took longer than {timeout_s:g} s to {action} '{source}'.", path=source) from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
        raise MediaError(f"ffmpeg could not {action} '{source}' ({' '.join(tail)}).", path=source)


def last_frame(video: Path, out_png: Path) -> Path:
    """The clip's very last frame as a full-size PNG (lossless, so a chained take starts from exactly it)."""
    with atomic_output(out_png) as tmp:
        args = ["-sseof", f"-{TAIL_S}", "-i", f"file:{video}", "-an", "-update", "1", "-f", "image2", str(tmp)]
        _ffmpeg(args, "extract the last frame of", video)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise MediaError(f"'{video}' has no video frame to extract.", path=video)
    return out_png


def sample_frames(video: Path, out_dir: Path, width: int = REVIEW_WIDTH) -> list[Path]:
    """First, middle and last frames as JPEGs no wider than `width`, from one ffmpeg run."""
    duration = probe(video).duration_s
    middle = max(Decimal(0), duration / 2)
    out_dir.mkdir(parents=True, exist_ok=True)
    outs = [out_dir / f"{name}.jpg" for name in ("first", "middle", "last")]
    seeks = [["-ss", "0"], ["-ss", f"{middle:.3f}"], ["-sseof", f"-{TAIL_S}"]]
    args: list[str] = []
    for seek in seeks:
        args += [*seek, "-i", f"file:{video}"]
    scale = f"scale='min(iw,{width})':-2"
    for index, out in enumerate(outs):
        update = ["-update", "1"] if index == 2 else ["-frames:v", "1"]
        args += ["-map", f"{index}:v:0", "-vf", scale, *update, "-q:v", "3", "-f", "image2", str(out)]
    _ffmpeg(args, "sample review frames of", video)
    missing = [o.name for o in outs if not o.exists() or o.stat().st_size == 0]
    if missing:
        raise MediaError(f"'{video}' gave no frame for {', '.join(missing)}.", path=video)
    return outs
