"""speech-02-hd recordings of the dialogue through the one spend path (quote → confirm → worker → storage →
library), against the fake Replicate and Lambda servers; the assembled episode then speaks with them."""

from __future__ import annotations

import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from tests.fakes.http_server import Plan
from tests.fakes.lambda_server import FakeLambdaServer
from tests.fakes.replicate_server import FakeReplicateServer
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_local import FAST, LocalStack, media_rows, novela, run_until
from vsl.catalog import audio_cost
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.jobs import actions
from vsl.jobs.assembly import assemble_episode
from vsl.jobs.worker import Worker
from vsl.media.ffmpeg import ffmpeg_exe, probe
from vsl.providers.registry import ProviderRegistry
from vsl.sound.dialogue import DialogueLine, with_lines
from vsl.sound.speech_jobs import SpeechUnavailable, plan_speech, recordings
from vsl.storage.local import LocalStorage

TOKEN = "r8_test_token_0123456789"
LINES = {
    1: [DialogueLine("Isabel", "The letter came tonight."), DialogueLine("Rafael", "Burn it.", "angry")],
    2: [DialogueLine("Isabel", "Never.")],
}
RECORDING_S = 1.5


@cache
def mp3() -> bytes:
    """A real 1.5 s MP3 (a tone), what speech-02-hd's output file is."""
    with tempfile.TemporaryDirectory(prefix="vsl-fake-speech-") as tmp:
        out = Path(tmp) / "line.mp3"
        tone = ["-f", "lavfi", "-i", f"sine=frequency=330:duration={RECORDING_S}"]
        subprocess.run([ffmpeg_exe(), "-v", "error", *tone, "-c:a", "libmp3lame", str(out)], check=True)
        return out.read_bytes()


def _novela_with_lines(db: Database) -> int:
    novela_id = make_novela(db, scenes=2, duration=2, budget=Decimal("5")).id
    with db.write() as session:
        for take in session.query(NovelaVideo).filter_by(novela_id=novela_id):
            take.scene_details = with_lines(take.scene_details, LINES[take.scene_number])
    return novela_id


def _stack(stack: ExitStack, db: Database, tmp_path: Path, **env: str) -> tuple[ProviderRegistry, Worker]:
    registry = ProviderRegistry(job_settings(tmp_path, **env))
    stack.callback(registry.close)
    worker = Worker(db, registry, LocalStorage(tmp_path / "media"), FAST)
    stack.callback(worker.close)
    return registry, worker


def _spend(db: Database, registry: ProviderRegistry, worker: Worker, ids: list[int]) -> list[NovelaVideo]:
    """What one click on the confirmation does, run to the end by the worker."""
    quote = actions.quote(db, registry, [actions.Target(i) for i in ids])
    return run_until(worker, db, actions.confirm(db, registry, quote))


SPOKEN = Plan(polls=1, output=b"", content_type="audio/mpeg")  # output: the MP3 of `mp3()`, set by `_replicate`


def _replicate(
    stack: ExitStack, db: Database, tmp_path: Path, plan: Plan
) -> tuple[FakeReplicateServer, ProviderRegistry, Worker]:
    """The fake Replicate answering with `plan` (a real MP3 when the plan names none), a registry and a worker."""
    plan = replace(plan, output=plan.output or mp3())
    fake = stack.enter_context(FakeReplicateServer(token=TOKEN, plan=plan))
    registry, worker = _stack(stack, db, tmp_path, REPLICATE_API_TOKEN=TOKEN, REPLICATE_BASE_URL=fake.base_url)
    return fake, registry, worker


def _expected_price(*lines: str) -> Decimal:
    return sum((audio_cost("speech-02-hd", len(text)) for text in lines), Decimal(0))


def test_replicate_records_each_line_once_priced_per_character(sqlite_db: Database, tmp_path: Path) -> None:
    with ExitStack() as stack:
        fake, registry, worker = _replicate(stack, sqlite_db, tmp_path, SPOKEN)
        novela_id = _novela_with_lines(sqlite_db)

        ids = plan_speech(sqlite_db, novela_id, 1)
        quote = actions.quote(sqlite_db, registry, [actions.Target(i) for i in ids])
        assert len(ids) == 3
        assert quote.total == _expected_price("The letter came tonight.", "Burn it.", "Never.") == Decimal("0.0038")
        assert [line.label for line in quote.lines] == [
            "E1 S1 line of Isabel",
            "E1 S1 line of Rafael",
            "E1 S2 line of Isabel",
        ]

        rows = run_until(worker, sqlite_db, actions.confirm(sqlite_db, registry, quote))

        assert [r.status for r in rows] == ["completed"] * 3, [r.failure_message for r in rows]
        sent = fake.requests_to("POST", "/v1/models/minimax/speech-02-hd/predictions")
        inputs = {s.body["input"]["text"]: s.body["input"] for s in sent}  # the worker sends them concurrently
        assert sorted(inputs) == ["Burn it.", "Never.", "The letter came tonight."] and len(sent) == 3
        assert all("prompt" not in i for i in inputs.values())  # the model takes no prompt: its text is the input
        assert inputs["Burn it."]["emotion"] == "angry"
        assert sum((r.actual_cost for r in rows), Decimal(0)) == quote.total
        assert novela(sqlite_db, novela_id).created_videos == 0  # recordings are not scenes
        library = [m for m in media_rows(sqlite_db, novela_id) if m.media_type == "audio"]
        assert len(library) == 3 and all(m.s3_key.startswith("audio/") and m.thumbnail_key for m in library)
        assert float(library[0].duration_seconds) == pytest.approx(RECORDING_S, abs=0.1)

        with pytest.raises(actions.NothingToDo):  # the same click spends once
            actions.quote(sqlite_db, registry, [actions.Target(i) for i in ids])
        assert plan_speech(sqlite_db, novela_id, 1) == []  # recorded lines are never paid for again
        assert len(recordings(sqlite_db, novela_id)) == 3


def test_a_changed_line_is_recorded_again_and_only_that(sqlite_db: Database, tmp_path: Path) -> None:
    with ExitStack() as stack:
        _, registry, worker = _replicate(stack, sqlite_db, tmp_path, SPOKEN)
        novela_id = _novela_with_lines(sqlite_db)
        first = plan_speech(sqlite_db, novela_id, 1)
        _spend(sqlite_db, registry, worker, first)
        with sqlite_db.write() as session:
            take = session.query(NovelaVideo).filter_by(novela_id=novela_id, scene_number=2).one()
            take.scene_details = with_lines(take.scene_details, [DialogueLine("Isabel", "Never again.")])

        again = plan_speech(sqlite_db, novela_id, 1)

        quote = actions.quote(sqlite_db, registry, [actions.Target(i) for i in again])
        assert len(again) == 1 and quote.total == _expected_price("Never again.")


def test_a_provider_answer_that_is_not_sound_fails_the_line_with_the_reason(
    sqlite_db: Database, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        page = Plan(polls=1, output=b"<html>Not found</html>", content_type="text/html")
        _, registry, worker = _replicate(stack, sqlite_db, tmp_path, page)
        novela_id = _novela_with_lines(sqlite_db)
        ids = plan_speech(sqlite_db, novela_id, 1)[:1]

        (row,) = _spend(sqlite_db, registry, worker, ids)

        assert row.status == "failed"
        assert row.failure_stage == "download" and "sound" in row.failure_message
        assert novela(sqlite_db, novela_id).reserved_cost == 0


def test_lambda_gets_media_type_audio_and_the_episode_speaks_with_the_recordings(
    sqlite_db: Database, tmp_path: Path, sqlite_stack: LocalStack
) -> None:
    novela_id = _novela_with_lines(sqlite_db)
    scenes = [t.video_id for t in actions.targets_rest_of_episode(sqlite_db, novela_id, 1)]
    _spend(sqlite_db, sqlite_stack.registry, sqlite_stack.worker, scenes)  # the scenes, rendered offline
    with ExitStack() as stack:
        answer = Plan(polls=1, output=mp3(), content_type="audio/mpeg", cost="0.0024")
        fake = stack.enter_context(FakeLambdaServer(plan=answer))
        registry, worker = _stack(stack, sqlite_db, tmp_path, LAMBDA_API_URL=fake.base_url)
        ids = plan_speech(sqlite_db, novela_id, 1)
        _spend(sqlite_db, registry, worker, ids)
        sent = fake.requests_to("POST", "/homolog/generate")
        assert {(s.body["mediaType"], s.body["modelId"]) for s in sent} == {("audio", "speech-02-hd")}
        assert sorted(s.body["parameters"]["text"] for s in sent) == ["Burn it.", "Never.", "The letter came tonight."]

    item = assemble_episode(sqlite_db, sqlite_stack.storage, novela_id, 1)

    assert "Voices: speech-02-hd" in item.description and "stand-in" not in item.description
    cut = sqlite_stack.storage.download_to(item.s3_key, tmp_path / "cut.mp4")
    assert probe(cut).has_audio


def test_an_episode_without_lines_has_nothing_to_record(sqlite_db: Database) -> None:
    novela_id = make_novela(sqlite_db, scenes=1).id

    with pytest.raises(SpeechUnavailable, match="no dialogue lines"):
        plan_speech(sqlite_db, novela_id, 1)


def test_a_line_whose_job_may_have_been_charged_is_not_planned_again(sqlite_db: Database) -> None:
    novela_id = _novela_with_lines(sqlite_db)
    first = plan_speech(sqlite_db, novela_id, 1)
    with sqlite_db.write() as session:
        session.get(NovelaVideo, first[0]).status = "needs_attention"  # the outcome of its submit is not known
        session.get(NovelaVideo, first[1]).status = "failed"  # nothing was charged: it may be asked again

    again = plan_speech(sqlite_db, novela_id, 1)

    assert first[0] not in again and len(again) == 2 and first[2] in again
