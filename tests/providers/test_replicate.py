"""The Replicate provider against FakeReplicateServer over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from tests.fakes.http_server import FAKE_MP4, Plan, Reply
from tests.fakes.replicate_server import FakeReplicateServer, content_policy_plan, problem, throttled
from tests.providers import CANARY, expect_error, poll_until_done
from vsl.providers.base import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderConflict,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderState,
    ProviderValidationError,
    SubmitOutcomeUnknown,
    SubmitRequest,
)
from vsl.providers.replicate import ReplicateProvider

MODELS = {
    "veo-3.1": ("google/veo-3.1", None),
    "stable-video-diffusion": ("stability-ai/stable-video-diffusion", "3f0457e4619daac51203dedb472816fd"),
    "flux-schnell": ("black-forest-labs/flux-schnell", None),
    "broken": ("no-slash-here", None),
}
VEO = SubmitRequest("veo-3.1", "video", "Isabel opens the letter.", {"duration": 8, "seed": 7}, "request-1")
SVD = SubmitRequest("stable-video-diffusion", "video", "", {"input_image": "https://x/i.png"}, "request-2")


@pytest.fixture
def server() -> Iterator[FakeReplicateServer]:
    with FakeReplicateServer(token=CANARY) as fake:
        yield fake


@pytest.fixture
def waits() -> list[float]:
    return []


def replicate(server: FakeReplicateServer, waits: list[float], **options: float) -> ReplicateProvider:
    return ReplicateProvider(
        CANARY, base_url=server.base_url, model_ref=MODELS.__getitem__, sleep=waits.append, **options
    )


@pytest.fixture
def provider(server: FakeReplicateServer, waits: list[float]) -> ReplicateProvider:
    return replicate(server, waits, read_timeout=2)


def test_an_official_model_runs_by_name_to_an_output_with_its_compute_time(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    submitted = provider.submit(VEO)

    assert submitted.state is ProviderState.QUEUED
    sent = server.requests_to("POST", "/v1/models/google/veo-3.1/predictions")[0]
    assert sent.header("Authorization") == f"Bearer {CANARY}"
    assert sent.body == {
        "input": {"duration": 8, "seed": 7, "prompt": "Isabel opens the letter.", "vsl_request_id": "request-1"}
    }

    seen = poll_until_done(provider, submitted.job_id)
    assert [s.state for s in seen] == [ProviderState.RUNNING, ProviderState.SUCCEEDED]
    done = seen[-1]
    assert done.predict_time == Decimal("42.5") and done.cost is None
    assert done.content_type == "video/mp4" and done.error_code is None
    assert requests.get(done.output_url, timeout=5).content == FAKE_MP4


def test_a_community_model_runs_by_version_without_an_empty_prompt(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    provider.submit(SVD)

    sent = server.requests_to("POST", "/v1/predictions")[0]
    assert sent.body == {
        "version": "3f0457e4619daac51203dedb472816fd",
        "input": {"input_image": "https://x/i.png", "vsl_request_id": "request-2"},
    }


def test_a_list_of_outputs_gives_the_first(server: FakeReplicateServer, provider: ReplicateProvider) -> None:
    server.plan = Plan(polls=1, output_as_list=True, content_type="image/webp")
    job_id = provider.submit(VEO).job_id

    done = provider.status(job_id)

    assert done.output_url.endswith(f"{job_id}.webp") and done.content_type == "image/webp"


@pytest.mark.parametrize(
    ("wire", "state"),
    [("aborted", ProviderState.CANCELED), ("canceled", ProviderState.CANCELED), ("rebooting", ProviderState.RUNNING)],
)
def test_statuses_map_and_unknown_ones_read_as_running(
    server: FakeReplicateServer, provider: ReplicateProvider, wire: str, state: ProviderState
) -> None:
    server.force(Reply(200, {"id": "p1", "status": wire}))

    snapshot = provider.status("p1")

    assert snapshot.state is state and snapshot.raw["status"] == wire


def test_a_flagged_prediction_is_a_content_policy_failure(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    server.plan = content_policy_plan(polls=1)
    job_id = provider.submit(VEO).job_id

    failed = provider.status(job_id)

    assert failed.state is ProviderState.FAILED and failed.error_code == "content_policy"
    assert "flagged as sensitive" in failed.error_message


@pytest.mark.parametrize(
    ("error", "code"),
    [("NSFW content detected. Try a different prompt.", "content_policy"), ("CUDA out of memory", None)],
)
def test_only_policy_errors_are_marked_as_such(
    server: FakeReplicateServer, provider: ReplicateProvider, error: str, code: str | None
) -> None:
    server.force(Reply(200, {"id": "p1", "status": "failed", "error": error}))

    failed = provider.status("p1")

    assert (failed.state, failed.error_code, failed.error_message) == (ProviderState.FAILED, code, error)


def test_throttling_on_create_waits_the_time_in_the_detail(
    server: FakeReplicateServer, provider: ReplicateProvider, waits: list[float]
) -> None:
    server.force(throttled(3), path_prefix="/v1/models/")

    provider.submit(VEO)

    assert waits == [3.0] and len(server.jobs) == 1


def test_throttling_longer_than_the_wait_cap_is_raised_with_its_delay(
    server: FakeReplicateServer, provider: ReplicateProvider, waits: list[float]
) -> None:
    server.force(throttled(30))

    error = expect_error(ProviderRateLimited, lambda: provider.submit(VEO))

    assert error.retry_after == 30.0 and waits == [] and server.jobs == []


def test_invalid_input_is_a_validation_error_with_replicates_detail(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    server.force(problem(422, "Input validation failed", "- input.duration: duration must be one of: 4, 6, 8"))

    error = expect_error(ProviderValidationError, lambda: provider.submit(VEO))

    assert "duration must be one of: 4, 6, 8" in str(error) and error.http_status == 422


def test_a_model_reference_that_is_not_owner_name_fails_before_any_call(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    broken = SubmitRequest("broken", "video", "x", {}, "request-3")

    error = expect_error(ProviderValidationError, lambda: provider.submit(broken))

    assert "no-slash-here" in str(error) and server.requests == []


def test_a_wrong_token_is_an_auth_error_naming_the_setting(server: FakeReplicateServer) -> None:
    wrong = "r8_wrong_token_canary_5e6f"
    provider = ReplicateProvider(wrong, base_url=server.base_url, model_ref=MODELS.__getitem__)

    error = expect_error(ProviderAuthError, lambda: provider.submit(VEO), secret=wrong)

    assert "REPLICATE_API_TOKEN" in str(error) and error.http_status == 401


def test_an_unknown_model_is_not_found(waits: list[float]) -> None:
    with FakeReplicateServer(token=CANARY, known_models={"google/veo-3.1"}) as server:
        provider = replicate(server, waits)
        flux = SubmitRequest("flux-schnell", "image", "A red dress.", {}, "request-4")

        error = expect_error(ProviderNotFound, lambda: provider.submit(flux))

    assert error.stage == "submit" and "black-forest-labs/flux-schnell could not be found" in str(error)


def test_a_create_timeout_is_an_unknown_outcome_and_is_never_sent_again(
    server: FakeReplicateServer, waits: list[float]
) -> None:
    provider = replicate(server, waits, read_timeout=0.2)
    server.force(Reply.delayed(1.0))

    expect_error(SubmitOutcomeUnknown, lambda: provider.submit(VEO))

    assert len(server.requests_to("POST", "/v1/models/")) == 1 and waits == []
    assert len(server.jobs) == 1  # Replicate did start it: a blind resubmit would pay twice


def test_a_5xx_burst_on_status_is_retried(
    server: FakeReplicateServer, provider: ReplicateProvider, waits: list[float]
) -> None:
    job_id = provider.submit(VEO).job_id
    server.force(Reply(500), Reply(503), path_prefix="/v1/predictions/")

    assert provider.status(job_id).state is ProviderState.RUNNING and waits == [0.5, 1.0]


def test_a_status_that_is_not_json_is_a_bad_response(server: FakeReplicateServer, provider: ReplicateProvider) -> None:
    server.force(Reply(200, "<html>Cloudflare</html>"))

    error = expect_error(ProviderBadResponse, lambda: provider.status("p1"))

    assert "Cloudflare" in str(error)


def test_cancel_stops_a_running_prediction(server: FakeReplicateServer, provider: ReplicateProvider) -> None:
    job_id = provider.submit(VEO).job_id

    assert provider.cancel(job_id).state is ProviderState.CANCELED
    assert server.job(job_id).state == "canceled"


def test_cancelling_a_finished_prediction_returns_it_unchanged(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    server.plan = Plan(polls=1)
    job_id = provider.submit(VEO).job_id
    provider.status(job_id)

    assert provider.cancel(job_id).state is ProviderState.SUCCEEDED


def test_a_409_on_cancel_is_a_conflict(server: FakeReplicateServer, provider: ReplicateProvider) -> None:
    server.force(problem(409, "Conflict", "Prediction is already complete."))

    error = expect_error(ProviderConflict, lambda: provider.cancel("p1"))

    assert error.stage == "cancel" and "already complete" in str(error)


def test_the_token_never_leaks_even_when_the_api_echoes_it(
    server: FakeReplicateServer, provider: ReplicateProvider
) -> None:
    echo = f"Invalid token {CANARY}"
    server.force(problem(401, "Unauthenticated", echo), problem(502, "Bad gateway", echo))
    server.force(*[Reply(429, echo)] * 4)

    for kind, call in [
        (ProviderAuthError, lambda: provider.submit(VEO)),
        (SubmitOutcomeUnknown, lambda: provider.submit(VEO)),
        (ProviderRateLimited, lambda: provider.status("p1")),
    ]:
        expect_error(kind, call)

    server.force(Reply(200, {"id": "p1", "status": "failed", "error": echo, "logs": echo}))
    assert CANARY not in repr(provider.status("p1"))
