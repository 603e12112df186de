"""In Chromium: a GPT-5 answer carrying Markdown images and links to another host makes the browser fetch nothing
from that host, and leaves nothing there to click; the addresses are shown as text."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.agents.conftest import KEY
from tests.e2e.browser import Browser, running_app
from tests.fakes.openai_server import FakeOpenAI, text_reply

pytestmark = pytest.mark.e2e


class _Tracker(ThreadingHTTPServer):
    """Another host (127.0.0.2): counts every request the page would make to it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tracker.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.2", 0), Handler)


@pytest.fixture
def tracker() -> Iterator[_Tracker]:
    server = _Tracker()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_model_text_loads_nothing_from_another_host(tmp_path, tracker: _Tracker) -> None:
    elsewhere = f"http://127.0.0.2:{tracker.server_address[1]}"
    answer = (
        f"The scene was refused. ![status]({elsewhere}/pixel.png?q=premise-secret) "
        f"Read [the fix]({elsewhere}/phish) or <{elsewhere}/auto> or {elsewhere}/bare.\n\n"
        f"![ref image][r]\n\n[r]: {elsewhere}/ref.png"
    )
    with FakeOpenAI(lambda body: text_reply(answer), api_key=KEY) as fake:
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'vsl.db'}",
            "MEDIA_DIR": str(tmp_path / "media"),
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": fake.base_url,
            "LAMBDA_API_URL": "",
            "REPLICATE_API_TOKEN": "",
            "S3_BUCKET": "",
            "EMBEDDED_WORKER": "false",
        }
        with running_app(env) as url, Browser(tmp_path) as browser:
            app_host = urlsplit(url).netloc
            foreign: list[str] = []
            browser.page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc != app_host else 0)
            page = browser.open(url + "/chat")
            box = page.get_by_test_id("stChatInputTextArea")
            box.fill("Why was my scene refused?")
            box.press("Enter")
            browser.expect_text("The scene was refused.")
            page.wait_for_timeout(1500)
            after_stream = (list(foreign), list(tracker.hits), _live(page))
            page.reload()  # a new browser session: open the stored chat, rendered again from the database
            browser.expect_no_spinner()
            page.get_by_role("button", name="Why was my scene refused?").first.click()
            browser.expect_text("The scene was refused.")
            page.wait_for_timeout(1500)
            after_reload = (list(foreign), list(tracker.hits), _live(page))
            assert after_stream == after_reload == ([], [], 0)  # (requests elsewhere, hits there, live elements)
            browser.expect_text(f"{elsewhere}/pixel.png?q=premise-secret")  # the address is shown as text


def _live(page: Any) -> int:
    """Links and images on the page that point at the other host."""
    return page.locator("a[href*='127.0.0.2'], img[src*='127.0.0.2']").count()
