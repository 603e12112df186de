"""Portraits and candidates through the one spend path: quote → confirm → worker → storage → library → asset."""

from __future__ import annotations

from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

from PIL import Image

from tests.cast.conftest import add_cast, png
from tests.fakes.http_server import Plan
from tests.fakes.lambda_server import FakeLambdaServer
from tests.fakes.replicate_server import FakeReplicateServer
from tests.jobs.conftest import job_settings, make_novela
from tests.jobs.test_pipeline_local import FAST, LocalStack, media_rows, novela, run_until, status_path
from vsl.cast import images, repo
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.jobs.worker import Worker
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage

TOKEN = "r8_test_token_0123456789"


def _images_of(db: Database, asset_id: int) -> list:
    with db.session() as session:
        return repo.images(session, [asset_id])[asset_id]


def test_local_candidates_render_labelled_stand_ins_and_the_first_becomes_the_reference(
    db: Database, local_stack: LocalStack, tmp_path: Path
) -> None:
    created = make_novela(db, scenes=1)
    asset_id = add_cast(db, created.id, "Isabel")["Isabel"]
    ids = images.plan_portraits(db, asset_id, "flux-schnell", count=2)
    quote = actions.quote(db, local_stack.registry, [actions.Target(i) for i in ids])
    assert [line.label for line in quote.lines] == ["Portrait of Isabel"] * 2 and quote.total == 0

    rows = run_until(local_stack.worker, db, actions.confirm(db, local_stack.registry, quote))

    assert [r.status for r in rows] == ["completed", "completed"], [r.failure_message for r in rows]
    assert status_path(db, rows[0].id)[1:4] == ["planned", "reserved", "submitting"]
    pictures = _images_of(db, asset_id)
    assert sorted(i.video_id for i in pictures) == sorted(ids)
    assert [i.chosen for i in pictures].count(True) == 1
    for row in rows:
        with Image.open(local_stack.storage.download_to(row.s3_key, tmp_path / "p.png")) as still:
            assert (still.format, still.size) == ("PNG", (512, 512))
    assert {(m.media_type, m.video_id) for m in media_rows(db, created.id)} == {("image", i) for i in ids}
    assert novela(db, created.id).created_videos == 0  # portraits are not scenes
    with db.session() as session:
        assert video_repo.planned_episodes(session, created.id) == [1]


def test_replicate_runs_the_official_image_endpoint_and_bills_per_image(sqlite_db: Database, tmp_path: Path) -> None:
    with ExitStack() as stack:
        fake = stack.enter_context(
            FakeReplicateServer(token=TOKEN, plan=Plan(polls=1, output=png(), content_type="image/png"))
        )
        settings = job_settings(tmp_path, REPLICATE_API_TOKEN=TOKEN, REPLICATE_BASE_URL=fake.base_url)
        registry = ProviderRegistry(settings)
        stack.callback(registry.close)
        worker = Worker(sqlite_db, registry, LocalStorage(tmp_path / "media"), FAST)
        stack.callback(worker.close)
        created = make_novela(sqlite_db, scenes=1, budget=Decimal("1"))
        asset_id = add_cast(sqlite_db, created.id, "Isabel")["Isabel"]
        ids = images.plan_portraits(sqlite_db, asset_id, "flux-1.1-pro", count=1)
        quote = actions.quote(sqlite_db, registry, [actions.Target(i) for i in ids])
        assert quote.total == Decimal("0.04")

        (row,) = run_until(worker, sqlite_db, actions.confirm(sqlite_db, registry, quote))

        assert row.status == "completed" and row.actual_cost == Decimal("0.04")
        (sent,) = fake.requests_to("POST", "/v1/models/black-forest-labs/flux-1.1-pro/predictions")
        assert "Isabel (Isabel look: grey coat, age 40)" not in sent.body["input"]["prompt"]
        assert "Isabel, Isabel look: grey coat, age 40" in sent.body["input"]["prompt"]
        assert sent.body["input"]["aspect_ratio"] == "1:1"
        stored = novela(sqlite_db, created.id)
        assert (stored.total_cost, stored.reserved_cost) == (Decimal("0.04"), 0)
        assert [i.ref for i in _images_of(sqlite_db, asset_id)] == [f"media:{row.s3_key}"]


def test_lambda_gets_media_type_image_on_generate(sqlite_db: Database, tmp_path: Path) -> None:
    with ExitStack() as stack:
        fake = stack.enter_context(
            FakeLambdaServer(plan=Plan(polls=1, output=png(), content_type="image/png", cost="0.003"))
        )
        registry = ProviderRegistry(job_settings(tmp_path, LAMBDA_API_URL=fake.base_url))
        stack.callback(registry.close)
        worker = Worker(sqlite_db, registry, LocalStorage(tmp_path / "media"), FAST)
        stack.callback(worker.close)
        created = make_novela(sqlite_db, scenes=1)
        asset_id = add_cast(sqlite_db, created.id, "Casa")["Casa"]
        ids = images.plan_portraits(sqlite_db, asset_id, "flux-schnell", count=1)
        quote = actions.quote(sqlite_db, registry, [actions.Target(i) for i in ids])

        (row,) = run_until(worker, sqlite_db, actions.confirm(sqlite_db, registry, quote))

        assert row.status == "completed", row.failure_message
        (sent,) = fake.requests_to("POST", "/homolog/generate")
        assert (sent.body["mediaType"], sent.body["modelId"]) == ("image", "flux-schnell")
        assert sent.body["parameters"]["num_outputs"] == 1
        assert row.actual_cost == Decimal("0.003")


def test_an_image_job_canceled_before_submission_releases_its_reservation(db: Database, paid_registry) -> None:
    created = make_novela(db, scenes=1, budget=Decimal("1"))
    asset_id = add_cast(db, created.id, "Isabel")["Isabel"]
    ids = images.plan_portraits(db, asset_id, "ideogram-v3-quality", count=1)
    quote = actions.quote(db, paid_registry, [actions.Target(i) for i in ids])
    confirmed = actions.confirm(db, paid_registry, quote)
    assert actions.confirm(db, paid_registry, quote) == confirmed  # the same click reserves once
    assert novela(db, created.id).reserved_cost == Decimal("0.09")

    assert "reservation went back" in actions.cancel(db, paid_registry, confirmed[0])
    assert novela(db, created.id).reserved_cost == 0
