"""A clip deleted from the library: warned before, the scene needs a new take after, no server path anywhere
(issue 14.1), and a scene's clips tell their takes apart (14.10)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import open_page, texts
from vsl.db import video_repo
from vsl.db.models import MediaItem, NovelaVideo
from vsl.jobs.states import JobStatus
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.runtime import Runtime


def _novela(runtime: Runtime):
    data = NovelaInput(
        title="Hacienda",
        episodes=1,
        scenes_per_episode=2,
        default_model_id="local-preview",
        default_duration=2,
        default_resolution="480p",
        budget=Decimal("5"),
    )
    return service.create(runtime.db, data)


def finish(runtime: Runtime, take: NovelaVideo, *, new_take: bool = False) -> int:
    """Mark `take` (or a new take of its scene) done with a file and its library row; return the take's id."""
    key = f"videos/novela-{take.novela_id}/e{take.episode_number}s{take.scene_number}-{take.id}{new_take}.mp4"
    runtime.storage.put_bytes(key, b"not really a video", "video/mp4")
    with runtime.db.write() as session:
        row = video_repo.get(session, take.id)
        if new_take:
            row = NovelaVideo(
                novela_id=take.novela_id,
                episode_number=take.episode_number,
                scene_number=take.scene_number,
                take=take.take + 1,
                title=take.title,
                model_id=take.model_id,
            )
            session.add(row)
        row.status, row.s3_key, row.actual_cost = JobStatus.COMPLETED, key, Decimal(0)
        session.flush()
        session.add(
            MediaItem(
                s3_key=key,
                media_type="video",
                title=row.title or "Scene",
                novela_id=take.novela_id,
                video_id=row.id,
                episode_number=take.episode_number,
                scene_number=take.scene_number,
            )
        )
        return row.id


def _takes(runtime: Runtime, novela_id: int) -> list[NovelaVideo]:
    with runtime.db.session() as session:
        return video_repo.episode_takes(session, novela_id, 1)


def _delete_in_library(at: AppTest, index: int = 0) -> str:
    [b for b in at.button if b.label == "Delete"][index].click().run()
    warning = " ".join(w.value for w in at.warning)
    next(b for b in at.button if b.label == "Delete for good").click().run()
    assert not at.exception
    return warning


def _server_paths(runtime: Runtime, tmp_path: Path) -> list[str]:
    return [str(tmp_path), str(runtime.settings.media_dir)]


def test_deleting_the_chosen_take_warns_and_the_scene_then_needs_a_new_take(app_env, tmp_path) -> None:
    novela = _novela(app_env)
    first = _takes(app_env, novela.id)[0]
    finish(app_env, first)
    at = open_page("pages/library.py")
    warning = _delete_in_library(at)
    assert "the take the episode uses: that scene then needs a new take" in warning
    (after, _) = _takes(app_env, novela.id)
    assert after.s3_key is None and not after.selected
    assert not app_env.storage.exists(first.s3_key or f"videos/novela-{novela.id}/e1s1-{first.id}False.mp4")

    at = open_page("pages/board.py", {"novela": str(novela.id)})
    page = texts(at)
    assert "Needs a new take" in page
    assert "deleted from the media library: make a new take with Regenerate" in page
    assert not any(p in page for p in _server_paths(app_env, tmp_path))
    rest = next(b for b in at.button if b.label.startswith("Rest of episode"))
    assert rest.label == "Rest of episode (2)"  # the scene with no video counts with the ones still to make


def test_deleting_a_take_the_episode_does_not_use_says_so(app_env) -> None:
    novela = _novela(app_env)
    first = _takes(app_env, novela.id)[0]
    finish(app_env, first)
    finish(app_env, first, new_take=True)  # take 2 is newer, so the episode uses it
    at = open_page("pages/library.py")
    titles = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(t.endswith("· take 1") for t in titles) and any(t.endswith("· take 2") for t in titles)
    index = next(i for i, t in enumerate(titles) if t.endswith("take 2"))
    warning = _delete_in_library(at, index)
    assert "take 2 of scene 1 of episode 1, the take the episode uses: the episode then uses take 1 instead" in warning


def test_a_missing_file_is_explained_without_a_server_path(app_env, tmp_path) -> None:
    novela = _novela(app_env)
    first = _takes(app_env, novela.id)[0]
    finish(app_env, first)
    with app_env.db.session() as session:
        key = video_repo.get(session, first.id).s3_key
    (Path(app_env.settings.media_dir) / key).unlink()  # gone from the folder behind the studio's back
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    page = texts(at)
    assert "cannot be played" in page and "was not found in the media folder" in page
    assert not any(p in page for p in _server_paths(app_env, tmp_path))


@pytest.mark.parametrize("page", ["pages/settings.py", "pages/library.py", "pages/board.py", "pages/home.py"])
def test_no_page_shows_a_server_path(app_env, tmp_path, page: str) -> None:
    novela = _novela(app_env)
    finish(app_env, _takes(app_env, novela.id)[0])
    at = open_page(page, {"novela": str(novela.id)})
    for button in [b for b in at.button if b.label in {"Test connection", "Preview"}]:
        button.click().run()
        assert not at.exception
    page_text = texts(at) + " ".join(str(s.value) for s in at.success)
    assert not any(p in page_text for p in _server_paths(app_env, tmp_path))
