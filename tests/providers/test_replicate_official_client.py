"""The official `replicate` Python client (pinned in requirements-dev.txt, for the tests only) accepts every
answer of FakeReplicateServer: create by model, create by version, get, cancel and the paged list. Its models
are pydantic, so a field of the wrong type or a missing one (`"model": null` on a create by version, as the fake
once answered) fails here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import replicate
from replicate.exceptions import ReplicateError

from tests.fakes.http_server import Plan
from tests.fakes.replicate_server import SVD, FakeReplicateServer
from tests.providers import CANARY


@pytest.fixture
def fake() -> Iterator[FakeReplicateServer]:
    with FakeReplicateServer(token=CANARY, plan=Plan(polls=2), page_size=2) as server:
        yield server


@pytest.fixture
def client(fake: FakeReplicateServer) -> replicate.Client:
    return replicate.Client(api_token=CANARY, base_url=fake.url)  # the host: the client adds /v1


def test_create_by_model_get_and_the_finished_prediction(client: replicate.Client) -> None:
    created = client.models.predictions.create(model="google/veo-3.1", input={"prompt": "Isabel", "duration": 8})
    assert (created.model, created.version, created.status) == ("google/veo-3.1", "hidden", "starting")

    client.predictions.get(created.id)
    done = client.predictions.get(created.id)
    assert done.status == "succeeded" and done.output.endswith(".mp4")
    assert done.metrics["predict_time"] == 42.5 and done.urls["web"].endswith(created.id)


def test_create_by_version_names_the_model(client: replicate.Client) -> None:
    created = client.predictions.create(version=SVD[0], input={"input_image": "https://x/i.png"})
    assert (created.model, created.version) == ("stability-ai/stable-video-diffusion", SVD[0])


def test_cancel_and_a_failed_run(client: replicate.Client, fake: FakeReplicateServer) -> None:
    fake.plan = Plan(polls=None)
    running = client.models.predictions.create(model="google/veo-3.1", input={"prompt": "x"})
    client.predictions.get(running.id)  # now processing
    client.predictions.cancel(running.id)
    canceled = client.predictions.get(running.id)
    assert canceled.status == "canceled" and canceled.metrics["predict_time"] == 42.5

    fake.plan = Plan(polls=2, outcome="failed")
    failed = client.models.predictions.create(model="google/veo-3.1", input={"prompt": "x"})
    client.predictions.get(failed.id)
    assert client.predictions.get(failed.id).error == fake.job(failed.id).plan.error_message


def test_the_list_pages_by_next_to_the_end(client: replicate.Client, fake: FakeReplicateServer) -> None:
    ids = [client.models.predictions.create(model="google/veo-3.1", input={"n": n}).id for n in range(5)]
    fake.remove_data(ids[0])  # an hour old: data removed

    seen, page = [], client.predictions.list()
    while True:
        seen += [p.id for p in page.results]
        if not page.next:
            break
        page = client.predictions.list(cursor=page.next)

    assert seen == ids[::-1]  # newest first, every one once
    assert page.previous is not None


def test_the_clients_errors_read_replicates_problem_documents(fake: FakeReplicateServer) -> None:
    wrong = replicate.Client(api_token="r8_wrong", base_url=fake.url)
    with pytest.raises(ReplicateError) as refused:
        wrong.predictions.get("pred00001")
    assert refused.value.status == 401 and refused.value.title == "Unauthenticated"
