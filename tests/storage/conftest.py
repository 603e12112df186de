"""Storage fixtures: the moto S3 server and a per-test bucket (shared with other suites), plain HTTP servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

__all__ = ["http_server"]

StartServer = Callable[[type[BaseHTTPRequestHandler]], str]


class JoiningHTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() waits for every handler thread


@pytest.fixture
def http_server() -> Iterator[StartServer]:
    """Serve a handler class on 127.0.0.1 (free port) and return its base URL; all are stopped after the test.

    Handler threads are joined on close, so handlers must finish on their own within a bounded time.
    """
    running: list[tuple[JoiningHTTPServer, threading.Thread]] = []

    def start(handler: type[BaseHTTPRequestHandler]) -> str:
        server = JoiningHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http-server", daemon=True
        )
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
