"""The cast journey in a real browser (offline): premise → the agents' draft with a cast → portraits generated
by the local preview → pick one → scene 1 → scene 2 chained from it → continuity review → regenerate with the fix.

Screenshots `cast.png` and `review.png` go to `tests/e2e/artifacts/` (or `$VSL_SCREENSHOTS`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.browser import Browser, running_app

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("VSL_SCREENSHOTS") or Path(__file__).parent / "artifacts")
PREMISE = "Isabel, a maid at a coffee hacienda in Veracruz, learns she is the owner's lost daughter."
SCENES_TAB = "Scenes: keyframes, chaining, review"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cast-journey")
    env = {
        "DATABASE_URL": f"sqlite:///{root / 'vsl.db'}",
        "MEDIA_DIR": str(root / "media"),
        "POLL_MIN_S": "0.5",
        "POLL_MAX_S": "1",
        "OPENAI_API_KEY": "",
        "LAMBDA_API_URL": "",
        "REPLICATE_API_TOKEN": "",
        "S3_BUCKET": "",
        "EMBEDDED_WORKER": "true",
    }
    with running_app(env) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Browser(SHOTS) as b:
        yield b


def _reload_until(browser: Browser, url: str, button: str, count: int, what: str, timeout_s: float = 60) -> None:
    """The Cast page does not poll: reopen it until `count` buttons named `button` show (the worker runs in the
    server meanwhile)."""

    def shown() -> bool:
        browser.open(url)
        browser.page.get_by_role("button", name="Generate candidates").first.wait_for(state="visible")
        found = browser.page.get_by_role("button", name=button, exact=True).filter(visible=True)
        return found.count() >= count

    browser.wait_until(shown, what, timeout_s)


def _generate_next_scene(browser: Browser, url: str, done: int) -> None:
    browser.open(url + "/board")
    browser.click("Next scene", timeout_s=90)
    browser.expect_text("Total to reserve")
    browser.click("Confirm and generate")
    page = browser.page
    browser.wait_until(lambda: page.get_by_text("Done", exact=True).count() >= done, f"{done} scene(s) done", 90)


def _open_scenes(browser: Browser, url: str) -> None:
    browser.open(url + "/cast")
    browser.page.get_by_role("tab", name=SCENES_TAB).click()
    browser.expect_no_spinner()


def _red_portrait(folder: Path) -> Path:
    path = folder / "isabel-red.png"
    Image.new("RGB", (256, 256), (220, 20, 20)).save(path)
    return path


def test_the_cast_journey(app: str, browser: Browser, tmp_path: Path) -> None:
    url = app
    page = browser.open(url + "/new_novela")
    page.get_by_label("Premise", exact=True).fill(PREMISE)
    page.get_by_label("Scenes per episode", exact=True).fill("2")
    page.get_by_label("Episodes", exact=True).fill("1")
    browser.click("Draft with agents")
    browser.expect_text("Review the draft")
    browser.choose("Video model", "Local preview")
    browser.click("Create novela")
    browser.expect_text("Plan estimate")

    # The draft's characters are the cast; portraits of the first are made offline, through the confirmation.
    browser.open(url + "/cast")
    browser.expect_text("@Isabel")
    browser.click("Generate candidates")
    browser.expect_text("Total to reserve")
    browser.click("Confirm and generate")
    _reload_until(browser, url + "/cast", "Use this", 1, "both portrait candidates")  # the first is the reference
    page.locator("input[type=file]").first.set_input_files(str(_red_portrait(tmp_path)))
    browser.expect_text("isabel-red.png")  # uploaded before the click that adds it
    browser.expect_no_spinner()  # the upload's own rerun is over: a click during it can be lost
    browser.click("Add this image")
    _reload_until(browser, url + "/cast", "Use this", 2, "the upload among the candidates", timeout_s=30)
    browser.click("Use this")  # the upload, newest first: a red square the review will find drifted
    generated = [page.get_by_text(f"#{n}", exact=True) for n in (1, 2)]
    browser.wait_until(lambda: all(c.count() for c in generated), "the upload as the reference, both portraits left")
    browser.shot("cast")
    browser.assert_no_app_errors()

    # Scene 1, then scene 2 continuing from it.
    _generate_next_scene(browser, url, 1)
    _open_scenes(browser, url)
    page.get_by_text("Continue from the previous scene").first.click()
    browser.expect_no_spinner()
    _generate_next_scene(browser, url, 2)
    browser.expect_text("chained")

    # Review scene 2 (offline measure, labelled), then regenerate it with the proposed fix.
    _open_scenes(browser, url)
    page.get_by_role("button", name="Review continuity (offline colour measure, $0)").last.click()
    browser.expect_no_spinner()
    browser.expect_text("offline image measure, not GPT-5")
    browser.shot("review")
    browser.click("Regenerate with the fix")
    browser.expect_text("Total to reserve")
    browser.click("Confirm and generate")
    browser.open(url + "/board")
    browser.expect_text("take 2/2", timeout_s=60)
    browser.assert_no_app_errors()
