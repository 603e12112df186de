"""Downloading provider outputs from a real HTTP server on 127.0.0.1: success and every way it can fail."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests

from vsl.storage.base import StorageError
from vsl.storage.fetch import download

StartServer = Callable[[type[BaseHTTPRequestHandler]], str]
VIDEO = bytes(range(256)) * 1000  # 256,000 bytes
HANDLER_LIMIT_S = 2.0  # no handler runs longer, so the server always stops quickly


class Output(BaseHTTPRequestHandler):
    """Routes standing in for a provider's output host."""

    protocol_version = "HTTP/1.1"
    released = threading.Event()  # set at teardown to end slow handlers at once

    def do_GET(self) -> None:
        route = self.path.split("?")[0]
        if route == "/video.mp4":
            self._reply(200, VIDEO)
        elif route in {"/expired.mp4", "/deleted.mp4", "/broken.mp4"}:
            status = {"/expired.mp4": 403, "/deleted.mp4": 404, "/broken.mp4": 500}[route]
            self._reply(status, b"<Error>no</Error>")
        elif route == "/silent.mp4":
            self.released.wait(HANDLER_LIMIT_S)
            self._reply(200, b"late")
        elif route == "/declared-huge.mp4":
            self._reply(200, b"", content_length=10**12)
        elif route in {"/endless.mp4", "/drip.mp4"}:
            self._stream(pause_s=0.05 if route == "/drip.mp4" else 0.0)
        else:
            self._reply(404, b"")

    def _reply(self, status: int, body: bytes, content_length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, pause_s: float) -> None:
        """A chunked body with no declared length, until the client hangs up or the time limit."""
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        stop_at = time.monotonic() + HANDLER_LIMIT_S
        try:
            while time.monotonic() < stop_at and not self.released.is_set():
                self.wfile.write(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
                self.wfile.flush()
                if pause_s:
                    self.released.wait(pause_s)
        except OSError:  # the client gave up, as it should
            return

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url(http_server: StartServer) -> Iterator[str]:
    Output.released.clear()
    yield http_server(Output)
    Output.released.set()


def test_downloads_the_whole_body_atomically(base_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "takes" / "take.mp4"

    written = download(f"{base_url}/video.mp4?X-Amz-Signature=s3cr3t", dest)

    assert written == len(VIDEO)
    assert dest.read_bytes() == VIDEO
    assert [p.name for p in dest.parent.iterdir()] == ["take.mp4"]


def test_uses_the_given_session(base_url: str, tmp_path: Path) -> None:
    with requests.Session() as session:
        session.headers["User-Agent"] = "vsl-test"
        assert download(f"{base_url}/video.mp4", tmp_path / "v.mp4", session=session) == len(VIDEO)


@pytest.mark.parametrize("route, status", [("expired.mp4", 403), ("deleted.mp4", 404)])
def test_expired_or_gone_url_says_so(base_url: str, tmp_path: Path, route: str, status: int) -> None:
    with pytest.raises(StorageError) as caught:
        download(f"{base_url}/{route}?token=s3cr3t", tmp_path / "v.mp4")

    message = str(caught.value)
    assert f"the provider's output URL has expired or is gone (HTTP {status})" in message
    assert f"{base_url}/{route}" in message
    assert "s3cr3t" not in message
    assert list(tmp_path.iterdir()) == []


def test_server_error_is_reported_with_its_status(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="failed with HTTP 500; try again later"):
        download(f"{base_url}/broken.mp4", tmp_path / "v.mp4")


def test_silent_server_times_out(base_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(StorageError, match=r"/silent.mp4 timed out \(connect 1 s, read 0.2 s\)"):
        download(f"{base_url}/silent.mp4", tmp_path / "v.mp4", timeout=(1, 0.2))
    assert time.monotonic() - started < 1.5


def test_declared_oversize_body_is_refused_before_reading(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"larger than the 1,000-byte download limit; it was not saved"):
        download(f"{base_url}/declared-huge.mp4", tmp_path / "v.mp4", max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


def test_undeclared_oversize_body_is_cut_off_and_nothing_kept(base_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"previous take")

    with pytest.raises(StorageError, match="larger than the 100,000-byte download limit"):
        download(f"{base_url}/endless.mp4", dest, max_bytes=100_000)

    assert dest.read_bytes() == b"previous take"
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_slow_transfer_stops_at_the_deadline(base_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(StorageError, match=r"took longer than 0.3 s and was stopped"):
        download(f"{base_url}/drip.mp4", tmp_path / "v.mp4", deadline_s=0.3)
    assert time.monotonic() - started < 1.5
    assert list(tmp_path.iterdir()) == []


def test_unreachable_host_is_a_clear_error_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        download("http://user:pa55@127.0.0.1:9/x.mp4?sig=s3cr3t", tmp_path / "v.mp4", timeout=(1, 1))
    assert str(caught.value).startswith("Could not download the provider output from http://127.0.0.1:9/x.mp4 (")
    assert "pa55" not in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/v.mp4", "s3://bucket/v.mp4", "/etc/passwd"])
def test_only_http_urls_are_accepted(url: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="only http"):
        download(url, tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []
