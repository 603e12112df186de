"""Server rerun time of every page (Streamlit's AppTest) on the large data set, beside an empty page.

Each page of app.py's navigation is opened (its first run), run once more (warm-up), then rerun `--runs` times: the
median is compared with an empty one-line Streamlit app timed the same way in the same process. Goal per page: at
most 1.5x the empty page and at most 300 ms. Beside it: CPU time per rerun (steadier than wall time on a busy
machine), reruns right after st.cache_data is cleared (as after any write), the app's own shell around an empty page,
the same page on a small data set (how it scales with data), the SQL each rerun sends (count, time, the costliest
statements), and with `--profile PAGE` where that page's reruns spend their time.

    python -m bench.pages_bench [--novelas 200 --videos 20000 --media 100000] [--runs 10] [--profile pages/board.py]
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import io
import logging
import os
import pstats
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy import Engine, event
from streamlit.testing.v1 import AppTest

from bench import write_result
from bench.data_gen import DataSet, biggest_novela_id, temp_dataset
from vsl.config import PROJECT_ROOT
from vsl.db.engine import Database

APP = PROJECT_ROOT / "app.py"
GOAL_RATIO = 1.5
GOAL_MS = 300.0
TIMEOUT_S = 120  # one AppTest run, cold pages included
UNCACHED_RUNS = 3
SMALL = {"novelas": 5, "videos": 200, "media": 500}  # the same pages on little data, to show how each one scales
EMPTY_APP = 'import streamlit as st; st.write("empty")\n'
NAV_BLOCK = re.compile(r"^pages = \{.*?^\}$", re.DOTALL | re.MULTILINE)  # app.py's navigation
SHELL_NAV = 'pages = [st.Page("empty_page.py", title="Empty", default=True)]'


@dataclass(frozen=True)
class NavPage:
    path: str  # relative to app.py, as st.Page and AppTest.switch_page take it
    title: str
    default: bool = False  # served at the app's root URL

    @property
    def url_path(self) -> str:
        """Where a browser finds the page: Streamlit serves a file page at its name without `.py`."""
        return "" if self.default else Path(self.path).stem


def nav_pages(app: Path = APP) -> list[NavPage]:
    """Every `st.Page("pages/x.py", title=...)` in the app's navigation, in order."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text(), filename=str(app))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args:
            first = node.args[0]
            options = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                pages.append(NavPage(first.value, options.get("title", first.value), options.get("default") is True))
    return pages


@dataclass
class SqlMeter:
    """Counts and times every SQL statement any engine sends while installed.

    The time is the driver's execute call: on SQLite, rows a SELECT returns after its first are fetched later.
    """

    count: int = 0
    seconds: float = 0.0
    by_statement: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    _started: dict[int, float] = field(default_factory=dict)

    def _before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        self.count += 1
        self.seconds += elapsed
        self.by_statement[" ".join(statement.split())[:160]].append(elapsed)

    @contextmanager
    def installed(self) -> Iterator[SqlMeter]:
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._before)
            event.remove(Engine, "after_cursor_execute", self._after)

    def top(self, n: int = 3) -> list[dict[str, Any]]:
        ranked = sorted(self.by_statement.items(), key=lambda kv: -sum(kv[1]))[:n]
        return [{"sql": sql, "count": len(t), "ms": round(sum(t) * 1000, 1)} for sql, t in ranked]


@dataclass(frozen=True)
class Reruns:
    median_ms: float
    cpu_ms: float  # this process's CPU time per rerun (mean): steadier than wall time on a busy machine


@dataclass(frozen=True)
class Floors:
    empty: Reruns  # a one-line app
    shell: Reruns | None  # app.py's shell (page config, runtime, navigation, sidebar) around an empty page
    empty_after: Reruns | None = None  # the one-line app again after all pages: did the machine stay steady?


@dataclass(frozen=True)
class PageTiming:
    page: str
    title: str
    median_ms: float | None = None  # warm reruns, the goal's measure
    cpu_ms: float | None = None  # CPU time per warm rerun
    first_ms: float | None = None  # the page's first run (its first imports, if no earlier run made them)
    uncached_ms: float | None = None  # a rerun after st.cache_data was cleared (any write, or a TTL expiry)
    ratio: float | None = None  # median / empty one-line app
    ratio_to_shell: float | None = None  # median / app.py's shell around an empty page
    ratio_to_small: float | None = None  # median / the same page's median on a small data set (5 novelas)
    passed: bool | None = None
    queries_per_run: float | None = None
    sql_ms_per_run: float | None = None
    top_queries: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def timed_run(at: AppTest) -> float:
    """Seconds one rerun takes; raises if the page shows an exception."""
    started = time.perf_counter()
    at.run(timeout=TIMEOUT_S)
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].message}")
    return elapsed


def reruns(at: AppTest, runs: int) -> Reruns:
    """`runs` timed reruns (after the caller's warm-up)."""
    cpu = time.process_time()
    walls = [timed_run(at) for _ in range(runs)]
    return Reruns(round(statistics.median(walls) * 1000, 1), round((time.process_time() - cpu) * 1000 / runs, 1))


def script_reruns(script: Path, runs: int) -> Reruns:
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
    timed_run(at)
    timed_run(at)  # warm-up
    return reruns(at, runs)


def empty_page(runs: int) -> Reruns:
    """The floor: a one-line Streamlit app."""
    with tempfile.TemporaryDirectory(prefix="vsl-bench-empty-") as tmp:
        script = Path(tmp) / "empty.py"
        script.write_text(EMPTY_APP)
        return script_reruns(script, runs)


def app_shell(runs: int) -> Reruns | None:
    """What every page pays for the app's shell: app.py with its navigation replaced by one empty page."""
    source, found = NAV_BLOCK.subn(SHELL_NAV, APP.read_text())
    if not found:
        return None  # app.py no longer declares `pages = {...}`: no shell to measure
    with tempfile.TemporaryDirectory(prefix="vsl-bench-shell-") as tmp:
        (Path(tmp) / "empty_page.py").write_text("")
        (Path(tmp) / "app.py").write_text(source)
        return script_reruns(Path(tmp) / "app.py", runs)


def open_page(page: NavPage, query: dict[str, str]) -> tuple[AppTest, float]:
    """An AppTest on `page` and the seconds of its first run (first imports and empty caches included)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for key, value in query.items():
        at.query_params[key] = value
    timed_run(at)
    at.switch_page(page.path)
    return at, timed_run(at)


def uncached_run(at: AppTest) -> float:
    """Seconds of a rerun right after a write (every write clears st.cache_data) or a cache expiry."""
    st.cache_data.clear()
    return timed_run(at)


def measure_page(page: NavPage, query: dict[str, str], runs: int, floors: Floors) -> PageTiming:
    if not (APP.parent / page.path).exists():
        return PageTiming(page.path, page.title, note="skipped: the page does not exist yet")
    try:
        at, first = open_page(page, query)
        timed_run(at)  # warm-up
        with SqlMeter().installed() as meter:
            warm = reruns(at, runs)
        uncached = statistics.median(uncached_run(at) for _ in range(UNCACHED_RUNS)) * 1000
    except RuntimeError as exc:
        return PageTiming(page.path, page.title, note=f"error: {exc}")
    ratio = warm.median_ms / floors.empty.median_ms
    return PageTiming(
        page.path,
        page.title,
        median_ms=warm.median_ms,
        cpu_ms=warm.cpu_ms,
        first_ms=round(first * 1000, 1),
        uncached_ms=round(uncached, 1),
        ratio=round(ratio, 2),
        ratio_to_shell=round(warm.median_ms / floors.shell.median_ms, 2) if floors.shell else None,
        passed=ratio <= GOAL_RATIO and warm.median_ms <= GOAL_MS,
        queries_per_run=round(meter.count / runs, 1),
        sql_ms_per_run=round(meter.seconds * 1000 / runs, 1),
        top_queries=meter.top(),
    )


def queries_for(data: DataSet) -> dict[str, dict[str, str]]:
    """Query parameters per page: the board opens the biggest novela."""
    db = Database(data.url)
    try:
        return {"pages/board.py": {"novela": str(biggest_novela_id(db))}}
    finally:
        db.dispose()


def quiet_cache_warnings() -> None:
    """Streamlit warns about cache calls made outside a script run: the bench's own cache clearing."""
    for name in ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).disabled = True


@contextmanager
def app_environment(env: dict[str, str]) -> Iterator[None]:
    """Point the app's runtime at the data set: set the environment and drop every cached runtime and read."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        yield
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure_all(data: DataSet, runs: int) -> tuple[Floors, list[PageTiming]]:
    queries = queries_for(data)
    with app_environment(data.app_env()):
        floors = Floors(empty_page(runs), app_shell(runs))
        timings = [measure_page(p, queries.get(p.path, {}), runs, floors) for p in nav_pages()]
        return replace(floors, empty_after=empty_page(runs)), timings


def with_scaling(timings: list[PageTiming], small: list[PageTiming]) -> list[PageTiming]:
    """Add each page's median over its median on the small data set: well above 1 means it slows down with data."""
    small_ms = {t.page: t.median_ms for t in small}
    return [
        replace(t, ratio_to_small=round(t.median_ms / small_ms[t.page], 2)) if t.median_ms and small_ms[t.page] else t
        for t in timings
    ]


def profile_page(data: DataSet, path: str, runs: int, top: int = 30) -> str:
    """cProfile of `runs` reruns of one page (AppTest runs the script in its own thread), by cumulative time."""
    queries = queries_for(data)
    profiler = cProfile.Profile()

    def start_in_thread(*_: Any) -> None:
        sys.setprofile(None)
        profiler.enable()

    with app_environment(data.app_env()):
        at, _ = open_page(NavPage(path, path), queries.get(path, {}))
        timed_run(at)
        threading.setprofile(start_in_thread)
        try:
            for _ in range(runs):
                timed_run(at)
        finally:
            threading.setprofile(None)  # type: ignore[arg-type]
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def conditions() -> dict[str, Any]:
    """What the timings depend on beyond the machine: library versions and how busy the machine was."""
    return {
        "streamlit": version("streamlit"),
        "sqlalchemy": version("sqlalchemy"),
        "load_average": [round(v, 2) for v in os.getloadavg()],  # other work on the machine skews the timings
    }


def _cells(values: tuple[float | None, ...], digits: int) -> str:
    return "".join(f"{v:>9.{digits}f}" if v is not None else f"{'n/a':>9}" for v in values)


def table(floors: Floors, timings: list[PageTiming]) -> str:
    columns = ("median", "CPU", "first", "uncached", "x empty", "x shell", "x small", "SQL/run", "SQL ms")
    lines = [f"{'page':<20}" + "".join(f"{c:>9}" for c in columns) + "  result (goal: <= 1.5x empty, <= 300 ms)"]
    after = floors.empty_after.median_ms if floors.empty_after else None
    for name, floor in (("(empty page)", floors.empty), ("(app shell)", floors.shell)):
        lines.append(f"{name:<20}" + (_cells((floor.median_ms, floor.cpu_ms), 1) if floor else f"{'n/a':>9}"))
    for t in timings:
        if t.median_ms is None:
            lines.append(f"{t.title:<20}  {t.note}")
            continue
        times = _cells((t.median_ms, t.cpu_ms, t.first_ms, t.uncached_ms), 1)
        ratios = _cells((t.ratio, t.ratio_to_shell, t.ratio_to_small, t.queries_per_run, t.sql_ms_per_run), 2)
        lines.append(f"{t.title:<20}{times}{ratios}  {'pass' if t.passed else 'MISS'}")
    lines.append(f"times in ms; the empty page again after all pages: {after} ms (a steady machine repeats the first)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--novelas", type=int, default=200)
    parser.add_argument("--videos", type=int, default=20_000)
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="timed reruns per page (median)")
    parser.add_argument(
        "--profile", metavar="PAGE", action="append", default=[], help="also print a cProfile of this page (repeatable)"
    )
    args = parser.parse_args(argv)
    quiet_cache_warnings()
    with temp_dataset(**SMALL) as small_data:
        _, small = measure_all(small_data, args.runs)
    with temp_dataset(novelas=args.novelas, videos=args.videos, media=args.media) as data:
        print(f"data set: {asdict(data.counts)} in {data.seconds:.1f} s")
        floors, timings = measure_all(data, args.runs)
        profiles = [profile_page(data, page, args.runs) for page in args.profile]
    timings = with_scaling(timings, small)
    path = write_result(
        "pages",
        {
            "conditions": conditions(),
            "data_set": asdict(data.counts),
            "small_data_set": SMALL,
            "goal": {"max_ratio_to_empty": GOAL_RATIO, "max_ms": GOAL_MS},
            "runs": args.runs,
            "floors": asdict(floors),
            "pages": [asdict(t) for t in timings],
        },
    )
    print(table(floors, timings))
    for page, profile in zip(args.profile, profiles, strict=True):
        print(f"\n=== cProfile of {args.runs} reruns of {page}\n{profile}", end="")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
