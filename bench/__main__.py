"""`python -m bench [NAME ...]` (`make bench`): run benchmarks, each in its own process, then print a summary.

Without names it runs every benchmark but the long ones (memory: 30 minutes). Each writes
`bench/results/<name>.json` (with the machine and date) and prints its own table; the summary below them says
which ran, how long each took and how many of the goals recorded in its result were met.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from bench import RESULTS

BENCHMARKS = {
    "worker": "1,000 in-flight jobs against the fake Lambda: requests per poll, status-to-database delay",
    "poll": "batched polling against the fake Lambda and Replicate: floor, throughput, delay, 1-4 processes",
    "render": "local preview render of an 8 s 720p clip",
    "pages": "server rerun time of every page on the large data set",
    "browser": "Chromium time to each page's title",
    "board": "row change -> the live Processing board in Chromium (p95), and the board's rerun time",
    "memory": "server memory with a live board open (30 minutes)",
    "cast": "last frame and review frames of an 8 s 720p take vs one plain ffmpeg decode",
    "sound": "finished 10-scene 80 s 720p episode with voices vs ffmpeg re-encoding the same 80 s",
}
DEFAULT = ["worker", "poll", "render", "pages", "browser", "board", "cast", "sound"]


def goals_met(result: Any) -> tuple[int, int]:
    """(met, total) over every `"passed"` flag (or dict of flags) in a result, however deeply it is nested."""
    if isinstance(result, dict):
        passed = result.get("passed")
        flags = [passed] if isinstance(passed, bool) else list(passed.values()) if isinstance(passed, dict) else []
        own = [(int(flag), 1) for flag in flags if isinstance(flag, bool)]
        nested = [goals_met(v) for k, v in result.items() if k != "passed"]
    elif isinstance(result, list):
        own, nested = [], [goals_met(v) for v in result]
    else:
        return 0, 0
    counts = own + nested
    return sum(m for m, _ in counts), sum(t for _, t in counts)


def run_one(name: str) -> tuple[int, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", f"bench.{name}_bench"], check=False)
    return done.returncode, time.monotonic() - started


def outcome(name: str, code: int, started: float) -> str:
    path = RESULTS / f"{name}.json"
    if code != 0:
        return f"failed (exit code {code}); see its output above"
    if not path.exists() or path.stat().st_mtime < started:
        return "ran, but wrote no new result"
    met, total = goals_met(json.loads(path.read_text()))
    return f"{met}/{total} goals met (bench/results/{path.name})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.list:
        for name, what in BENCHMARKS.items():
            print(f"{name:<8} {what}{'' if name in DEFAULT else '  (only when named)'}")
        return 0
    lines, failed = [], False
    for name in args.names or DEFAULT:
        print(f"\n=== {name}: {BENCHMARKS[name]}", flush=True)
        started = time.time()
        code, seconds = run_one(name)
        failed |= code != 0
        lines.append(f"  {name:<8} {seconds:>6.0f} s  {outcome(name, code, started)}")
    print("\n=== summary", *lines, sep="\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
