"""The VSL Lambda API provider against FakeLambdaServer over real HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from tests.fakes.http_server import FAKE_MP4, SUCCEEDED, FakeJob, Plan, Reply
from tests.fakes.lambda_server import FakeLambdaServer, content_policy_plan
from tests.providers import CANARY, expect_error, poll_until_done
from vsl.providers.base import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderConflict,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderState,
    ProviderUnavailable,
    ProviderValidationError,
    SubmitOutcomeUnknown,
    SubmitRequest,
)
from vsl.providers.lambda_api import LambdaApiProvider

REQUEST = SubmitRequest(
    model_id="veo-3.1",
    media_type="video",
    prompt="Night, rain on the hacienda windows. ISABEL (30s, red dress) waits.",
    params={"duration": 8, "resolution": "1080p", "aspect_ratio": "16:9", "generate_audio": True, "seed": 42},
    client_request_id="6f1c2d3e-request-1",
    metadata={"novelaId": 12, "videoId": 345, "title": "La Hacienda", "lambda_model_id": "google-veo-3.1"},
)


@pytest.fixture
def server() -> Iterator[FakeLambdaServer]:
    with FakeLambdaServer(api_key=CANARY) as fake:
        yield fake


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def provider(server: FakeLambdaServer, waits: list[float]) -> LambdaApiProvider:
    return LambdaApiProvider(server.base_url, CANARY, read_timeout=2, sleep=waits.append)


def test_submit_then_polls_end_with_the_output_cost_and_duration(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    submitted = provider.submit(REQUEST)

    assert submitted.state is ProviderState.QUEUED
    sent = server.requests_to("POST", "/homolog/generate")[0]
    assert sent.header("Idempotency-Key") == REQUEST.client_request_id
    assert sent.header("x-api-key") == CANARY
    assert sent.body == {
        "modelId": "google-veo-3.1",
        "mediaType": "video",
        "prompt": REQUEST.prompt,
        "parameters": REQUEST.params,
        "metadata": {"source": "vsl-studio", "novelaId": 12, "videoId": 345, "clientRequestId": "6f1c2d3e-request-1"},
    }

    seen = poll_until_done(provider, submitted.job_id)
    assert [s.state for s in seen] == [ProviderState.RUNNING, ProviderState.SUCCEEDED]
    done = seen[-1]
    assert done.cost == Decimal("3.2") and done.duration_seconds == Decimal("8")
    assert done.predict_time == Decimal("42.5") and done.progress == 100
    assert done.content_type == "video/mp4" and done.output_key.endswith(f"{submitted.job_id}.mp4")
    assert requests.get(done.output_url, timeout=5).content == FAKE_MP4
    assert server.job(submitted.job_id).status_polls == 2


def test_model_id_is_the_catalog_id_without_a_lambda_override(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    provider.submit(SubmitRequest("veo-3.1-fast", "video", "A door opens.", {}, "request-2"))
    assert server.requests_to("POST", "/homolog/generate")[0].body["modelId"] == "veo-3.1-fast"


def test_resubmitting_the_same_request_id_returns_the_same_job(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    first, second = provider.submit(REQUEST), provider.submit(REQUEST)

    assert first.job_id == second.job_id
    assert len(server.jobs) == 1 and server.jobs[0].submissions == 2


def test_rejected_parameters_raise_a_validation_error_with_the_api_message(provider: LambdaApiProvider) -> None:
    bad = SubmitRequest("veo-3.1", "video", "x", {"duration": 5}, "request-3")

    error = expect_error(ProviderValidationError, lambda: provider.submit(bad))

    assert "duration must be one of 4, 6, 8" in str(error)
    assert (error.stage, error.http_status, error.provider) == ("submit", 400, "lambda")
    assert "ValidationError" in error.payload["body"]


def test_a_wrong_key_is_an_auth_error_naming_the_setting(server: FakeLambdaServer) -> None:
    wrong = "wrong-key-0d9e8f7a-canary"
    provider = LambdaApiProvider(server.base_url, wrong)

    error = expect_error(ProviderAuthError, lambda: provider.submit(REQUEST), secret=wrong)

    assert "LAMBDA_API_KEY" in str(error) and error.http_status == 403
    assert server.jobs == []


def test_an_unknown_job_is_not_found(provider: LambdaApiProvider) -> None:
    error = expect_error(ProviderNotFound, lambda: provider.status("job_missing"))
    assert error.stage == "status" and "job_missing" in str(error)


def test_429_on_submit_waits_the_retry_after_then_creates_the_job(
    server: FakeLambdaServer, provider: LambdaApiProvider, waits: list[float]
) -> None:
    throttled = Reply(429, {"error": "RateLimited", "message": "Slow down"}, {"Retry-After": "2"})
    server.force(throttled, throttled, path_prefix="/homolog/generate")

    submitted = provider.submit(REQUEST)

    assert waits == [2.0, 2.0]
    assert len(server.requests_to("POST", "/homolog/generate")) == 3
    assert [job.id for job in server.jobs] == [submitted.job_id]


def test_429_on_submit_stops_after_max_retries(
    server: FakeLambdaServer, provider: LambdaApiProvider, waits: list[float]
) -> None:
    server.force(*[Reply(429, {"message": "Slow down"}, {"Retry-After": "1"})] * 5, path_prefix="/homolog/generate")

    error = expect_error(ProviderRateLimited, lambda: provider.submit(REQUEST))

    assert waits == [1.0, 1.0, 1.0] and error.retry_after == 1.0 and error.retryable
    assert len(server.requests_to("POST", "/homolog/generate")) == 4 and server.jobs == []


def test_a_retry_after_beyond_the_wait_cap_is_left_to_the_caller(
    server: FakeLambdaServer, provider: LambdaApiProvider, waits: list[float]
) -> None:
    server.force(Reply(429, {"message": "Slow down"}, {"Retry-After": "120"}))

    error = expect_error(ProviderRateLimited, lambda: provider.submit(REQUEST))

    assert error.retry_after == 120.0 and waits == []


def test_a_5xx_burst_on_status_is_retried_with_backoff(
    server: FakeLambdaServer, provider: LambdaApiProvider, waits: list[float]
) -> None:
    job_id = provider.submit(REQUEST).job_id
    server.force(
        Reply(503), Reply(502, {"message": "Internal server error"}), Reply(500), path_prefix="/homolog/status"
    )

    assert provider.status(job_id).state is ProviderState.RUNNING
    assert waits == [0.5, 1.0, 2.0]


def test_a_5xx_that_lasts_makes_status_unavailable(
    server: FakeLambdaServer, provider: LambdaApiProvider, waits: list[float]
) -> None:
    server.force(*[Reply(503, {"message": "Service Unavailable"})] * 4, path_prefix="/homolog/status")

    error = expect_error(ProviderUnavailable, lambda: provider.status("job_00001"))

    assert error.retryable and error.http_status == 503 and len(waits) == 3
    assert "Service Unavailable" in str(error)


def test_a_status_timeout_is_retried(server: FakeLambdaServer, waits: list[float]) -> None:
    provider = LambdaApiProvider(server.base_url, CANARY, read_timeout=0.2, sleep=waits.append)
    job_id = provider.submit(REQUEST).job_id
    server.force(Reply.delayed(1.0), path_prefix="/homolog/status")

    snapshot = provider.status(job_id)

    assert waits == [0.5] and server.job(job_id).status_polls == 2  # the slow poll reached the server too
    assert snapshot.state is ProviderState.SUCCEEDED


def test_a_submit_timeout_is_an_unknown_outcome_that_reconciles_by_key(
    server: FakeLambdaServer, waits: list[float]
) -> None:
    provider = LambdaApiProvider(server.base_url, CANARY, read_timeout=0.2, sleep=waits.append)
    server.force(Reply.delayed(1.0), path_prefix="/homolog/generate")

    error = expect_error(SubmitOutcomeUnknown, lambda: provider.submit(REQUEST))

    assert error.stage == "submit" and "may have been created" in str(error)
    assert len(server.requests_to("POST", "/homolog/generate")) == 1 and waits == []
    created = server.jobs  # the server did accept it: the same key must find that job, not a new one
    assert provider.submit(REQUEST).job_id == created[0].id and len(server.jobs) == 1


@pytest.mark.parametrize(
    "answer",
    [Reply(502, {"message": "Internal server error"}), Reply(504), Reply(202, "<html>Gateway</html>"), Reply(200)],
    ids=["502", "504-empty", "html", "empty-2xx"],
)
def test_submit_answers_that_hide_the_outcome_are_unknown_not_retried(
    server: FakeLambdaServer, provider: LambdaApiProvider, waits: list[float], answer: Reply
) -> None:
    server.force(answer, path_prefix="/homolog/generate")

    error = expect_error(SubmitOutcomeUnknown, lambda: provider.submit(REQUEST))

    assert error.http_status == answer.status and waits == []
    assert len(server.requests_to("POST", "/homolog/generate")) == 1


def test_a_submit_answer_without_job_id_is_an_unknown_outcome(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    server.force(Reply(202, {"status": "pending"}))
    error = expect_error(SubmitOutcomeUnknown, lambda: provider.submit(REQUEST))
    assert "no jobId" in str(error)


def test_a_refused_connection_on_submit_is_unavailable_and_says_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    provider = LambdaApiProvider(f"http://127.0.0.1:{port}/homolog", CANARY)

    error = expect_error(ProviderUnavailable, lambda: provider.submit(REQUEST))

    assert "Nothing was sent" in str(error) and error.stage == "submit"


@pytest.mark.parametrize("body", ["<html><body>Bad gateway</body></html>", ""], ids=["html", "empty"])
def test_a_status_answer_that_is_not_json_is_a_bad_response_with_an_excerpt(
    server: FakeLambdaServer, provider: LambdaApiProvider, body: str
) -> None:
    server.force(Reply(200, body), path_prefix="/homolog/status")

    error = expect_error(ProviderBadResponse, lambda: provider.status("job_00001"))

    assert error.stage == "status" and error.payload["body"] == body
    assert ("Bad gateway" if body else "it was empty") in str(error)


def test_an_unknown_status_reads_as_running_and_keeps_the_raw_value(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    server.plan = Plan(polls=None, running_status="warming_up")
    job_id = provider.submit(REQUEST).job_id

    snapshot = provider.status(job_id)

    assert snapshot.state is ProviderState.RUNNING and snapshot.raw["status"] == "warming_up"


def test_missing_null_and_garbled_fields_are_tolerated(server: FakeLambdaServer, provider: LambdaApiProvider) -> None:
    garbled = {"status": "completed", "output": {"url": 5, "durationSeconds": "n/a"}, "cost": "NaN", "error": "x"}
    server.force(Reply(200, {"status": "processing"}), Reply(200, garbled), path_prefix="/homolog/status")

    sparse, odd = provider.status("job_9"), provider.status("job_9")

    assert (sparse.job_id, sparse.state, sparse.progress, sparse.cost) == ("job_9", ProviderState.RUNNING, None, None)
    assert odd.state is ProviderState.SUCCEEDED
    assert (odd.output_url, odd.duration_seconds, odd.cost, odd.error_message) == (None, None, None, "x")


def test_a_content_policy_failure_is_recognisable(server: FakeLambdaServer, provider: LambdaApiProvider) -> None:
    server.plan = content_policy_plan(polls=1)
    job_id = provider.submit(REQUEST).job_id

    failed = provider.status(job_id)

    assert failed.state is ProviderState.FAILED and failed.error_code == "content_policy"
    assert "content policy" in failed.error_message


def test_a_finished_job_keeps_answering_the_same_completion(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    server.plan = Plan(polls=1)
    job_id = provider.submit(REQUEST).job_id

    answers = [provider.status(job_id) for _ in range(3)]

    assert {(a.state, a.output_key, a.cost) for a in answers} == {
        (ProviderState.SUCCEEDED, answers[0].output_key, Decimal("3.2"))
    }
    assert [state for state, _ in server.job(job_id).history].count(SUCCEEDED) == 1


def test_cancel_stops_a_running_job(server: FakeLambdaServer, provider: LambdaApiProvider) -> None:
    job_id = provider.submit(REQUEST).job_id

    assert provider.cancel(job_id).state is ProviderState.CANCELED
    assert provider.status(job_id).state is ProviderState.CANCELED


def test_cancelling_a_finished_job_is_a_conflict(server: FakeLambdaServer, provider: LambdaApiProvider) -> None:
    server.plan = Plan(polls=1)
    job_id = provider.submit(REQUEST).job_id
    provider.status(job_id)

    error = expect_error(ProviderConflict, lambda: provider.cancel(job_id))

    assert error.stage == "cancel" and error.http_status == 409 and "already completed" in str(error)


def test_a_job_timed_to_finish_records_when_it_changed(server: FakeLambdaServer, provider: LambdaApiProvider) -> None:
    server.plan = Plan(polls=None, after_s=0.15)
    job_id = provider.submit(REQUEST).job_id
    assert provider.status(job_id).state is ProviderState.RUNNING

    time.sleep(0.2)
    done = provider.status(job_id)

    job = server.job(job_id)
    assert done.state is ProviderState.SUCCEEDED
    assert job.changed_to(SUCCEEDED) == pytest.approx(job.created_at + 0.15)


def test_on_complete_runs_once_before_the_completion_is_visible_and_the_url_expires(
    server: FakeLambdaServer, provider: LambdaApiProvider
) -> None:
    stored: dict[str, bytes] = {}

    def store(job: FakeJob) -> None:  # stands in for a put into the S3 bucket
        assert not provider.status(job.id).state.terminal  # not yet visible as completed
        stored[server.s3_key(job)] = job.plan.output

    server.plan, server.on_complete = Plan(polls=1), store
    job_id = provider.submit(REQUEST).job_id

    done, again = provider.status(job_id), provider.status(job_id)

    assert stored == {done.output_key: FAKE_MP4} and again.output_key == done.output_key
    server.expire_output(job_id)
    assert requests.get(done.output_url, timeout=5).status_code == 403


def test_the_key_never_leaks_even_when_the_api_echoes_it(server: FakeLambdaServer, provider: LambdaApiProvider) -> None:
    echo = {"error": "Unauthorized", "message": f"API key {CANARY} is not allowed"}
    server.force(Reply(401, echo), Reply(400, echo), Reply(500, f"boom {CANARY}"), Reply(200, f"<p>{CANARY}</p>"))

    for kind, call in [
        (ProviderAuthError, lambda: provider.submit(REQUEST)),
        (ProviderValidationError, lambda: provider.submit(REQUEST)),
        (SubmitOutcomeUnknown, lambda: provider.submit(REQUEST)),
        (ProviderBadResponse, lambda: provider.status("job_1")),
    ]:
        error = expect_error(kind, call)
        assert "[redacted]" in str(error.payload)

    server.force(Reply(200, {"jobId": "job_1", "status": "failed", "error": {"message": f"bad key {CANARY}"}}))
    failed = provider.status("job_1")
    assert CANARY not in repr(failed)
