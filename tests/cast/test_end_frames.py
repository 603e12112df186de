"""End frames: generated on the Cast page (offline stand-in), approved, then sent to Veo as `last_frame`; models
without one offer no button; Veo 3.1 with reference images and an end frame gets one of the two, with a note."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.cast.conftest import png
from tests.cast.test_prompts_and_chaining import Stack, _generate, _set_prompt, _with_portraits, replicate  # noqa: F401
from tests.fakes.http_server import Plan
from tests.fakes.replicate_server import FakeReplicateServer
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_local import FAST, LocalStack, fake_output_mp4, run_until
from tests.ui.conftest import app_env, open_page, texts  # noqa: F401  (app_env is a fixture)
from vsl.cast import overview
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.db.models import Keyframe
from vsl.jobs.worker import Worker
from vsl.providers.registry import ProviderRegistry

TOKEN = "r8_test_token_0123456789"


def _click(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception


def _data(uri: str) -> bytes:
    return base64.b64decode(uri.split(",", 1)[1])


def test_a_veo_fast_scene_ends_on_its_approved_frame(app_env, tmp_path: Path) -> None:  # noqa: F811
    runtime = app_env
    novela = make_novela(runtime.db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=1)
    at = open_page("pages/cast.py", {"novela": str(novela.id)})
    assert "Generate start frame" in [b.label for b in at.button]

    _click(at, "Generate end frame")
    assert "Total to reserve" in texts(at)  # the one confirmation dialog; nothing queued yet
    _click(at, "Confirm and generate")
    with runtime.db.session() as session:
        (job,) = [j.id for j in video_repo.scene_takes(session, novela.id, 0, 0)]
    worker = Worker(runtime.db, runtime.registry, runtime.storage, FAST)
    (done,) = run_until(worker, runtime.db, [job])  # the offline stand-in renders the image
    worker.close()
    assert done.status == "completed", done.failure_message
    assert "the end of the scene" in done.script_prompt

    at.run()
    (view,) = overview.scenes(runtime.db, novela.id, 1)
    assert view.end_frame is None and view.pending_end_frame is not None and view.pending_frame is None
    assert [b.help for b in at.button if b.label == "Approve this frame"] == ["Use it as the scene's end frame"]
    _click(at, "Approve this frame")
    (view,) = overview.scenes(runtime.db, novela.id, 1)
    assert view.end_frame is not None and view.pending_end_frame is None and view.start_frame is None
    assert "end frame ✓" in texts(open_page("pages/board.py", {"novela": str(novela.id)}))
    assert "ends on the approved end frame only when the take also starts from a frame" in texts(at)
    start = _approved_frame(runtime.db, runtime.storage, novela.id, (20, 20, 220), "start")

    with FakeReplicateServer(token=TOKEN, plan=Plan(polls=1, output=fake_output_mp4())) as fake:
        registry = ProviderRegistry(job_settings(tmp_path, REPLICATE_API_TOKEN=TOKEN, REPLICATE_BASE_URL=fake.base_url))
        worker = Worker(runtime.db, registry, runtime.storage, FAST)
        try:
            row = _generate(runtime.db, Stack(fake, registry, runtime.storage, worker), view.take.id)
        finally:
            worker.close()
            registry.close()
        (sent,) = fake.requests_to("POST", "/v1/models/google/veo-3.1-fast/predictions")

    assert row.status == "completed", row.failure_message
    stored = runtime.storage.get_bytes((view.end_frame.ref or "").removeprefix("media:"))
    assert _data(sent.body["input"]["last_frame"]) == stored
    assert _data(sent.body["input"]["image"]) == runtime.storage.get_bytes(start)
    assert row.scene_details["frames_sent"] == {"start": f"media:{start}", "end": view.end_frame.ref}
    assert row.scene_details["end_frame_note"] == ""


def test_veo_without_a_start_frame_is_not_sent_the_end_frame_and_the_take_says_why(
    sqlite_db: Database,
    replicate: Stack,  # noqa: F811
) -> None:
    novela_id = make_novela(sqlite_db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=1).id
    _approved_frame(sqlite_db, replicate.storage, novela_id, (5, 200, 5))

    row = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 1, "Rain."))

    assert row.status == "completed", row.failure_message
    (sent,) = replicate.fake.requests_to("POST", "/v1/models/google/veo-3.1-fast/predictions")
    assert "last_frame" not in sent.body["input"] and "image" not in sent.body["input"]
    assert "ends on a given frame only when it also starts from one" in row.scene_details["end_frame_note"]
    assert row.scene_details["frames_sent"] == {}


def test_a_model_without_last_frame_offers_no_end_frame(app_env) -> None:  # noqa: F811
    novela = make_novela(app_env.db, scenes=1)  # local-preview: no last_frame
    at = open_page("pages/cast.py", {"novela": str(novela.id)})
    labels = [b.label for b in at.button]
    assert "Generate start frame" in labels and "Generate end frame" not in labels
    assert "Local preview takes no end frame; Veo 3.1 and Veo 3.1 Fast do." in texts(at).replace("\\", "")


def _keyframe(db: Database, novela_id: int, ref: str, *, source: str, approved: bool, position: str = "end") -> None:
    """A start or end frame of scene 1 of episode 1."""
    with db.write() as session:
        session.add(Keyframe(novela_id=novela_id, episode_number=1, scene_number=1, position=position, source=source,
                             ref=ref, approved=approved))  # fmt: skip


def _approved_frame(db: Database, storage, novela_id: int, colour: tuple[int, int, int], position: str = "end") -> str:
    key = f"frames/novela-{novela_id}/{position}.png"
    storage.put_bytes(key, png(colour=colour), "image/png")
    _keyframe(db, novela_id, f"media:{key}", source="uploaded", approved=True, position=position)
    return key


@pytest.mark.parametrize(
    ("positions", "named"),
    [(("start", "end"), "beside image and last_frame"), (("start",), "beside image,")],
)
def test_veo_with_references_and_its_own_frames_drops_the_references_with_a_note(
    sqlite_db: Database,
    replicate: Stack,  # noqa: F811
    positions: tuple[str, ...],
    named: str,
) -> None:
    """Google's Veo API takes reference images or a first/last frame, not both: the scene's own frames win."""
    novela_id = make_novela(sqlite_db, model="veo-3.1", duration=8, resolution="1080p", scenes=1).id
    _with_portraits(sqlite_db, replicate.storage, novela_id, "Ana")
    keys = {p: _approved_frame(sqlite_db, replicate.storage, novela_id, (5, 200, 5), p) for p in positions}

    row = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 1, "@Ana waits."))

    assert row.status == "completed", row.failure_message
    (sent,) = replicate.fake.requests_to("POST", "/v1/models/google/veo-3.1/predictions")
    params = {"start": "image", "end": "last_frame"}
    assert {params[p]: _data(sent.body["input"][params[p]]) for p in positions} == {
        params[p]: replicate.storage.get_bytes(k) for p, k in keys.items()
    }
    assert "reference_images" not in sent.body["input"]
    assert f"Veo 3.1 takes no reference images {named}" in row.scene_details["cast_left_out"]
    assert row.scene_details["cast_references"] == [] and row.scene_details["end_frame_note"] == ""


def test_offline_preview_notes_that_it_does_not_end_on_the_frame(db: Database, local_stack: LocalStack) -> None:
    novela_id = make_novela(db, duration=2, resolution="480p", scenes=1).id
    _approved_frame(db, local_stack.storage, novela_id, (5, 5, 200))

    row = _generate(db, local_stack, _set_prompt(db, novela_id, 1, "Rain."))

    assert row.status == "completed", row.failure_message
    assert row.scene_details["end_frame_note"].startswith("end frame not sent: the offline preview")
    assert row.scene_details["frames_sent"] == {}


def test_a_proposal_older_than_the_approved_frame_is_not_offered_again(db: Database, local_stack: LocalStack) -> None:
    novela_id = make_novela(db, scenes=1).id
    _keyframe(db, novela_id, "media:frames/old.png", source="generated", approved=False)
    _approved_frame(db, local_stack.storage, novela_id, (9, 9, 9))
    (view,) = overview.scenes(db, novela_id, 1)
    assert view.end_frame is not None and view.pending_end_frame is None
