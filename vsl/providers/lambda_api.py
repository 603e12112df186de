"""The VSL Lambda API client: every wire detail of the contract in `vsl-lambda-api.md` lives in this module.

`POST {base}/generate` carries `Idempotency-Key: <client_request_id>`, so asking again with the same key within
24 hours returns the same job and charges nothing new: that is how a submit of unknown outcome is recovered
(`SubmitRecovery.SAME_ID`, docs/adr/0001-submit-recovery.md). Outputs are already in our S3
bucket (`output.s3Key`): the snapshot references them rather than asking for a copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from vsl.providers.base import JobSnapshot, ProviderState, SubmitRecovery, SubmitRequest
from vsl.providers.http import (
    CANCEL,
    STATUS,
    SUBMIT,
    JsonApi,
    RetryPolicy,
    as_dict,
    decimal_or_none,
    state_from,
    text_or_none,
)

NAME = "lambda"
SOURCE = "vsl-studio"
IDEMPOTENCY_WINDOW_S = 24 * 3600.0  # the contract: the same clientRequestId returns the same jobId for 24 hours
_STATES = {
    "pending": ProviderState.QUEUED,
    "processing": ProviderState.RUNNING,
    "completed": ProviderState.SUCCEEDED,
    "failed": ProviderState.FAILED,
    "canceled": ProviderState.CANCELED,
}


class LambdaApiProvider:
    name = NAME
    submit_recovery = SubmitRecovery.SAME_ID
    resubmit_window_s = IDEMPOTENCY_WINDOW_S

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        session: requests.Session | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 35,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        max_wait_s: float = 20,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api = JsonApi(
            NAME,
            base_url,
            headers={"x-api-key": api_key} if api_key else {},
            secrets=[api_key],
            credential="LAMBDA_API_KEY",
            policy=RetryPolicy(connect_timeout, read_timeout, max_retries, backoff_s, max_wait_s),
            session=session,
            sleep=sleep,
        )

    def submit(self, request: SubmitRequest) -> JobSnapshot:
        data = self._api.submit(
            "/generate", generate_body(request), headers={"Idempotency-Key": request.client_request_id}
        )
        job_id = text_or_none(data.get("jobId"))
        if job_id is None:
            raise self._api.bad_answer(SUBMIT, "the answer has no jobId", body=data)
        state = state_from(data.get("status") or "pending", _STATES, NAME, job_id)
        return JobSnapshot(job_id=job_id, state=state, raw=data)

    def find_submission(self, client_request_id: str) -> JobSnapshot | None:
        """None: the API has no lookup by request id; within its window, resubmitting the same request is the
        lookup (the worker does that for SAME_ID providers, with the whole request, which this call lacks)."""
        return None

    def status(self, job_id: str) -> JobSnapshot:
        return _snapshot(job_id, self._api.get(STATUS, f"/status/{quote(job_id, safe='')}"))

    def cancel(self, job_id: str) -> JobSnapshot:
        return _snapshot(job_id, self._api.post(CANCEL, f"/cancel/{quote(job_id, safe='')}"))


def generate_body(request: SubmitRequest) -> dict[str, Any]:
    """The generateMedia body; `metadata["lambda_model_id"]` names the backend's model when it differs."""
    meta = request.metadata
    return {
        "modelId": meta.get("lambda_model_id") or request.model_id,
        "mediaType": request.media_type,
        "prompt": request.prompt,
        "parameters": request.params,
        "metadata": {
            "source": SOURCE,
            "novelaId": meta.get("novelaId"),
            "videoId": meta.get("videoId"),
            "clientRequestId": request.client_request_id,
        },
    }


def _snapshot(job_id: str, data: dict[str, Any]) -> JobSnapshot:
    """A getStatus (or cancel) answer; every field but `status` may be missing or null."""
    output, error = as_dict(data.get("output")), data.get("error")
    error_fields = as_dict(error) if not isinstance(error, str) else {"message": error}
    job_id = text_or_none(data.get("jobId")) or job_id
    return JobSnapshot(
        job_id=job_id,
        state=state_from(data.get("status"), _STATES, NAME, job_id),
        progress=_progress(data.get("progress")),
        output_url=text_or_none(output.get("url")),
        output_key=text_or_none(output.get("s3Key")),
        content_type=text_or_none(output.get("contentType")),
        duration_seconds=decimal_or_none(output.get("durationSeconds")),
        cost=decimal_or_none(data.get("cost")),
        predict_time=decimal_or_none(as_dict(data.get("metrics")).get("predictTime")),
        error_code=text_or_none(error_fields.get("code")),
        error_message=text_or_none(error_fields.get("message")),
        raw=data,
    )


def _progress(value: Any) -> int | None:
    number = decimal_or_none(value)
    return None if number is None else int(min(max(number, 0), 100))
