"""The settings page shows each part's mode, never its key."""

from __future__ import annotations

import pytest

from tests.test_secrets import LAMBDA_CANARY, OPENAI_CANARY, REPLICATE_CANARY, assert_clean
from tests.ui.conftest import open_page, texts


def test_the_settings_page_never_shows_a_key(app_env, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("OPENAI_API_KEY", OPENAI_CANARY),
        ("LAMBDA_API_KEY", LAMBDA_CANARY),
        ("REPLICATE_API_TOKEN", REPLICATE_CANARY),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LAMBDA_API_URL", "http://127.0.0.1:9")
    at = open_page("pages/settings.py")
    for button in [b for b in at.button if b.label == "Test connection"]:
        button.click().run()
    assert_clean(texts(at), repr(at))
