"""Assembling a finished episode offline vs ffmpeg alone: 10 scenes of 8 s at 720p (80 s), two spoken lines a
scene (espeak-ng), title card, ducking, two-pass loudnorm, chapters and subtitles, against one ffmpeg re-encode of
the same 80 s with the same encoder settings. Goal: assembly within 1.5x, measured side by side in one run.

The takes are real local-preview renders; every assembly speaks its lines afresh (no voice cache).

    python -m bench.sound_bench [--runs 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import print_table, write_result
from vsl.media.ffmpeg import concat, probe, run
from vsl.providers.animatic import AnimaticSpec, render_animatic
from vsl.sound.dialogue import DialogueLine
from vsl.sound.render import EpisodeSpec, SceneSource, render_episode
from vsl.sound.voices import SYSTEM_VOICES, VoiceSettings

GOAL_RATIO = 1.5
SCENES, SCENE_S = 10, 8
LINES = [
    ("Isabel", "The letter came tonight, with the storm.", "fearful"),
    ("Rafael", "Then we open it together, sister.", "calm"),
]


def _takes(folder: Path) -> list[Path]:
    specs = [
        AnimaticSpec(title="Bench", episode=1, scene=n, prompt=f"Scene {n}: rain on the hacienda windows.",
                     characters=["Isabel", "Rafael"], seed=n, duration_s=SCENE_S, resolution="720p")
        for n in range(1, SCENES + 1)
    ]  # fmt: skip
    return [render_animatic(spec, folder / f"take-{spec.scene:02d}.mp4") for spec in specs]


def _spec(takes: list[Path]) -> EpisodeSpec:
    voices = {"Isabel": VoiceSettings("Isabel", SYSTEM_VOICES[0]), "Rafael": VoiceSettings("Rafael", SYSTEM_VOICES[1])}
    scenes = [
        SceneSource(
            n, f"Scene {n}", float(SCENE_S), take, [DialogueLine(w, f"{text} ({n})", e) for w, text, e in LINES]
        )
        for n, take in enumerate(takes, start=1)
    ]
    return EpisodeSpec("Bench novela", 1, scenes, voices)


def _assemble(spec: EpisodeSpec) -> tuple[float, Path, tempfile.TemporaryDirectory[str]]:
    work = tempfile.TemporaryDirectory(prefix="vsl-sound-bench-")
    started = time.perf_counter()
    rendered = render_episode(spec, Path(work.name), lambda _f, _s: None)
    return time.perf_counter() - started, rendered.video, work


def _reencode(joined: Path, out: Path) -> float:
    args = ["-i", f"file:{joined}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", "-f", "mp4", str(out)]
    started = time.perf_counter()
    run(args, action="re-encode", path=joined, timeout_s=900)
    return time.perf_counter() - started


def run_bench(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vsl-sound-bench-takes-") as tmp:
        folder = Path(tmp)
        takes = _takes(folder)
        joined = concat(takes, folder / "joined.mp4")
        spec = _spec(takes)
        assembly, baseline, outputs = [], [], []
        for i in range(runs):  # alternating, so both see the same machine load
            seconds, video, work = _assemble(spec)
            assembly.append(round(seconds, 3))
            outputs.append(probe(video))
            work.cleanup()
            baseline.append(round(_reencode(joined, folder / f"reencoded-{i}.mp4"), 3))
        source = probe(joined)
    ratio = statistics.median(assembly) / statistics.median(baseline)
    episode = outputs[0]
    return {
        "episode": {"scenes": SCENES, "scene_s": SCENE_S, "resolution": "720p", "lines_per_scene": len(LINES)},
        "assembly_s": assembly,
        "ffmpeg_reencode_s": baseline,
        "reencoded_duration_s": str(source.duration_s),
        "assembled": f"{episode.codec} {episode.width}x{episode.height}, {episode.duration_s} s, {episode.audio_codec}",
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "passed": ratio <= GOAL_RATIO,
    }


def summary(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    verdict = "pass" if result["passed"] else "MISS"
    return [
        ("assembly (s)", " / ".join(map(str, result["assembly_s"])), ""),
        ("ffmpeg re-encode (s)", " / ".join(map(str, result["ffmpeg_reencode_s"])), ""),
        ("ratio (median)", f"{result['ratio']}x", f"{verdict} (goal <= {GOAL_RATIO:g}x)"),
        ("assembled", result["assembled"], ""),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sound_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    result = run_bench(args.runs)
    path = write_result("sound", result)
    print_table("sound: finished episode (10 x 8 s, 720p, voices) vs ffmpeg re-encode of 80 s", summary(result))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
