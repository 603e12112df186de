"""Replicate as it really answers (issue 11), the ReplicateProvider against FakeReplicateServer over real HTTP:
the base URL given as the host or with /v1, the file API's token sent to the API host only, outputs removed
after an hour, the GPU-time cost of failed and canceled runs, `aborted`, `urls.web`, and reconciling a
submission of unknown outcome through `GET /v1/predictions`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.http_server import CANCELED, FAILED, FAKE_MP4, FakeHttpServer, Plan, RecordedRequest, Reply
from tests.fakes.replicate_server import SVD, FakeReplicateServer
from tests.providers import CANARY, poll_until_done
from vsl.providers.base import ProviderState, SubmitOutcomeUnknown, SubmitRecovery, SubmitRequest
from vsl.providers.replicate import REMOVED, ReplicateProvider, api_root
from vsl.storage.base import StorageError
from vsl.storage.fetch import download

MODELS = {"veo-3.1": ("google/veo-3.1", None), "stable-video-diffusion": (SVD[1], SVD[0])}
VEO = SubmitRequest("veo-3.1", "video", "Isabel opens the letter.", {"duration": 8}, "req-veo")
SVD_TAKE = SubmitRequest("stable-video-diffusion", "video", "", {"input_image": "https://x/i.png"}, "req-svd")
SVD_GPU_RATE = Decimal("0.0014")  # the catalog's USD per GPU second


class Cdn(FakeHttpServer):
    """Another host serving output files (like replicate.delivery): records what it was sent."""

    def route(self, request: RecordedRequest) -> Reply:
        return Reply(200, FAKE_MP4, {"Content-Type": "video/mp4"})


def provider_for(fake: FakeReplicateServer, base_url: str | None = None) -> ReplicateProvider:
    return ReplicateProvider(
        CANARY, base_url=base_url or fake.base_url, model_ref=MODELS.__getitem__, sleep=lambda _s: None
    )


@pytest.fixture
def fake() -> Iterator[FakeReplicateServer]:
    with FakeReplicateServer(token=CANARY) as server:
        yield server


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_the_base_url_works_as_the_host_or_with_v1(fake: FakeReplicateServer, suffix: str) -> None:
    provider = provider_for(fake, fake.url + suffix)
    job = provider.submit(VEO)
    assert provider.status(job.job_id).job_id == job.job_id
    assert [r.path for r in fake.requests] == ["/v1/models/google/veo-3.1/predictions", f"/v1/predictions/{job.job_id}"]


def test_api_root_of_the_official_default() -> None:
    assert (
        api_root("https://api.replicate.com")
        == api_root("https://api.replicate.com/v1/")
        == ("https://api.replicate.com/v1")
    )


def test_a_create_by_version_answers_with_the_models_name(fake: FakeReplicateServer) -> None:
    job = provider_for(fake).submit(SVD_TAKE)
    assert job.raw["model"] == "stability-ai/stable-video-diffusion" and job.raw["version"] == SVD[0]


def test_the_file_apis_token_goes_to_the_api_host_and_nowhere_else(tmp_path: Path) -> None:
    with Cdn() as cdn, FakeReplicateServer(token=CANARY, files_need_auth=True, plan=Plan(polls=1)) as fake:
        provider = provider_for(fake)
        done = poll_until_done(provider, provider.submit(VEO).job_id)[-1]
        assert done.output_url.startswith(fake.url + "/files/")
        assert done.output_headers == {"Authorization": f"Bearer {CANARY}"}
        assert download(done.output_url, tmp_path / "a.mp4", headers=done.output_headers) == len(FAKE_MP4)
        with pytest.raises(StorageError, match="HTTP 401"):  # without the token the file API refuses
            download(done.output_url, tmp_path / "b.mp4")

        # an output on another host (a CDN) gets no token
        elsewhere = provider._snapshot("p1", {**done.raw, "output": f"{cdn.url}/files/x.mp4"})
        assert elsewhere.output_headers == {}
        # a look-alike host does not either
        assert provider._file_headers(fake.url.replace("127.0.0.1", "localhost") + "/files/x.mp4") == {}

        # the file API redirecting to another host: requests drops the token on the way
        fake.files_redirect_to = cdn.url
        download(done.output_url, tmp_path / "c.mp4", headers=done.output_headers)
        (at_cdn,) = cdn.requests
        assert at_cdn.header("Authorization") is None and at_cdn.path == f"/files/{done.job_id}.mp4"


def test_an_output_removed_after_the_hour_is_named_so(fake: FakeReplicateServer) -> None:
    provider = provider_for(fake)
    job_id = poll_until_done(provider, provider.submit(VEO).job_id)[-1].job_id
    fake.remove_data(job_id)

    removed = provider.status(job_id)
    assert removed.state is ProviderState.SUCCEEDED and removed.output_url is None
    assert removed.error_message == REMOVED == "the provider removed the output (Replicate keeps API outputs one hour)"
    assert removed.raw["data_removed"] is True and removed.raw["input"] == {}


def test_a_model_that_gave_nothing_is_not_called_removed(fake: FakeReplicateServer) -> None:
    provider = provider_for(fake)
    done = poll_until_done(provider, provider.submit(VEO).job_id)[-1]
    nothing = provider._snapshot(done.job_id, {**done.raw, "output": None, "data_removed": False})
    assert nothing.error_message is None


@pytest.mark.parametrize("outcome", [FAILED, CANCELED])
def test_failed_and_canceled_gpu_runs_carry_their_actual_cost(outcome: str) -> None:
    with FakeReplicateServer(token=CANARY, plan=Plan(polls=2, outcome=outcome, predict_time=12.5)) as fake:
        provider = provider_for(fake)
        job_id = provider.submit(SVD_TAKE).job_id
        seen = poll_until_done(provider, job_id)
    assert seen[-1].state.value == outcome
    assert seen[-1].predict_time == Decimal("12.5")
    assert seen[-1].cost == SVD_GPU_RATE * Decimal("12.5") == Decimal("0.01750")


def test_a_run_canceled_at_our_request_after_running_is_billed_and_one_canceled_before_is_not(
    fake: FakeReplicateServer,
) -> None:
    provider = provider_for(fake)
    queued = provider.submit(SVD_TAKE)
    assert provider.cancel(queued.job_id).cost is None  # never ran: no compute, no charge

    fake.plan = Plan(polls=None)
    running = provider.submit(replace(SVD_TAKE, client_request_id="req-2"))
    assert provider.status(running.job_id).state is ProviderState.RUNNING
    canceled = provider.cancel(running.job_id)
    assert canceled.state is ProviderState.CANCELED and canceled.cost == SVD_GPU_RATE * Decimal("42.5")


def test_per_output_models_are_not_billed_for_failures() -> None:
    with FakeReplicateServer(token=CANARY, plan=Plan(polls=2, outcome=FAILED)) as fake:
        provider = provider_for(fake)
        failed = poll_until_done(provider, provider.submit(VEO).job_id)[-1]
    assert failed.state is ProviderState.FAILED and failed.predict_time == Decimal("42.5") and failed.cost is None


def test_aborted_is_a_terminal_cancel_and_urls_web_is_kept(fake: FakeReplicateServer) -> None:
    provider = provider_for(fake)
    job = provider.submit(VEO)
    assert job.web_url == f"https://replicate.com/p/{job.job_id}"
    fake.abort(job.job_id)
    aborted = provider.status(job.job_id)
    assert aborted.raw["status"] == "aborted" and aborted.state is ProviderState.CANCELED
    assert aborted.state.terminal and aborted.cost is None


# -- reconciling a submission whose outcome is unknown ----------------------------------------------------


def test_replicate_declares_reconcile() -> None:
    assert ReplicateProvider.submit_recovery is SubmitRecovery.RECONCILE


def test_a_lost_submission_is_found_on_a_later_page_by_its_request_id() -> None:
    with FakeReplicateServer(token=CANARY, page_size=2) as fake:
        provider = provider_for(fake)
        fake.force(Reply.delayed(3), path_prefix="/v1/models/")  # the create is received, its answer lost
        slow = ReplicateProvider(CANARY, base_url=fake.url, model_ref=MODELS.__getitem__, read_timeout=0.5)
        with pytest.raises(SubmitOutcomeUnknown):
            slow.submit(VEO)
        for n in range(4):  # newer predictions push the lost one to the third page
            provider.submit(replace(SVD_TAKE, client_request_id=f"later-{n}"))

        found = provider.find_submission("req-veo")

        assert found is not None and found.raw["input"]["vsl_request_id"] == "req-veo"
        assert found.raw["model"] == "google/veo-3.1"
        pages = [r.path for r in fake.requests_to("GET", "/v1/predictions")]
        assert pages[:3] == ["/v1/predictions", "/v1/predictions?cursor=2", "/v1/predictions?cursor=4"]
        assert pages[3] == f"/v1/predictions/{found.job_id}"  # then the full prediction
        assert provider.find_submission("never-sent") is None


def test_the_search_stops_where_replicate_removed_the_data(fake: FakeReplicateServer) -> None:
    provider = provider_for(fake)
    old = provider.submit(VEO)
    fake.remove_data(old.job_id)  # older than an hour: its input (and our id) are gone
    provider.submit(replace(SVD_TAKE, client_request_id="newer"))
    assert provider.find_submission("req-veo") is None
    assert provider.find_submission("newer") is not None


def test_a_next_link_to_another_host_is_asked_of_the_configured_api(fake: FakeReplicateServer) -> None:
    page = {"next": "https://evil.example/v1/predictions?cursor=2", "previous": None, "results": []}
    fake.force(Reply(200, page), path_prefix="/v1/predictions")
    assert provider_for(fake).find_submission("req-veo") is None
    pages = [r.path for r in fake.requests_to("GET", "/v1/predictions")]
    assert pages[:2] == ["/v1/predictions", "/v1/predictions?cursor=2"]  # the token never went to evil.example
