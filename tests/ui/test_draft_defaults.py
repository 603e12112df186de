"""The offline draft a new user gets (issue 14.5): a real title, whole scene titles, and the model that will render."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import open_page, texts
from vsl.agents.offline import BEAT_TITLES

PREMISE = "A maid in Mexico City discovers she is the owner's lost daughter."


def _draft(at: AppTest, episodes: int = 2, scenes: int = 6) -> None:
    next(t for t in at.text_area if t.label == "Premise").input(PREMISE)
    next(n for n in at.number_input if n.label == "Episodes").set_value(episodes)
    next(n for n in at.number_input if n.label == "Scenes per episode").set_value(scenes)
    next(b for b in at.button if b.label == "Draft with agents").click()
    at.run()
    assert not at.exception
    assert "Review the draft" in texts(at)


def test_the_offline_draft_is_titled_for_its_story_and_its_scenes_are_whole(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _draft(at)
    title = next(t for t in at.text_input if t.label == "Title").value
    assert title and title != "Mexico City" and title.lower() not in {"mexico city", "the mexico city"}
    scenes = [m.value for m in at.markdown if m.value.startswith("**Scene ")]
    assert len(scenes) == 6
    allowed = {t.split("}")[-1].strip() for t in BEAT_TITLES}  # the fixed part of each template title
    for scene in scenes:
        name = scene.split(": ", 1)[1].split("** ·")[0].replace("\\", "")
        assert any(name.endswith(a) for a in allowed), name
        assert not name.endswith(("that", "and", "the", "of")), name


def test_with_no_provider_the_draft_starts_on_the_free_preview_and_shows_the_real_price(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _draft(at, episodes=1, scenes=4)
    model = next(s for s in at.selectbox if s.label == "Video model")
    assert model.value == "local-preview"
    estimate = next(m for m in at.metric if m.label.startswith("Estimated cost"))
    assert estimate.value == "$0.08"  # no video cost: 4 scenes x $0.01875 of GPT-5 writing
    (note,) = [c.value for c in at.caption if "only the free local preview will render" in c.value]
    assert "With Veo 3.1 Fast the same plan would cost $" in note


@pytest.mark.parametrize("provider", ["LAMBDA_API_URL"])
def test_with_a_provider_the_draft_starts_on_the_recommended_model(app_env, monkeypatch, provider: str) -> None:
    monkeypatch.setenv(provider, "http://127.0.0.1:9")  # configured; never called while drafting

    st.cache_resource.clear()  # the runtime reads the provider setting when it is built
    at = open_page("pages/new_novela.py")
    _draft(at, episodes=1, scenes=2)
    assert next(s for s in at.selectbox if s.label == "Video model").value == "veo-3.1-fast"
    assert "only the free local preview will render" not in texts(at)
