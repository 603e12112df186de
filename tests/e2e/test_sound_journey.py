"""The sound journey in a real browser: a novela whose scenes have dialogue → render both scenes offline →
assemble the episode → the finished episode plays on the board with its subtitles showing. The screenshot is
`episode.png` in test_journey's SHOTS folder (docs/screenshots with `make screenshots`)."""

from __future__ import annotations

import pytest

from tests.e2e.browser import Browser, running_app
from tests.e2e.test_journey import browser  # noqa: F401 (the module's Chromium page, saving to SHOTS)
from vsl.config import load_settings
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput

pytestmark = pytest.mark.e2e
DIALOGUE = {
    1: [{"speaker": "Isabel", "line": "The letter came tonight.", "emotion": "fearful", "at_s": None}],
    2: [{"speaker": "Rafael", "line": "Then we open it together.", "emotion": "calm", "at_s": 0.5}],
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sound-journey")
    env = {
        "DATABASE_URL": f"sqlite:///{root / 'vsl.db'}",
        "MEDIA_DIR": str(root / "media"),
        "POLL_MIN_S": "0.5",
        "POLL_MAX_S": "2",
        "LAMBDA_API_URL": "",
        "OPENAI_API_KEY": "",
        "REPLICATE_API_TOKEN": "",
        "S3_BUCKET": "",
        "EMBEDDED_WORKER": "true",
    }
    with running_app(env) as url:
        yield url, env


def _spoken_novela(env: dict[str, str]) -> int:
    db = Database.from_settings(load_settings(env))
    migrate.upgrade(db)
    data = NovelaInput(
        title="La carta",
        premise="A letter arrives at the hacienda.",
        episodes=1,
        scenes_per_episode=2,
        default_model_id="local-preview",
        default_duration=4,
        default_resolution="480p",
    )
    drafts = {
        (1, n): {"title": f"Scene {n}", "prompt": "Rain.", "details": {"dialogue": d}} for n, d in DIALOGUE.items()
    }
    novela = service.create(db, data, drafts)
    db.dispose()
    return novela.id


def test_an_assembled_episode_plays_with_its_subtitles(app, browser: Browser) -> None:  # noqa: F811
    url, env = app
    novela_id = _spoken_novela(env)
    browser.open(url + "/")  # the server's first request, as a person's would be
    page = browser.open(f"{url}/board?novela={novela_id}")
    browser.expect_text("Dialogue (1 line)")
    browser.click("Rest of episode (2)")
    browser.click("Confirm and generate")
    browser.wait_until(lambda: page.get_by_text("Done", exact=True).count() >= 2, "both scenes done", 90)
    browser.expect_no_spinner()
    browser.click("Assemble episode")  # opens the assembly choices
    browser.click("Assemble")
    browser.expect_text("assembled", timeout_s=90)
    browser.expect_text("Play the whole episode 1")

    player = page.get_by_test_id("stExpander").filter(has_text="Play the whole episode 1")
    episode = player.locator("video").first
    episode.scroll_into_view_if_needed()
    browser.wait_until(lambda: episode.evaluate("v => v.readyState") >= 1, "episode metadata", 30)
    assert abs(float(episode.evaluate("v => v.duration")) - 11) < 0.2  # 3 s title card + 2 scenes of 4 s
    browser.wait_until(
        lambda: episode.evaluate("v => v.textTracks.length > 0 && (v.textTracks[0].cues || []).length") == 2,
        "the subtitle track's cues",
        30,
    )
    episode.evaluate("v => { v.muted = true; v.currentTime = 3.6; return v.play(); }")
    browser.wait_until(
        lambda: (
            episode.evaluate("v => Array.from(v.textTracks[0].activeCues || []).map(c => c.text).join()")
            == "Isabel: The letter came tonight."
        ),
        "Isabel's line on screen",
        30,
    )
    assert episode.evaluate("v => v.currentTime") > 3.6  # it plays
    episode.evaluate("v => v.pause()")
    browser.shot("episode")
    browser.assert_no_app_errors()
