"""Takes carry their cast and frames: what the Replicate fake received, and the offline chaining pixel test."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cast.conftest import add_cast, png
from tests.fakes.http_server import Plan
from tests.fakes.replicate_server import FakeReplicateServer
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_local import FAST, LocalStack, fake_output_mp4, run_until, take
from vsl.cast import frames, keyframes, service
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.jobs.worker import Worker
from vsl.media.ffmpeg import extract_frame
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage

TOKEN = "r8_test_token_0123456789"


@dataclass
class Stack:
    fake: FakeReplicateServer
    registry: ProviderRegistry
    storage: LocalStorage
    worker: Worker


@pytest.fixture
def replicate(sqlite_db: Database, tmp_path: Path) -> Iterator[Stack]:
    with ExitStack() as stack:
        fake = stack.enter_context(FakeReplicateServer(token=TOKEN, plan=Plan(polls=1, output=fake_output_mp4())))
        registry = ProviderRegistry(job_settings(tmp_path, REPLICATE_API_TOKEN=TOKEN, REPLICATE_BASE_URL=fake.base_url))
        stack.callback(registry.close)
        storage = LocalStorage(tmp_path / "media")
        worker = Worker(sqlite_db, registry, storage, FAST)
        stack.callback(worker.close)
        yield Stack(fake, registry, storage, worker)


def _set_prompt(db: Database, novela_id: int, scene: int, prompt: str, **details: object) -> int:
    with db.write() as session:
        row = video_repo.scene_takes(session, novela_id, 1, scene)[0]
        row.script_prompt = prompt
        row.scene_details = {**row.scene_details, **details}
        return row.id


def _generate(db: Database, stack, video_id: int, mode: str = "generate"):
    quote = actions.quote(db, stack.registry, [actions.Target(video_id, mode)])  # type: ignore[arg-type]
    return run_until(stack.worker, db, actions.confirm(db, stack.registry, quote))[0]


def _with_portraits(db: Database, storage: LocalStorage, novela_id: int, *names: str) -> dict[str, int]:
    cast = add_cast(db, novela_id, *names)
    for n, asset_id in enumerate(cast.values()):
        service.add_upload(db, storage, asset_id, f"{n}.png", png(colour=(n * 40, 10, 10)))
    return cast


def test_veo_gets_the_looks_in_its_prompt_and_at_most_three_references(sqlite_db: Database, replicate: Stack) -> None:
    novela_id = make_novela(sqlite_db, model="veo-3.1", duration=8, resolution="1080p", scenes=1).id
    _with_portraits(sqlite_db, replicate.storage, novela_id, "Ana", "Bruno", "Carla", "Davi")
    video_id = _set_prompt(sqlite_db, novela_id, 1, "@Davi greets @Carla; @Carla hugs @Bruno and @Ana. @Davi smiles.")

    row = _generate(sqlite_db, replicate, video_id)

    assert row.status == "completed", row.failure_message
    (sent,) = replicate.fake.requests_to("POST", "/v1/models/google/veo-3.1/predictions")
    model_input = sent.body["input"]
    assert model_input["prompt"].startswith("Davi (Davi look: grey coat, age 40) greets Carla (Carla look")
    assert "@" not in model_input["prompt"]
    refs = model_input["reference_images"]
    assert len(refs) == 3 and all(r.startswith("data:image/png;base64,") for r in refs)
    sent_pngs = [base64.b64decode(r.split(",", 1)[1]) for r in refs]
    assert sent_pngs == [png(colour=(c, 10, 10)) for c in (120, 80, 40)]  # Davi, Carla (named twice), Bruno
    assert row.scene_details["cast_left_out"] == "Veo 3.1 takes 3 reference images; left out: Ana"


def test_references_are_not_sent_outside_16_9_and_8_seconds(sqlite_db: Database, replicate: Stack) -> None:
    novela_id = make_novela(sqlite_db, model="veo-3.1", duration=4, resolution="1080p", scenes=1).id
    _with_portraits(sqlite_db, replicate.storage, novela_id, "Ana")
    row = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 1, "@Ana waits."))

    (sent,) = replicate.fake.requests_to("POST", "/v1/models/google/veo-3.1/predictions")
    assert "reference_images" not in sent.body["input"]
    assert "only with 16:9 and 8 s" in row.scene_details["cast_left_out"]


def test_a_chained_take_is_sent_its_predecessors_last_frame(
    sqlite_db: Database, replicate: Stack, tmp_path: Path
) -> None:
    novela_id = make_novela(sqlite_db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=2).id
    first = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 1, "Rain."))
    second = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 2, "Still raining.", chain=True))

    assert second.status == "completed", second.failure_message
    sent = replicate.fake.requests_to("POST", "/v1/models/google/veo-3.1-fast/predictions")[1].body["input"]
    expected = frames.last_frame(replicate.storage.download_to(first.s3_key, tmp_path / "a.mp4"), tmp_path / "l.png")
    assert base64.b64decode(sent["image"].split(",", 1)[1]) == expected.read_bytes()
    assert second.scene_details["chained_from"] == first.id


def test_choosing_another_take_marks_the_chained_take_stale(sqlite_db: Database, replicate: Stack) -> None:
    novela_id = make_novela(sqlite_db, model="veo-3.1-fast", duration=8, resolution="720p", scenes=2).id
    first = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 1, "Rain."))
    second = _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 2, "More rain.", chain=True))
    with sqlite_db.session() as session:
        assert not keyframes.chain_is_stale(session, take(sqlite_db, second.id))

    retake = _generate(sqlite_db, replicate, first.id, "new_take")

    assert retake.take == 2
    with sqlite_db.session() as session:
        assert keyframes.chain_is_stale(session, take(sqlite_db, second.id))


def test_frames_on_a_model_that_takes_no_image_are_refused_with_the_models_that_do(
    sqlite_db: Database, replicate: Stack
) -> None:
    novela_id = make_novela(sqlite_db, model="wan-2.5-t2v", duration=5, resolution="720p", scenes=2).id
    _generate(sqlite_db, replicate, _set_prompt(sqlite_db, novela_id, 1, "Rain."))
    video_id = _set_prompt(sqlite_db, novela_id, 2, "More rain.", chain=True)
    models = "veo-3.1, veo-3.1-fast, stable-video-diffusion, local-preview"
    with pytest.raises(actions.InvalidTake, match=rf"Wan 2.5 takes no image.*{models}"):
        actions.quote(sqlite_db, replicate.registry, [actions.Target(video_id)])


def test_chaining_before_the_previous_scene_is_done_is_refused(sqlite_db: Database, local_registry) -> None:
    novela_id = make_novela(sqlite_db, scenes=2).id
    video_id = _set_prompt(sqlite_db, novela_id, 2, "More rain.", chain=True)
    with pytest.raises(actions.InvalidTake, match="no finished take of episode 1, scene 1"):
        actions.quote(sqlite_db, local_registry, [actions.Target(video_id)])


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def test_offline_chained_take_starts_on_its_predecessors_last_frame(
    db: Database, local_stack: LocalStack, tmp_path: Path
) -> None:
    novela_id = make_novela(db, duration=2, resolution="480p", scenes=2).id
    first = _generate(db, local_stack, _set_prompt(db, novela_id, 1, "Rain on the windows."))
    second = _generate(db, local_stack, _set_prompt(db, novela_id, 2, "A knock at the door.", chain=True))
    assert second.status == "completed", second.failure_message

    storage = local_stack.storage
    last = frames.last_frame(storage.download_to(first.s3_key, tmp_path / "1.mp4"), tmp_path / "last.png")
    start = extract_frame(storage.download_to(second.s3_key, tmp_path / "2.mp4"), tmp_path / "s.jpg", 0, 854)
    unrelated = extract_frame(tmp_path / "1.mp4", tmp_path / "u.jpg", 0, 854)

    chained = np.abs(_pixels(start) - _pixels(last)).mean()
    assert chained < 4.0  # the same picture, through H.264 and a JPEG
    assert np.abs(_pixels(unrelated) - _pixels(last)).mean() > 4 * chained  # the measure can tell pictures apart


def test_rest_of_episode_renders_a_continuous_sequence_in_order_each_from_the_last_frame(
    db: Database, local_stack: LocalStack
) -> None:
    novela_id = make_novela(db, duration=2, resolution="480p", scenes=3).id
    _set_prompt(db, novela_id, 2, "A knock at the door.", chain=True)
    _set_prompt(db, novela_id, 3, "She opens it.", chain=True)
    targets = actions.targets_rest_of_episode(db, novela_id, 1)

    quote = actions.quote(db, local_stack.registry, targets)  # not refused: scenes 1 and 2 come in the same click
    first, second, third = run_until(local_stack.worker, db, actions.confirm(db, local_stack.registry, quote))

    assert [t.status for t in (first, second, third)] == ["completed"] * 3, [t.failure_message for t in (second, third)]
    assert (second.scene_details["chained_from"], third.scene_details["chained_from"]) == (first.id, second.id)
    assert first.completed_at <= second.submitted_at and second.completed_at <= third.submitted_at
    with db.session() as session:
        said = [e.message for e in video_repo.events(session, third.id)]
    assert "waiting for E1 S2 to finish, to start from its last frame" in said


def test_a_chained_scene_waits_only_for_a_predecessor_on_its_way(sqlite_db: Database, local_registry) -> None:
    novela_id = make_novela(sqlite_db, scenes=2).id
    video_id = _set_prompt(sqlite_db, novela_id, 2, "More rain.", chain=True)
    first = actions.targets_rest_of_episode(sqlite_db, novela_id, 1)[:1]
    with pytest.raises(actions.InvalidTake, match="turn off “Continue from the previous scene”"):
        actions.quote(sqlite_db, local_registry, [actions.Target(video_id)])

    actions.confirm(sqlite_db, local_registry, actions.quote(sqlite_db, local_registry, first))  # scene 1 on its way

    assert actions.quote(sqlite_db, local_registry, [actions.Target(video_id)]).lines  # scene 2 may now wait for it
