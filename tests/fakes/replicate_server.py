"""A fake Replicate HTTP API (v1 predictions) speaking its real wire format.

Official models: `POST /v1/models/{owner}/{name}/predictions`; versioned models: `POST /v1/predictions` with
`version`; `GET /v1/predictions/{id}`; `GET /v1/predictions` (the list); `POST /v1/predictions/{id}/cancel`.
Errors are Replicate's problem documents (`{"title", "detail", "status"}`); outputs are served at `/files/` and
answer 404 once deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

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
LIST_PAGE = 100  # predictions per page of `GET /v1/predictions`
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
    ) -> None:
        super().__init__(plan, on_complete)
        self.token = token
        self.known_models = known_models  # None: every owner/name exists

    @property
    def base_url(self) -> str:
        """What `REPLICATE_BASE_URL` would be."""
        return self.url + "/v1"

    def route_api(self, request: RecordedRequest) -> Reply:
        if request.header("Authorization") != f"Bearer {self.token}":
            return problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        match request.method, request.path.split("/")[1:]:
            case "POST", ["v1", "models", owner, name, "predictions"]:
                return self._create(request.body, f"{owner}/{name}", version=None)
            case "POST", ["v1", "predictions"]:
                version = request.body.get("version") if isinstance(request.body, dict) else None
                if not version:
                    return problem(422, "Input validation failed", "- version: version is required")
                return self._create(request.body, None, version=version)
            case "GET", ["v1", listing] if listing.partition("?")[0] == "predictions":
                return self._list(listing.partition("?")[2])
            case "GET", ["v1", "predictions", prediction_id]:
                return self._answer(self.poll_job(prediction_id))
            case "POST", ["v1", "predictions", prediction_id, "cancel"]:
                return self._answer(self.cancel_job(prediction_id)[0])
        return NOT_FOUND

    def _create(self, body: Any, model: str | None, *, version: str | None) -> Reply:
        if model is not None and self.known_models is not None and model not in self.known_models:
            return problem(404, "Model not found", f"The requested model {model} could not be found.")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return problem(422, "Input validation failed", "- input: Invalid type. Expected: object")
        job, _ = self.create_job({"model": model, "version": version, "input": body["input"]})
        return Reply(201, self.prediction_json(job))

    def _list(self, query: str) -> Reply:
        """`GET /v1/predictions`: newest first, 100 a page, `next`/`previous` URLs carrying a cursor. Listing
        a prediction moves it along its plan like a status request does (it counts as one of its polls)."""
        cursor = int(parse_qs(query).get("cursor", ["0"])[0])
        newest_first = [job.id for job in reversed(self.jobs)]
        page = [self.poll_job(job_id) for job_id in newest_first[cursor : cursor + LIST_PAGE]]

        def link(at: int) -> str:
            return f"{self.base_url}/predictions?cursor={at}"

        more = cursor + LIST_PAGE < len(newest_first)
        return Reply(
            200,
            {
                "next": link(cursor + LIST_PAGE) if more else None,
                "previous": link(max(0, cursor - LIST_PAGE)) if cursor else None,
                "results": [self.prediction_json(job) for job in page if job is not None],
            },
        )

    def _answer(self, job: FakeJob | None) -> Reply:
        return NOT_FOUND if job is None else Reply(200, self.prediction_json(job))

    def prediction_json(self, job: FakeJob) -> dict[str, Any]:
        """A prediction object as `GET /v1/predictions/{id}` returns it."""
        plan, done = job.plan, job.state == SUCCEEDED
        url = self.output_url(job)
        started = job.changed_to(RUNNING) or (job.changed_at if job.terminal else None)
        return {
            "id": job.id,
            "model": job.body["model"],
            "version": job.body["version"] or "hidden",
            "input": job.body["input"],
            "logs": "",
            "output": ([url] if plan.output_as_list else url) if done else None,
            "data_removed": job.output_expired,
            "error": plan.error_message if job.state == FAILED else None,
            "status": job.wire_status(WIRE_STATUS),
            "created_at": iso(job.created_at),
            "started_at": iso(started) if started else None,
            "completed_at": iso(job.changed_at) if job.terminal else None,
            "urls": {
                "get": f"{self.base_url}/predictions/{job.id}",
                "cancel": f"{self.base_url}/predictions/{job.id}/cancel",
            },
            "metrics": _metrics(plan) if done else {},
        }


def _metrics(plan: Plan) -> dict[str, float]:
    return {"predict_time": plan.predict_time, "total_time": plan.predict_time + 2}
