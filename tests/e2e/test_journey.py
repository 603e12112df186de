"""The main journey in a real browser: headless Chromium (Debian's) driven by Playwright against `streamlit run`.

Draft a novela with the agents (offline) → its board → generate the first scene with the local preview → watch it
finish and play → regenerate it → render the rest and assemble the episode → find everything in the media library →
ask the Fallback Handler about a scene the (fake) VSL Lambda API refused. Screenshots of each page are saved to
`tests/e2e/artifacts/` (or `$VSL_SCREENSHOTS`, which `make screenshots` points at docs/screenshots).
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.browser import Browser, running_app
from tests.fakes.lambda_server import FakeLambdaServer, content_policy_plan
from vsl.config import load_settings
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("VSL_SCREENSHOTS") or Path(__file__).parent / "artifacts")
PREMISE = "A maid at a coffee hacienda in Veracruz discovers she is the owner's lost daughter."


@pytest.fixture(scope="module")
def fake_lambda():
    with FakeLambdaServer(plan=content_policy_plan(polls=1)) as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, fake_lambda: FakeLambdaServer):
    root = tmp_path_factory.mktemp("journey")
    env = {
        "DATABASE_URL": f"sqlite:///{root / 'vsl.db'}",
        "MEDIA_DIR": str(root / "media"),
        "LAMBDA_API_URL": fake_lambda.base_url,
        "POLL_MIN_S": "0.5",
        "POLL_MAX_S": "2",
        "OPENAI_API_KEY": "",
        "REPLICATE_API_TOKEN": "",
        "S3_BUCKET": "",
        "EMBEDDED_WORKER": "true",
    }
    with running_app(env) as url:
        yield url, env


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Browser(SHOTS) as b:
        yield b


def test_the_main_journey(app, browser: Browser) -> None:
    url, _env = app
    page = browser.open(url + "/")
    browser.expect_text("No novela yet")
    browser.shot("home-empty")
    browser.assert_no_app_errors()

    # Draft with the agents (offline): premise → one click → review → one click.
    browser.open(url + "/new_novela")
    page.get_by_label("Premise", exact=True).fill(PREMISE)
    page.get_by_label("Scenes per episode", exact=True).fill("2")
    page.get_by_label("Episodes", exact=True).fill("1")
    browser.click("Draft with agents")
    browser.expect_text("Review the draft")
    browser.choose("Video model", "Local preview")
    browser.shot("new-novela-draft")
    browser.click("Create novela")
    browser.expect_text("Plan estimate")  # we are on the board

    # Generate the first scene: the confirmation shows the total; nothing is spent before it.
    browser.click("Next scene")
    browser.expect_text("Total to reserve")
    browser.click("Confirm and generate")
    browser.expect_text("Done", timeout_s=60)
    try:
        assert browser.video_duration(0, timeout_s=60) > 0
    finally:
        browser.shot("board-first-scene")

    # Regenerate it: a new take, the old one kept.
    page.get_by_role("button", name="Regenerate").first.click()
    browser.click("Price the new take")
    browser.click("Confirm and generate")
    browser.expect_text("take 2/2", timeout_s=60)

    # The rest of the episode, then assembly.
    browser.click("Rest of episode (1)")
    browser.click("Confirm and generate")
    browser.wait_until(lambda: page.get_by_text("Done", exact=True).count() >= 2, "both scenes done", 90)
    browser.click("Assemble episode")  # opens the assembly choices
    browser.click("Assemble")
    browser.expect_text("assembled", timeout_s=60)
    browser.expect_text("Play the whole episode 1")  # the cut plays on the board
    assert browser.video_duration(0) > 0
    browser.shot("board")
    browser.assert_no_app_errors()  # before the next page resets the count

    # Both takes of scene 1, scene 2 and the episode are in the library.
    browser.open(url + "/library")
    browser.expect_text("4 items")
    browser.expect_text("· take 2")  # the two takes of scene 1 tell apart
    page.get_by_label("Search").fill("Episode 1")
    page.keyboard.press("Enter")
    browser.expect_text("Episode 1")
    browser.shot("library")
    browser.assert_no_app_errors()


def _refused_novela(env: dict[str, str]) -> int:
    """A novela on a paid model: its scenes go to the fake Lambda API, which refuses them for content."""
    db = Database.from_settings(load_settings(env))
    migrate.upgrade(db)  # the app does it on its first page; this test may run first
    data = NovelaInput(
        title="Refused scenes",
        premise="A scene the content filter will refuse.",
        episodes=1,
        scenes_per_episode=1,
        default_model_id="veo-3.1-fast",
        default_duration=8,
        default_resolution="720p",
        budget=Decimal("10"),
    )
    novela = service.create(db, data)
    db.dispose()
    return novela.id


def test_ask_the_fallback_handler_about_a_failed_scene(app, browser: Browser, fake_lambda) -> None:
    url, env = app
    novela_id = _refused_novela(env)
    page = browser.open(f"{url}/board?novela={novela_id}")
    browser.click("Next scene")
    browser.expect_text("Total to reserve")
    browser.expect_text("$1.20")  # veo-3.1-fast, 8 s with audio at $0.15/s
    browser.click("Confirm and generate")
    browser.expect_text("content policy", timeout_s=60)
    browser.expect_text("VSL Lambda API")  # the failure names the provider…
    browser.expect_text("Generate failed")  # …and the stage
    assert len([r for r in fake_lambda.requests if r.path.endswith("/generate")]) == 1
    page.get_by_role("link", name="Ask the agents about this failure").first.click()
    browser.expect_text("Agent chat")
    page.get_by_placeholder(re.compile("Ask the agents")).fill("Why did this scene fail and what should I do?")
    page.keyboard.press("Enter")
    browser.expect_text("Rewrite the prompt to imply rather than show", timeout_s=30)  # the knowledge base's fix
    browser.shot("chat")
    browser.assert_no_app_errors()


@pytest.mark.parametrize("path", ["/calculator", "/settings", "/agent_log"])
def test_tool_pages_render_without_errors(app, browser: Browser, path: str) -> None:
    url, _ = app
    browser.open(url + path)
    wanted = {"/calculator": "Whole novela", "/settings": "Model catalog", "/agent_log": "Agent log"}[path]
    browser.expect_text(wanted, timeout_s=90)  # widgets load lazily; slow on a busy machine
    if path == "/calculator":  # both charts drawn before the screenshot
        browser.wait_until(lambda: browser.page.locator(".js-plotly-plot .main-svg").count() >= 2, "the charts")
    browser.shot(path.strip("/").replace("_", "-"))
    browser.assert_no_app_errors()


@pytest.mark.parametrize("path", ["/settings", "/calculator"])  # with and without the runtime
def test_a_deep_link_to_a_freshly_started_server_gets_the_studio_navigation(
    tmp_path: Path, browser: Browser, path: str
) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'vsl.db'}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "EMBEDDED_WORKER": "false",
    }
    with running_app(env) as url:
        page = browser.page
        page.goto(url + path)  # the very first request this server gets
        raw_list = page.get_by_role("link", name="app", exact=True).filter(visible=True)
        while not page.get_by_text("Modes").filter(visible=True).count():  # app.py's sidebar
            assert raw_list.count() == 0, "Streamlit's raw list of the files in pages/ flashed"
            page.wait_for_timeout(50)
        assert page.get_by_text("Settings & health").count() >= 1
        assert raw_list.count() == 0
        page.goto("about:blank")  # leave before this server stops, so the next test hears no reconnect attempts


def test_at_1024_px_no_board_action_label_is_cut_off(app, browser: Browser) -> None:
    url, env = app
    novela_id = _refused_novela(env)
    browser.page.set_viewport_size({"width": 1024, "height": 900})
    try:
        browser.open(f"{url}/board?novela={novela_id}")
        browser.expect_text("Assemble episode", timeout_s=60)
        labels = ["Agents: next scene", "Next scene", "Rest of episode (1)", "Retry failed (0)", "Assemble episode"]
        for label in labels:
            button = browser.page.get_by_role("button", name=label, exact=True).first
            button.wait_for(state="visible", timeout=30_000)  # widgets load lazily after the page's first paint
            clipped = button.evaluate(
                "b => [b, ...b.querySelectorAll('*')].some(n => n.scrollWidth > n.clientWidth + 1)"
            )
            assert not clipped, f"{label!r} is cut off at 1024 px"
            assert label in [line.strip() for line in button.inner_text().splitlines()], label  # whole, not "…"
        browser.shot("board-1024")
        browser.assert_no_app_errors()
    finally:
        browser.page.set_viewport_size({"width": 1400, "height": 1000})
