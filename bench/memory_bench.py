"""Memory of the Streamlit server while a board with jobs in flight stays open in Chromium (live refresh).

The app is served by `streamlit run` against the large data set with the embedded worker off, so the takes in
flight in the live novela's first episode never finish and the board's fragment keeps refreshing (every 2 s). The
server's resident memory (VmRSS) is sampled every `--interval` seconds for `--minutes`; the result is the least
squares slope in MB per hour, over the whole run and over its second half (after warm-up), and the number of
websocket frames the page received (proof that it kept refreshing).

    python -m bench.memory_bench [--minutes 30] [--interval 10] [--novelas 200 --videos 20000 --media 100000]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from playwright.sync_api import Page, WebSocket

from bench import write_result
from bench.browser_bench import TITLE, VIEWPORT, VISIT_TIMEOUT_S, chromium, streamlit_server
from bench.data_gen import live_novela_id, temp_dataset
from bench.pages_bench import conditions
from vsl.db.engine import Database

Sample = tuple[float, float]  # (seconds since the page opened, resident MB)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line: is process {pid} still running?")


def slope_mb_per_hour(samples: list[Sample]) -> float | None:
    """Least squares slope of memory over time; None with fewer than two samples."""
    if len(samples) < 2:
        return None
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return None
    per_second = sum((t - mean_t) * (m - mean_m) for t, m in samples) / spread
    return round(per_second * 3600, 2)


@dataclass
class FrameCounter:
    """Websocket frames the page receives: each live refresh of the board sends some."""

    frames: int = 0

    def watch(self, page: Page) -> None:
        page.on("websocket", self._attach)

    def _attach(self, socket: WebSocket) -> None:
        socket.on("framereceived", self._count)

    def _count(self, _payload: object) -> None:
        self.frames += 1


def sample(page: Page, pid: int, minutes: float, interval_s: float) -> list[Sample]:
    """RSS every `interval_s` for `minutes`; waiting through the page keeps its events flowing."""
    samples: list[Sample] = []
    started = time.monotonic()
    end = started + minutes * 60
    while True:
        now = time.monotonic()
        samples.append((round(now - started, 1), round(rss_mb(pid), 1)))
        if now >= end:
            return samples
        page.wait_for_timeout(min(interval_s, end - now) * 1000)


@dataclass(frozen=True)
class MemoryReport:
    novela_id: int
    minutes: float
    interval_s: float
    start_mb: float
    end_mb: float
    max_mb: float
    slope_mb_per_hour: float | None
    slope_second_half_mb_per_hour: float | None
    websocket_frames: int
    samples: list[Sample]


def measure(url: str, pid: int, novela_id: int, minutes: float, interval_s: float) -> MemoryReport:
    with chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        counter = FrameCounter()
        counter.watch(page)
        page.goto(f"{url}/board?novela={novela_id}", timeout=VISIT_TIMEOUT_S * 1000)
        page.wait_for_selector(TITLE, timeout=VISIT_TIMEOUT_S * 1000)
        samples = sample(page, pid, minutes, interval_s)
        context.close()
    mbs = [m for _, m in samples]
    return MemoryReport(
        novela_id=novela_id,
        minutes=minutes,
        interval_s=interval_s,
        start_mb=mbs[0],
        end_mb=mbs[-1],
        max_mb=max(mbs),
        slope_mb_per_hour=slope_mb_per_hour(samples),
        slope_second_half_mb_per_hour=slope_mb_per_hour(samples[len(samples) // 2 :]),
        websocket_frames=counter.frames,
        samples=samples,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the board stays open (2 for a quick run)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between memory samples")
    parser.add_argument("--novelas", type=int, default=200)
    parser.add_argument("--videos", type=int, default=20_000)
    parser.add_argument("--media", type=int, default=100_000)
    args = parser.parse_args(argv)
    with temp_dataset(novelas=args.novelas, videos=args.videos, media=args.media) as data:
        db = Database(data.url)
        try:
            novela_id = live_novela_id(db)
        finally:
            db.dispose()
        print(f"data set: {asdict(data.counts)}; board of novela {novela_id} open for {args.minutes:g} min")
        with streamlit_server(data.app_env()) as server:
            report = measure(server.url, server.pid, novela_id, args.minutes, args.interval)
    path = write_result("memory", {"conditions": conditions(), "data_set": asdict(data.counts), **asdict(report)})
    print(
        f"RSS {report.start_mb:.0f} → {report.end_mb:.0f} MB (max {report.max_mb:.0f}); slope "
        f"{report.slope_mb_per_hour} MB/h overall, {report.slope_second_half_mb_per_hour} MB/h in the second half; "
        f"{report.websocket_frames} websocket frames received"
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
