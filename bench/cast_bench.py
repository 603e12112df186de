"""Frames for chaining and review on an 8 s 720p take, side by side with one plain ffmpeg decode of the clip.

Goal (issue 9): extracting the last frame and sampling the three review frames each take at most 1.5x the time of
`ffmpeg -i clip -f null -` (a full decode), measured alternately in one run so machine load hits all three alike.

    python -m bench.cast_bench [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import print_table, write_result
from vsl.cast.frames import last_frame, sample_frames
from vsl.media.ffmpeg import ffmpeg_exe
from vsl.providers.animatic import AnimaticSpec, render_animatic

GOAL_RATIO = 1.5


def _decode(clip: Path) -> None:
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", f"file:{clip}", "-f", "null", "-"]
    subprocess.run(command, check=True, capture_output=True)


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vsl-cast-bench-") as tmp:
        folder = Path(tmp)
        spec = AnimaticSpec("Bench", 1, 1, "Rain on the windows. " * 20, ["Isabel"], 7, 8, "16:9", "720p")
        clip = render_animatic(spec, folder / "take.mp4")
        times: dict[str, list[float]] = {"decode": [], "last_frame": [], "review_frames": []}
        for n in range(runs):
            times["decode"].append(_timed(lambda: _decode(clip)))
            times["last_frame"].append(_timed(lambda n=n: last_frame(clip, folder / f"last-{n}.png")))
            times["review_frames"].append(_timed(lambda n=n: sample_frames(clip, folder / f"review-{n}")))
    median = {k: statistics.median(v) for k, v in times.items()}
    ratios = {k: median[k] / median["decode"] for k in ("last_frame", "review_frames")}
    return {
        "clip": "8 s 1280x720 H.264 (local preview render)",
        "runs": runs,
        "median_s": {k: round(v, 4) for k, v in median.items()},
        "ratio_to_decode": {k: round(v, 3) for k, v in ratios.items()},
        "goal_ratio": GOAL_RATIO,
        "passed": {k: v <= GOAL_RATIO for k, v in ratios.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    result = run(parser.parse_args().runs)
    rows = [("plain decode", f"{result['median_s']['decode']:.3f} s", "baseline")]
    for name, ratio in result["ratio_to_decode"].items():
        verdict = f"{ratio:.2f}x decode ({'ok' if result['passed'][name] else 'over'} <= {GOAL_RATIO}x)"
        rows.append((name, f"{result['median_s'][name]:.3f} s", verdict))
    print_table("Frames for chaining and review, 8 s 720p take (median)", rows)
    write_result("cast", result)


if __name__ == "__main__":
    main()
