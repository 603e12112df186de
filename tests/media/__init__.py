"""Helpers shared by the media and local preview tests: real clips made with the real renderer and ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vsl.media.ffmpeg import ffmpeg_exe
from vsl.providers.animatic import AnimaticSpec, render_animatic


def render_clip(
    out: Path, *, aspect_ratio: str = "16:9", duration_s: int = 1, resolution: str = "480p", seed: int = 1
) -> Path:
    spec = AnimaticSpec(
        title="La casa del río",
        episode=1,
        scene=2,
        prompt="Ana opens the door and sees Luis in the rain.",
        characters=["Ana", "Luis"],
        seed=seed,
        duration_s=duration_s,
        aspect_ratio=aspect_ratio,
        resolution=resolution,
    )
    return render_animatic(spec, out)


def make_with_ffmpeg(out: Path, *lavfi_inputs: str) -> Path:
    """A media file from ffmpeg's synthetic sources, e.g. `sine=duration=1` or `testsrc=s=320x240:d=1`."""
    inputs = [arg for source in lavfi_inputs for arg in ("-f", "lavfi", "-i", source)]
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *inputs, "-shortest", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    return out
