"""The board's sound under Streamlit's AppTest: dialogue and its subtitles on the scene card, voices with a
sample, assembling with progress and playing the episode with subtitles."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.jobs.test_pipeline_local import FAST, run_until
from tests.ui.conftest import app_env, open_page, texts  # noqa: F401 (the app_env fixture)
from vsl.db.models import NovelaVideo
from vsl.jobs import actions
from vsl.jobs.worker import Worker
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.runtime import Runtime
from vsl.sound.voices import all_voices

LINES = [
    {"speaker": "Isabel", "line": "The letter came tonight.", "emotion": "sad", "at_s": None},
    {"speaker": "Rafael", "line": "Burn it.", "emotion": "angry", "at_s": 3.0},
]


def _novela(runtime: Runtime) -> int:
    data = NovelaInput(
        title="Voces",
        premise="A letter.",
        episodes=1,
        scenes_per_episode=1,
        default_model_id="local-preview",
        default_duration=4,
        default_resolution="480p",
    )
    drafts = {(1, 1): {"title": "The letter", "prompt": "Rain.", "details": {"dialogue": LINES}}}
    return service.create(runtime.db, data, drafts).id


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def test_scene_card_shows_dialogue_subtitles_and_voices_with_a_sample(app_env: Runtime) -> None:  # noqa: F811
    novela_id = _novela(app_env)
    at = open_page("pages/board.py", {"novela": str(novela_id)})

    assert any(e.label == "Dialogue (2 lines)" for e in at.expander)
    assert "The letter came tonight" not in texts(at)  # closed: the editor and its spoken preview wait until opened
    with app_env.db.session() as session:
        take_id = session.scalars(select(NovelaVideo.id).where(NovelaVideo.novela_id == novela_id)).one()
    at.session_state[f"dialogue_open_{take_id}"] = True  # the user opens the dialogue
    at.run()
    shown = texts(at).replace("\\", "")  # captions escape markdown
    assert "0.4–" in shown and "Isabel: The letter came tonight." in shown
    assert "3.0–" in shown and "Rafael: Burn it." in shown  # the timing hint
    assert "espeak-ng stand-in" in shown
    assert [v.speaker for v in all_voices(app_env.db, novela_id)] == ["Isabel", "Rafael"]

    _click(at, "Listen")
    next(s for s in at.selectbox if s.key == f"voice_{novela_id}_Isabel_id").set_value("Calm_Woman").run()
    _click(at, "Save voice")
    assert all_voices(app_env.db, novela_id)[0].voice_id == "Calm_Woman"


def test_assemble_from_the_board_and_play_the_episode_with_subtitles(app_env: Runtime) -> None:  # noqa: F811
    novela_id = _novela(app_env)
    worker = Worker(app_env.db, app_env.registry, app_env.storage, FAST)
    targets = actions.targets_rest_of_episode(app_env.db, novela_id, 1)
    run_until(
        worker,
        app_env.db,
        actions.confirm(app_env.db, app_env.registry, actions.quote(app_env.db, app_env.registry, targets)),
    )
    worker.close()

    at = _click(open_page("pages/board.py", {"novela": str(novela_id)}), "Assemble")
    assert "Episode 1 assembled" in texts(at) and "with subtitles" in texts(at)
    (player,) = [e for e in at.expander if e.label.startswith("Play the whole episode 1")]
    (video,) = player.get("video")
    assert video.proto.subtitles  # the episode plays with its subtitle track
    _click(at, "Export episode 1")
    assert len(at.get("download_button")) == 5  # MP4, SRT, VTT, screenplay, shot list
    _click(at, "Export the novela (zip)")
    assert len(at.get("download_button")) == 1 and not at.warning


def test_with_a_provider_the_lines_are_recorded_after_one_priced_confirmation(
    app_env: Runtime,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    novela_id = _novela(app_env)
    offline = open_page("pages/board.py", {"novela": str(novela_id)})
    assert not [b for b in offline.button if b.label == "Record episode 1's lines"]  # the stand-in voice is free
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_test_token_0123456789")
    st.cache_resource.clear()

    at = _click(open_page("pages/board.py", {"novela": str(novela_id)}), "Record episode 1's lines")

    assert "Record 2 line(s) of episode 1 with speech-02-hd" in texts(at)
    (total,) = [m for m in at.metric if m.label == "Total to reserve"]
    assert total.value == "$0.0032"  # 24 + 8 characters at $0.10 per 1,000
    _click(at, "Confirm and generate")
    with app_env.db.session() as session:
        speech = session.query(NovelaVideo).filter_by(novela_id=novela_id, episode_number=0).all()
    assert [v.status for v in speech] == ["reserved"] * 2
    again = _click(open_page("pages/board.py", {"novela": str(novela_id)}), "Record episode 1's lines")
    assert "already recorded or being recorded" in texts(again)
