"""Replicate's batch status (`status_many` over `GET /v1/predictions`) against FakeReplicateServer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.http_server import Plan, Reply
from tests.fakes.replicate_server import FakeReplicateServer
from tests.providers import CANARY
from vsl.providers.base import ProviderBadResponse, ProviderState, SubmitRequest, supports_status_many
from vsl.providers.replicate import ReplicateProvider

LIST = "/v1/predictions"


@pytest.fixture
def server() -> Iterator[FakeReplicateServer]:
    with FakeReplicateServer(token=CANARY, plan=Plan(polls=None)) as fake:
        yield fake


@pytest.fixture
def provider(server: FakeReplicateServer) -> ReplicateProvider:
    return ReplicateProvider(CANARY, base_url=server.base_url, model_ref=lambda _: ("google/veo-3.1", None))


def create(provider: ReplicateProvider, count: int) -> list[str]:
    """`count` predictions, oldest first."""
    return [
        provider.submit(SubmitRequest("veo-3.1", "video", f"Scene {n}.", {}, f"request-{n}")).job_id
        for n in range(count)
    ]


def list_requests(server: FakeReplicateServer) -> list[str]:
    return [r.path for r in server.requests_to("GET", LIST) if r.path.partition("?")[0] == LIST]


def test_the_provider_declares_the_capability(provider: ReplicateProvider) -> None:
    assert supports_status_many(provider) and provider.status_page_size == 100


def test_many_predictions_are_read_a_page_of_100_at_a_time_until_all_are_found(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    ids = create(provider, 250)
    oldest = ids[:120]  # newest first: these are on the 2nd and 3rd page

    found = provider.status_many(oldest, max_pages=5)

    assert set(found) == set(oldest)
    assert {snap.state for snap in found.values()} == {ProviderState.RUNNING}  # listing counts as a poll
    assert list_requests(server) == [LIST, f"{LIST}?cursor=100", f"{LIST}?cursor=200"]
    assert server.requests_to("GET", f"{LIST}/") == []  # no request per prediction


def test_the_newest_page_alone_answers_for_recent_predictions(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    ids = create(provider, 150)

    assert set(provider.status_many(ids[-30:], max_pages=3)) == set(ids[-30:])
    assert len(list_requests(server)) == 1


def test_a_prediction_not_in_the_list_is_left_out_within_max_pages(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    ids = create(provider, 250)

    found = provider.status_many([ids[0], "pred-not-there"], max_pages=2)

    assert found == {}  # the oldest is on page 3, beyond the two pages allowed
    assert len(list_requests(server)) == 2


def test_a_next_url_elsewhere_is_followed_only_by_its_query_on_the_configured_api(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    ids = create(provider, 150)
    page = {"next": "https://elsewhere.example/v1/predictions?cursor=100", "previous": None, "results": []}
    server.force(Reply(200, page), path_prefix=LIST)

    found = provider.status_many(ids[:10], max_pages=3)

    assert set(found) == set(ids[:10])
    assert list_requests(server) == [LIST, f"{LIST}?cursor=100"]  # the token never left for elsewhere


def test_a_malformed_page_is_a_bad_answer_so_the_poller_asks_one_by_one(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    ids = create(provider, 3)
    server.force(Reply(200, {"results": "not a list", "next": None}), path_prefix=LIST)

    with pytest.raises(ProviderBadResponse, match="the list has no results"):
        provider.status_many(ids, max_pages=3)
