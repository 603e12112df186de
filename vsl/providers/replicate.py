"""Replicate called directly (HTTP API v1): every wire detail of it lives in this module.

`REPLICATE_BASE_URL` is the host, as the official clients take it (they add `/v1`); a value that already ends in
`/v1` works too.

Replicate has no idempotency key: a create request that timed out or got a 5xx may or may not have started a
(paid) prediction, and asking again could start a second one. So a submit of unknown outcome raises
`SubmitOutcomeUnknown`, and the provider declares `SubmitRecovery.RECONCILE` (docs/adr/0001-submit-recovery.md):
every prediction carries our request id in the input field `vsl_request_id` (models ignore unknown inputs), and
`find_submission` looks it up in `GET /v1/predictions`, which lists each prediction with its input, newest first,
paged by `next`. Replicate removes an API prediction's input and output after an hour (`data_removed`), so an
older submission cannot be matched and a person is asked.

Outputs: copy them to storage as soon as a prediction succeeds. Files served by Replicate's file API (on the API
host) need the token; it is sent to that host only, never to a CDN or any other host an output URL names.
Failed and canceled predictions of GPU-time models are billed for `metrics.predict_time`: `cost` says so.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Callable, Collection, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlparse, urlsplit

import requests

from vsl.catalog import get_catalog
from vsl.providers.base import (
    JobSnapshot,
    ProviderState,
    ProviderValidationError,
    SubmitRecovery,
    SubmitRequest,
)
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
DEFAULT_BASE_URL = "https://api.replicate.com"
REQUEST_ID_INPUT = "vsl_request_id"  # our request id, carried in the input so that the list endpoint shows it
RECONCILE = "reconcile"
MAX_LIST_PAGES = 10  # 100 predictions a page: far more than an hour of this app's submissions
REMOVED = "the provider removed the output (Replicate keeps API outputs one hour)"
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


def api_root(base_url: str) -> str:
    """The v1 API root for `REPLICATE_BASE_URL` given as the host (the official way) or with `/v1` already."""
    root = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return root if root.endswith("/v1") else root + "/v1"


class ReplicateProvider:
    name = NAME
    submit_recovery = SubmitRecovery.RECONCILE  # no idempotency promise: look the prediction up first
    resubmit_window_s = None

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
        self._token = token
        self._api = JsonApi(
            NAME,
            api_root(base_url),
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
        model_input = {
            **request.params,
            **({"prompt": request.prompt} if request.prompt else {}),
            REQUEST_ID_INPUT: request.client_request_id,
        }
        if version:
            data = self._api.submit("/predictions", {"version": version, "input": model_input})
        else:
            path = f"/models/{quote(owner, safe='')}/{quote(model_name, safe='')}/predictions"
            data = self._api.submit(path, {"input": model_input})
        prediction_id = text_or_none(data.get("id"))
        if prediction_id is None:
            raise self._api.bad_answer(SUBMIT, "the answer has no prediction id", body=data)
        return self._snapshot(prediction_id, data)

    def status(self, job_id: str) -> JobSnapshot:
        return self._snapshot(job_id, self._api.get(STATUS, f"/predictions/{quote(job_id, safe='')}"))

    def cancel(self, job_id: str) -> JobSnapshot:
        """Cancel a prediction; one already finished is returned as it is (Replicate answers 200 with it)."""
        return self._snapshot(job_id, self._api.post(CANCEL, f"/predictions/{quote(job_id, safe='')}/cancel"))

    def find_submission(self, client_request_id: str) -> JobSnapshot | None:
        """The prediction whose input carries `client_request_id`, from the newest pages of `GET /v1/predictions`.

        Stops at the first prediction whose data Replicate removed (older ones are removed too), after
        MAX_LIST_PAGES, or at the last page.
        """
        for results in self._list_pages(RECONCILE, MAX_LIST_PAGES):
            for prediction in results:
                if as_dict(prediction.get("input")).get(REQUEST_ID_INPUT) == client_request_id:
                    found = text_or_none(prediction.get("id"))
                    return self.status(found) if found else None
                if prediction.get("data_removed") is True:
                    return None
        return None

    def _list_pages(self, stage: str, max_pages: int) -> Iterator[list[dict[str, Any]]]:
        """The predictions of each page of `GET /v1/predictions`, newest first (a malformed page raises)."""
        path: str | None = "/predictions"
        for _ in range(max_pages):
            if path is None:
                return
            page = self._api.get(stage, path)
            results = page.get("results")
            if not isinstance(results, list):
                raise self._api.bad_answer(stage, "the list has no results", body=page)
            yield [as_dict(item) for item in results]
            path = self._next_path(page.get("next"))

    def _next_path(self, link: Any) -> str | None:
        """The next page on the configured API: only the cursor of `next` is taken, whatever host it names.

        Behind a proxy Replicate still links to api.replicate.com; following the link itself would send the
        token there (or anywhere an answer points), so the query is asked of our own base URL instead.
        """
        query = urlsplit(text_or_none(link) or "").query
        return f"/predictions?{query}" if query else None

    def _snapshot(self, job_id: str, data: dict[str, Any]) -> JobSnapshot:
        """A prediction object; every field but `status` may be missing or null."""
        job_id = text_or_none(data.get("id")) or job_id
        state = state_from(data.get("status"), _STATES, NAME, job_id)
        url = _first_url(data.get("output"))
        error = data.get("error")
        message = error if isinstance(error, str) else text_or_none(as_dict(error).get("message"))
        if state is ProviderState.SUCCEEDED and url is None and data.get("data_removed") is True:
            message = message or REMOVED  # output null after Replicate's one-hour removal
        predict_time = decimal_or_none(as_dict(data.get("metrics")).get("predict_time"))
        return JobSnapshot(
            job_id=job_id,
            state=state,
            output_url=url,
            output_headers=self._file_headers(url),
            content_type=mimetypes.guess_type(urlparse(url).path)[0] if url else None,
            cost=_compute_cost(data.get("model"), predict_time) if state.terminal else None,
            predict_time=predict_time,
            error_code=CONTENT_POLICY if message and _CONTENT_POLICY_TEXT.search(message) else None,
            error_message=text_or_none(message),
            web_url=text_or_none(as_dict(data.get("urls")).get("web")),
            raw=data,
        )

    def _file_headers(self, url: str | None) -> dict[str, str]:
        """The token for an output served by Replicate's file API (the API's own host), for no other host."""
        if url is None:
            return {}
        api, out = urlsplit(self._api.base_url), urlsplit(url)
        same_origin = (out.scheme, out.netloc.lower()) == (api.scheme, api.netloc.lower())
        return {"Authorization": f"Bearer {self._token}"} if same_origin else {}

    # Batch status (docs/adr/0007-batched-polling.md): the list returns 100 predictions a page, newest first.
    supports_status_many = True
    status_page_size = 100
    requests_per_min = 3000  # Replicate's rate limit for every call but creating a prediction

    def status_many(self, job_ids: Collection[str], *, max_pages: int) -> dict[str, JobSnapshot]:
        """Predictions read from the list until every id is found, the list ends, or `max_pages` pages were read
        (a job not found is absent: the caller asks for it with `status`)."""
        wanted, found = set(job_ids), {}
        for results in self._list_pages(STATUS, max_pages):
            for item in results:
                job_id = text_or_none(item.get("id"))
                if job_id in wanted:
                    found[job_id] = self._snapshot(job_id, item)
            if len(found) == len(wanted):
                break
        return found


def _compute_cost(model: Any, predict_time: Decimal | None) -> Decimal | None:
    """What a finished prediction of a GPU-time model cost: predict_time x the catalog's rate (None otherwise).

    Replicate bills those models for the compute used whatever the outcome, failed and canceled included.
    """
    if not isinstance(model, str) or predict_time is None or predict_time <= 0:
        return None
    for spec in get_catalog().models():
        if spec.replicate_model == model and spec.pricing.kind == "per_gpu_second" and spec.pricing.unit_price:
            return spec.pricing.unit_price * predict_time
    return None


def _first_url(output: Any) -> str | None:
    """Outputs are a URL or a list of URLs (several images); the first one is the take."""
    if isinstance(output, list):
        output = next((item for item in output if isinstance(item, str)), None)
    return text_or_none(output)
