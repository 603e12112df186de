"""The local preview renderer: time to render an 8 s 720p animatic (goal <= 2 s on this machine).

Renders `--runs` times (a different seed each time, so nothing is reused) with the scene text, two characters and
a long prompt, and checks every output with ffmpeg (H.264, 1280x720, 8 s).

    python -m bench.render_bench [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import print_table, write_result
from vsl.media.ffmpeg import probe
from vsl.providers.animatic import AnimaticSpec, render_animatic

GOAL_S = 2.0
PROMPT = (
    "Night at the hacienda. Rain runs down the tall windows while ISABEL, in a red dress, reads the letter her "
    "brother hid for twenty years. MATEO watches from the doorway, soaked, unsure whether to speak. Thunder. "
    "She folds the letter, looks up, and for the first time does not look away."
)


def render_once(seed: int, folder: Path) -> dict[str, Any]:
    spec = AnimaticSpec(
        title="La Hacienda — the letter",
        episode=1,
        scene=3,
        prompt=PROMPT,
        characters=["Isabel", "Mateo"],
        seed=seed,
        duration_s=8,
        aspect_ratio="16:9",
        resolution="720p",
    )
    out = folder / f"render-{seed}.mp4"
    started = time.perf_counter()
    render_animatic(spec, out)
    seconds = time.perf_counter() - started
    media = probe(out)
    return {
        "seconds": round(seconds, 3),
        "codec": media.codec,
        "size": f"{media.width}x{media.height}",
        "duration_s": str(media.duration_s),
        "bytes": out.stat().st_size,
    }


def run(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vsl-render-bench-") as tmp:
        renders = [render_once(seed, Path(tmp)) for seed in range(1, runs + 1)]
    times = [r["seconds"] for r in renders]
    median = statistics.median(times)
    valid = all(r["codec"] == "h264" and r["size"] == "1280x720" for r in renders)
    return {
        "clip": {"duration_s": 8, "resolution": "720p", "aspect_ratio": "16:9"},
        "runs": renders,
        "median_s": round(median, 3),
        "best_s": min(times),
        "goal_s": GOAL_S,
        "passed": median <= GOAL_S and valid,
    }


def summary(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    verdict = "pass" if result["passed"] else "MISS"
    first = result["runs"][0]
    return [
        ("median / best (s)", f"{result['median_s']} / {result['best_s']}", f"{verdict} (goal <= {GOAL_S:g} s)"),
        ("output", f"{first['codec']} {first['size']}, {first['duration_s']} s", ""),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.render_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    result = run(args.runs)
    path = write_result("render", result)
    print_table("render: local preview, 8 s at 720p", summary(result))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
