"""Run the app with `streamlit run` and drive it in Debian's headless Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import requests
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Streamlit's frontend probes `<page path>/_stcore/...` to find its base path when a page URL is opened
# directly; those 404s come from Streamlit itself, not from the app.
STREAMLIT_PROBES = ("/_stcore/host-config", "/_stcore/health")
# A media URL the browser still asks for after a rerun replaced it (Streamlit frees the old one); the take's new
# URL is what plays, and the journey checks that it does.
RELEASED_MEDIA = "/media/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(env: dict[str, str], startup_s: float = 60) -> Iterator[str]:
    """Start `streamlit run app.py` on a free 127.0.0.1 port with `env`; yield its URL; stop it."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    log = open(env.get("VSL_E2E_LOG", os.devnull), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, startup_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], startup_s: float) -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode} before answering")
        try:
            if requests.get(url + "/_stcore/health", timeout=2).text == "ok":
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer at {url} within {startup_s} s")


class Browser:
    """One Chromium page with helpers that wait for what a person would see."""

    def __init__(self, shots: Path) -> None:
        self.shots = shots
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.dropped_media: set[str] = set()  # released after a rerun (404) or dropped by the browser (aborted)

    def __enter__(self) -> Self:
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.page: Page = self._browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_failed)
        return self

    def __exit__(self, *exc: object) -> None:
        self._browser.close()
        self._pw.stop()

    def _on_failed(self, request: Any) -> None:
        if request.failure == "net::ERR_ABORTED":  # media loads the browser drops when the page moves on
            self.dropped_media.add(request.url)
        else:
            self.failed_requests.append(f"{request.failure} {request.url}")

    def _on_response(self, response: Any) -> None:
        released = response.status == 404 and RELEASED_MEDIA in response.url
        if released:
            self.dropped_media.add(response.url)
        if response.status >= 400 and not (released or response.url.endswith(STREAMLIT_PROBES)):
            self.failed_requests.append(f"{response.status} {response.url}")

    def open(self, url: str) -> Page:
        """Go to `url`; errors are counted from here, so each check speaks of the pages it visited."""
        self.console_errors.clear()
        self.failed_requests.clear()
        self.dropped_media.clear()
        self.page.goto(url)
        self.page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=30_000)
        self.expect_no_spinner()
        return self.page

    def expect_no_spinner(self, timeout_s: float = 30) -> None:
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_s * 1000
        )

    def expect_text(self, text: str, timeout_s: float = 30) -> None:
        self.page.get_by_text(text).filter(visible=True).first.wait_for(state="visible", timeout=timeout_s * 1000)

    def click(self, name: str, timeout_s: float = 20) -> None:
        button = self.page.get_by_role("button", name=name, exact=True).first
        button.wait_for(state="visible", timeout=timeout_s * 1000)
        button.click()
        self.expect_no_spinner()

    def choose(self, label: str, option: str, tries: int = 3) -> None:
        """Pick `option` in the select box labelled `label` (re-opening it if a rerun closed it)."""
        box = self.page.get_by_label(label, exact=True).first
        box.wait_for(state="visible", timeout=20_000)
        item = self.page.get_by_role("option", name=option, exact=True).first
        for _ in range(tries):
            box.click()
            try:
                item.wait_for(state="visible", timeout=3_000)
            except PlaywrightTimeout:
                continue
            item.click()
            self.expect_no_spinner()
            return
        raise AssertionError(f"option {option!r} of {label!r} never appeared")

    def wait_until(self, condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return
            self.page.wait_for_timeout(500)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")

    def video_duration(self, index: int, timeout_s: float = 20) -> float:
        """Seconds of the index-th <video> once its metadata has loaded (0 if it never does)."""
        video = self.page.locator("video").nth(index)
        video.wait_for(state="attached", timeout=timeout_s * 1000)
        self.wait_until(lambda: video.evaluate("v => v.readyState") >= 1, "video metadata", timeout_s)
        return float(video.evaluate("v => v.duration"))

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def assert_no_app_errors(self) -> None:
        """No traceback on the page, no console error and no failed request from the app."""
        assert self.page.locator("[data-testid='stException']").count() == 0
        app_errors = [e for e in self.console_errors if not self._benign(e)]
        assert app_errors == [], (app_errors, self.failed_requests)
        assert self.failed_requests == [], self.failed_requests

    def _benign(self, error: str) -> bool:
        """A console error about media a rerun released or the browser dropped (Streamlit's "Image source
        error - URL" names no status), or a 404 that every failed request explains."""
        if error.startswith("Client Error: Image source error - "):
            return error.rsplit(" - ", 1)[-1] in self.dropped_media
        return "404" in error and not self._unexplained_404()

    def _unexplained_404(self) -> bool:
        return any(r.startswith("404") for r in self.failed_requests)
