"""A fake Replicate HTTP API (v1 predictions) speaking its real wire format; the official `replicate` client
accepts every answer (tests/providers/test_replicate_official_client.py).

Official models: `POST /v1/models/{owner}/{name}/predictions`; versioned models: `POST /v1/predictions` with
`version` (answered with the version's `"model": "owner/name"`, as the real API does); `GET /v1/predictions/{id}`;
`POST /v1/predictions/{id}/cancel`; `GET /v1/predictions`, newest first, `page_size` a page, paged by a `next`
URL with a `cursor` (docs/reference/stack-facts.md quotes the documented shape). Errors are Replicate's problem
documents (`{"title", "detail", "status"}`). Outputs are served at `/files/` (with `files_need_auth`, only to
the bearer of the token, like Replicate's file API; with `files_redirect_to`, by a redirect to another host) and
answer 404 once expired; `remove_data` is Replicate's one-hour removal (input and output gone, `data_removed`).
Canceled and failed predictions that ran carry `metrics.predict_time`; `abort` ends one as `aborted`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_server import (
    CANCELED,
    DEFAULT_PLAN,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FakeJob,
    FakeJobServer,
    Plan,
    RecordedRequest,
    Reply,
    iso,
)

WIRE_STATUS = {
    QUEUED: "starting",
    RUNNING: "processing",
    SUCCEEDED: "succeeded",
    FAILED: "failed",
    CANCELED: "canceled",
}
SVD = ("3f0457e4619daac51203dedb472816fd", "stability-ai/stable-video-diffusion")
SENSITIVE = "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"


def problem(status: int, title: str, detail: str) -> Reply:
    """An error answer in Replicate's format."""
    return Reply(status, {"title": title, "detail": detail, "status": status})


NOT_FOUND = problem(404, "Not found", "The requested resource could not be found.")


def throttled(seconds: int = 30) -> Reply:
    """Replicate's 429: the wait is only in the text, there is no Retry-After header."""
    detail = f"Request was throttled. Your rate limit resets in ~{seconds}s."
    return problem(429, "Request was throttled", detail)


def content_policy_plan(**changes: Any) -> Plan:
    """A prediction that fails because the model's safety checker flagged it."""
    return replace(Plan(outcome=FAILED, error_code="E005", error_message=SENSITIVE), **changes)


class FakeReplicateServer(FakeJobServer):
    id_prefix = "pred"

    def __init__(
        self,
        *,
        token: str,
        plan: Plan | Callable[[Any], Plan] = DEFAULT_PLAN,
        on_complete: Callable[[FakeJob], None] | None = None,
        known_models: set[str] | None = None,
        versions: Mapping[str, str] | None = None,
        page_size: int = 100,
        files_need_auth: bool = False,
        files_redirect_to: str | None = None,
    ) -> None:
        super().__init__(plan, on_complete)
        self.token = token
        self.known_models = known_models  # None: every owner/name exists
        self.versions = versions  # version -> owner/name; None: every version is SVD's
        self.page_size = page_size
        self.files_need_auth = files_need_auth
        self.files_redirect_to = files_redirect_to  # a base URL that serves the same /files/ paths
        self._aborted: set[str] = set()
        self._removed: set[str] = set()

    def abort(self, job_id: str) -> None:
        """End an unfinished prediction as `aborted` (terminated before it could run, e.g. past a deadline)."""
        with self._lock:
            job = self._jobs[job_id]
            self._aborted.add(job_id)
            self._set(job, CANCELED, time.time())

    def remove_data(self, job_id: str) -> None:
        """What Replicate does an hour after an API prediction: its input and output are deleted."""
        with self._lock:
            self._removed.add(job_id)
            self._jobs[job_id].output_expired = True

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path.startswith("/files/"):
            if self.files_need_auth and request.header("Authorization") != f"Bearer {self.token}":
                return problem(401, "Unauthenticated", "You did not pass a valid authentication token")
            if self.files_redirect_to:
                return Reply(302, None, {"Location": self.files_redirect_to + request.path})
        return super().route(request)

    @property
    def base_url(self) -> str:
        """What `REPLICATE_BASE_URL` would be."""
        return self.url + "/v1"

    def route_api(self, request: RecordedRequest) -> Reply:
        if request.header("Authorization") != f"Bearer {self.token}":
            return problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        match request.method, urlsplit(request.path).path.split("/")[1:]:
            case "POST", ["v1", "models", owner, name, "predictions"]:
                return self._create(request.body, f"{owner}/{name}", version=None)
            case "POST", ["v1", "predictions"]:
                version = request.body.get("version") if isinstance(request.body, dict) else None
                if not version:
                    return problem(422, "Input validation failed", "- version: version is required")
                return self._create(request.body, None, version=version)
            case "GET", ["v1", "predictions"]:
                return self._list(request.path)
            case "GET", ["v1", "predictions", prediction_id]:
                return self._answer(self.poll_job(prediction_id))
            case "POST", ["v1", "predictions", prediction_id, "cancel"]:
                return self._answer(self.cancel_job(prediction_id)[0])
        return NOT_FOUND

    def _create(self, body: Any, model: str | None, *, version: str | None) -> Reply:
        if model is not None and self.known_models is not None and model not in self.known_models:
            return problem(404, "Model not found", f"The requested model {model} could not be found.")
        if version is not None:
            model = SVD[1] if self.versions is None else self.versions.get(version)
            if model is None:
                return problem(422, "Input validation failed", "- version: Invalid version or not permitted")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return problem(422, "Input validation failed", "- input: Invalid type. Expected: object")
        job, _ = self.create_job({"model": model, "version": version, "input": body["input"]})
        return Reply(201, self.prediction_json(job))

    def _list(self, path: str) -> Reply:
        """One page of the account's predictions, newest first; `next` is the URL of the following page. Listing
        a prediction moves it along its plan as a status request does (it counts as one of its polls)."""
        cursor = parse_qs(urlsplit(path).query).get("cursor", ["0"])[0]
        start = int(cursor) if cursor.isdigit() else 0
        newest_first = sorted(self.jobs, key=lambda job: (job.created_at, job.id), reverse=True)
        polled = (self.poll_job(job.id) for job in newest_first[start : start + self.page_size])
        page = [job for job in polled if job is not None]
        more = start + self.page_size < len(newest_first)
        return Reply(
            200,
            {
                "next": f"{self.base_url}/predictions?cursor={start + self.page_size}" if more else None,
                "previous": f"{self.base_url}/predictions?cursor={max(start - self.page_size, 0)}" if start else None,
                "results": [self.prediction_json(job) for job in page],
            },
        )

    def _answer(self, job: FakeJob | None) -> Reply:
        return NOT_FOUND if job is None else Reply(200, self.prediction_json(job))

    def prediction_json(self, job: FakeJob) -> dict[str, Any]:
        """A prediction object as `GET /v1/predictions/{id}` returns it."""
        plan, done = job.plan, job.state == SUCCEEDED
        removed = job.id in self._removed
        url = self.output_url(job)
        ran = job.changed_to(RUNNING)
        started = ran or (job.changed_at if job.terminal else None)
        return {
            "id": job.id,
            "model": job.body["model"],
            "version": job.body["version"] or "hidden",
            "input": {} if removed else job.body["input"],
            "logs": "",
            "output": ([url] if plan.output_as_list else url) if done and not removed else None,
            "data_removed": removed,
            "error": plan.error_message if job.state == FAILED else None,
            "source": "api",
            "status": "aborted" if job.id in self._aborted else job.wire_status(WIRE_STATUS),
            "created_at": iso(job.created_at),
            "started_at": iso(started) if started else None,
            "completed_at": iso(job.changed_at) if job.terminal else None,
            "urls": {
                "get": f"{self.base_url}/predictions/{job.id}",
                "cancel": f"{self.base_url}/predictions/{job.id}/cancel",
                "web": f"https://replicate.com/p/{job.id}",
            },
            # billed compute: every prediction that ran and ended has it, failed and canceled ones included
            "metrics": _metrics(plan) if job.terminal and (done or ran) else {},
        }


def _metrics(plan: Plan) -> dict[str, float]:
    return {"predict_time": plan.predict_time, "total_time": plan.predict_time + 2}
