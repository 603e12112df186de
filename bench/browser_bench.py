"""Chromium time to each page's first meaningful element (its title), the app served by `streamlit run`.

The app runs on a free 127.0.0.1 port against the large data set (embedded worker off). Each page is opened
`--visits` times in a fresh browser context (empty cache: Streamlit's scripts are downloaded again) and `--visits`
times in one warmed-up context (scripts cached, as for a returning user); every visit is a new tab, so a new
Streamlit session and a full script run. A visit is timed from navigation start to the page's title (`h1` in the
main area), then to the end of its script run. Goal: the title within 2 s on a cold visit. A one-line app served the
same way gives the floor; the first visit after the server starts (imports, database open) is reported apart.
Console errors are recorded with the resource they name.

    python -m bench.browser_bench [--novelas 200 --videos 20000 --media 100000] [--visits 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode

from playwright.sync_api import Browser, BrowserContext, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bench import write_result
from bench.data_gen import temp_dataset
from bench.pages_bench import APP, NavPage, conditions, nav_pages, queries_for
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS  # one place for Debian's Chromium and its flags
from vsl.config import PROJECT_ROOT

GOAL_S = 2.0
TITLE = '[data-testid="stMainBlockContainer"] h1'  # every page starts with st.title (main area, any layout)
SETTLED = '[data-test-script-state="notRunning"]'  # the frontend's mark for "the script run has finished"
EXCEPTION = '[data-testid="stException"]'
START_TIMEOUT_S = 90
VISIT_TIMEOUT_S = 30
VIEWPORT = {"width": 1440, "height": 900}
EMPTY_APP = 'import streamlit as st; st.title("Empty")\n'


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(env: dict[str, str], script: Path = APP) -> Iterator[Server]:
    """`streamlit run <script>` on a free local port with `env` added; stopped (and waited for) on exit."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    with tempfile.TemporaryDirectory(prefix="vsl-bench-server-") as tmp:
        log = Path(tmp) / "streamlit.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=out, stderr=out)
        try:
            server = Server(f"http://127.0.0.1:{port}", process.pid, log)
            wait_until_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def wait_until_healthy(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit run exited with code {process.returncode}: {log_tail(server.log)}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.25)
    tail = log_tail(server.log)
    raise RuntimeError(f"streamlit run did not answer /_stcore/health within {START_TIMEOUT_S} s: {tail}")


def log_tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def page_url(server: Server, page: NavPage, query: dict[str, str]) -> str:
    return f"{server.url}/{page.url_path}" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class Visit:
    title_s: float | None  # navigation start → the page's title is visible
    settled_s: float | None  # navigation start → the script run has finished
    console_errors: list[str]  # "message (resource URL)"
    exception: bool  # the page showed a Python exception
    error: str = ""  # the visit itself failed (timeout, navigation error)


def visit(context: BrowserContext, url: str) -> Visit:
    """Open `url` in a new tab of `context` (a new Streamlit session) and time it."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url', '')})") if m.type == "error" else None)
    try:
        started = time.perf_counter()
        tab.goto(url, wait_until="commit", timeout=VISIT_TIMEOUT_S * 1000)
        tab.wait_for_selector(TITLE, timeout=VISIT_TIMEOUT_S * 1000)
        title = time.perf_counter() - started
        tab.wait_for_selector(SETTLED, state="attached", timeout=VISIT_TIMEOUT_S * 1000)
        settled = time.perf_counter() - started
        return Visit(title, settled, errors, tab.locator(EXCEPTION).count() > 0)
    except PlaywrightError as exc:
        return Visit(None, None, errors, False, error=str(exc).splitlines()[0])
    finally:
        tab.close()


def cold_visit(browser: Browser, url: str) -> Visit:
    """A visit with an empty browser cache: a fresh context downloads Streamlit's scripts again."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        return visit(context, url)
    finally:
        context.close()


def warm_visits(browser: Browser, url: str, count: int) -> list[Visit]:
    """Visits in one context after a first one (which also warms the server: the page's first run imports its
    modules), so that Streamlit's scripts come from the browser cache."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        visit(context, url)
        return [visit(context, url) for _ in range(count)]
    finally:
        context.close()


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 3) if known else None


@dataclass(frozen=True)
class PageLoad:
    page: str
    title: str
    url: str
    cold_title_s: float | None = None  # median, empty browser cache: the goal's measure
    warm_title_s: float | None = None  # median, scripts cached as for a returning user
    cold_settled_s: float | None = None
    passed: bool | None = None
    exceptions: int = 0
    console_errors: list[str] = field(default_factory=list)  # distinct, across all visits
    note: str = ""


def measure_page(browser: Browser, server: Server, page: NavPage, query: dict[str, str], visits: int) -> PageLoad:
    url = page_url(server, page, query)
    if not (APP.parent / page.path).exists():
        return PageLoad(page.path, page.title, url, note="skipped: the page does not exist yet")
    warm = warm_visits(browser, url, visits)  # first, so that the page's first run (imports) is not in `cold`
    cold = [cold_visit(browser, url) for _ in range(visits)]
    done = warm + cold
    failed = next((v.error for v in done if v.error), "")
    cold_title = _median([v.title_s for v in cold])
    exceptions = sum(v.exception for v in done)
    return PageLoad(
        page.path,
        page.title,
        url,
        cold_title_s=cold_title,
        warm_title_s=_median([v.title_s for v in warm]),
        cold_settled_s=_median([v.settled_s for v in cold]),
        passed=not failed and not exceptions and cold_title is not None and cold_title <= GOAL_S,
        exceptions=exceptions,
        console_errors=sorted({e for v in done for e in v.console_errors}),
        note=f"error: {failed}" if failed else "",
    )


def floor_visits(browser: Browser, visits: int) -> PageLoad:
    """The same measures for a one-line app (`st.title`) served the same way: the browser's floor."""
    with tempfile.TemporaryDirectory(prefix="vsl-bench-empty-") as tmp:
        script = Path(tmp) / "empty.py"
        script.write_text(EMPTY_APP)
        with streamlit_server({}, script) as server:
            page = NavPage(str(script), "(empty app)", default=True)
            return measure_page(browser, server, page, {}, visits)


def _seconds(value: float | None) -> str:
    return f"{value:>9.2f}" if value is not None else f"{'n/a':>9}"


def table(first: Visit, floor: PageLoad, loads: list[PageLoad]) -> str:
    lines = [f"{'page':<20}{'cold':>9}{'warm':>9}{'settled':>9}  result (goal: title within {GOAL_S:.0f} s, cold)"]
    lines.append(f"{'(first visit)':<20}{_seconds(first.title_s)}{'':>9}{_seconds(first.settled_s)}  after start")
    for load in [floor, *loads]:
        if load.cold_title_s is None:
            lines.append(f"{load.title:<20}  {load.note}")
            continue
        verdict = "pass" if load.passed else "MISS"
        errors = f" · {len(load.console_errors)} distinct console errors" if load.console_errors else ""
        times = f"{_seconds(load.cold_title_s)}{_seconds(load.warm_title_s)}{_seconds(load.cold_settled_s)}"
        lines.append(f"{load.title:<20}{times}  {verdict}{errors} {load.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--novelas", type=int, default=200)
    parser.add_argument("--videos", type=int, default=20_000)
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=3, help="cold and warm visits per page (medians)")
    args = parser.parse_args(argv)
    with temp_dataset(novelas=args.novelas, videos=args.videos, media=args.media) as data, chromium() as browser:
        print(f"data set: {asdict(data.counts)} in {data.seconds:.1f} s")
        queries = queries_for(data)
        pages = nav_pages()
        floor = floor_visits(browser, args.visits)
        with streamlit_server(data.app_env()) as server:
            first = cold_visit(browser, page_url(server, next(p for p in pages if p.default), {}))
            loads = [measure_page(browser, server, p, queries.get(p.path, {}), args.visits) for p in pages]
    path = write_result(
        "browser",
        {
            "conditions": conditions(),
            "data_set": asdict(data.counts),
            "goal": {"max_seconds_to_title": GOAL_S, "measured_on": "cold visits (empty browser cache)"},
            "visits_per_page": args.visits,
            "first_visit_after_start": asdict(first),
            "empty_app": asdict(floor),
            "pages": [asdict(load) for load in loads],
        },
    )
    print(table(first, floor, loads))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
