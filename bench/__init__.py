"""Benchmarks (`make bench` = `python -m bench`); not timed tests. Each writes `bench/results/<name>.json`.

Shared here: the machine description every result carries, writing a result, and printing a summary table.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine_info() -> dict[str, Any]:
    """Where and when a result was measured."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _proc_field("/proc/cpuinfo", "model name"),
        "cpus": os.cpu_count(),
        "memory": _proc_field("/proc/meminfo", "MemTotal"),
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],  # other work on the machine skews timings
    }


def _proc_field(path: str, name: str) -> str:
    """The value of the first `name: value` line of a /proc file ('' where there is none)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ""
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(name)), "")


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Save `payload` with the machine's description as bench/results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine_info(), **payload}, indent=2, default=str) + "\n")
    return path


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    """Rows of (measure, value, verdict) under a title."""
    print(f"\n{title}")
    width = max(len(name) for name, _, _ in rows)
    for name, value, verdict in rows:
        print(f"  {name:<{width}}  {value:<24} {verdict}".rstrip())
