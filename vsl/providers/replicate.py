"""Replicate called directly (HTTP API v1): every wire detail of it lives in this module.

Replicate has no idempotency key: a create request that timed out or got a 5xx may or may not have started a
(paid) prediction, and asking again could start a second one. So a submit of unknown outcome raises
`SubmitOutcomeUnknown` and the worker never resubmits it on its own: the job waits for a person to look (the
prediction can be found in the Replicate dashboard). Outputs are deleted by Replicate after an hour: copy them
to storage as soon as a prediction succeeds.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote, urlparse

import requests

from vsl.providers.base import JobSnapshot, ProviderState, ProviderValidationError, SubmitRequest
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

NAME = "replicate"
DEFAULT_BASE_URL = "https://api.replicate.com/v1"
CONTENT_POLICY = "content_policy"
_CONTENT_POLICY_TEXT = re.compile(r"flagged as sensitive|nsfw|content polic|safety (?:check|filter)", re.I)
_STATES = {
    "starting": ProviderState.QUEUED,
    "processing": ProviderState.RUNNING,
    "succeeded": ProviderState.SUCCEEDED,
    "failed": ProviderState.FAILED,
    "canceled": ProviderState.CANCELED,
    "aborted": ProviderState.CANCELED,
}

ModelRef = Callable[[str], tuple[str, str | None]]  # catalog id -> ("owner/name", version hash or None)


class ReplicateProvider:
    name = NAME

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model_ref: ModelRef,
        session: requests.Session | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 35,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        max_wait_s: float = 20,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._model_ref = model_ref
        self._api = JsonApi(
            NAME,
            base_url,
            headers={"Authorization": f"Bearer {token}"},
            secrets=[token],
            credential="REPLICATE_API_TOKEN",
            policy=RetryPolicy(connect_timeout, read_timeout, max_retries, backoff_s, max_wait_s),
            session=session,
            sleep=sleep,
        )

    def submit(self, request: SubmitRequest) -> JobSnapshot:
        """Create a prediction: official models by name, community models by version hash."""
        model, version = self._model_ref(request.model_id)
        owner, _, model_name = model.partition("/")
        if not owner or not model_name or "/" in model_name:
            message = f"Model reference {model!r} of {request.model_id} is not owner/name: fix the catalog."
            raise ProviderValidationError(
                message, provider=NAME, stage=SUBMIT, payload={"http_status": None, "body": {"model": model}}
            )
        model_input = {**request.params, **({"prompt": request.prompt} if request.prompt else {})}
        if version:
            data = self._api.submit("/predictions", {"version": version, "input": model_input})
        else:
            path = f"/models/{quote(owner, safe='')}/{quote(model_name, safe='')}/predictions"
            data = self._api.submit(path, {"input": model_input})
        prediction_id = text_or_none(data.get("id"))
        if prediction_id is None:
            raise self._api.bad_answer(SUBMIT, "the answer has no prediction id", body=data)
        return _snapshot(prediction_id, data)

    def status(self, job_id: str) -> JobSnapshot:
        return _snapshot(job_id, self._api.get(STATUS, f"/predictions/{quote(job_id, safe='')}"))

    def cancel(self, job_id: str) -> JobSnapshot:
        """Cancel a prediction; one already finished is returned as it is (Replicate answers 200 with it)."""
        return _snapshot(job_id, self._api.post(CANCEL, f"/predictions/{quote(job_id, safe='')}/cancel"))

    # Batch status (docs/adr/0007-batched-polling.md): the list returns 100 predictions a page, newest first.
    supports_status_many = True
    status_page_size = 100
    requests_per_min = 3000  # Replicate's rate limit for every call but creating a prediction

    def status_many(self, job_ids: Collection[str], *, max_pages: int) -> dict[str, JobSnapshot]:
        """Predictions read from the list (`GET /v1/predictions`, paged by its `next` URL) until every id is
        found, the list ends, or `max_pages` pages were read. Only the `next` URL's query is followed, so the
        token never goes anywhere but the configured API."""
        wanted, found = set(job_ids), {}
        path = "/predictions"
        for _ in range(max_pages):
            page = self._api.get(STATUS, path)
            results = page.get("results")
            for item in results if isinstance(results, list) else []:
                job_id = text_or_none(as_dict(item).get("id"))
                if job_id in wanted:
                    found[job_id] = _snapshot(job_id, item)
            following = urlparse(text_or_none(page.get("next")) or "").query
            if len(found) == len(wanted) or not following:
                break
            path = f"/predictions?{following}"
        return found


def _snapshot(job_id: str, data: dict[str, Any]) -> JobSnapshot:
    """A prediction object; every field but `status` may be missing or null."""
    job_id = text_or_none(data.get("id")) or job_id
    url = _first_url(data.get("output"))
    error = data.get("error")
    message = error if isinstance(error, str) else text_or_none(as_dict(error).get("message"))
    return JobSnapshot(
        job_id=job_id,
        state=state_from(data.get("status"), _STATES, NAME, job_id),
        output_url=url,
        content_type=mimetypes.guess_type(urlparse(url).path)[0] if url else None,
        predict_time=decimal_or_none(as_dict(data.get("metrics")).get("predict_time")),
        error_code=CONTENT_POLICY if message and _CONTENT_POLICY_TEXT.search(message) else None,
        error_message=text_or_none(message),
        raw=data,
    )


def _first_url(output: Any) -> str | None:
    """Outputs are a URL or a list of URLs (several images); the first one is the take."""
    if isinstance(output, list):
        output = next((item for item in output if isinstance(item, str)), None)
    return text_or_none(output)
