"""A fake VSL Lambda API (`generateMedia`, `getStatus`, cancel) speaking the contract in vsl-lambda-api.md.

Routes live under a stage path (`/homolog`) like the real API Gateway URL; output files are served at
`/files/` (standing in for presigned S3 URLs, 403 once expired). An `Idempotency-Key` replay returns its job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http_server import (
    CANCELED,
    DEFAULT_PLAN,
    FAILED,
    NOT_FOUND,
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
    QUEUED: "pending",
    RUNNING: "processing",
    SUCCEEDED: "completed",
    FAILED: "failed",
    CANCELED: "canceled",
}
MEDIA_TYPES = {"video", "image", "audio"}
VEO_DURATIONS = (4, 6, 8)


def _problem(body: Any) -> str | None:
    """Why a generate body is invalid (the message the real API sends with 400), or None."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    if not isinstance(body.get("modelId"), str) or not body["modelId"]:
        return "modelId is required"
    if body.get("mediaType") not in MEDIA_TYPES:
        return "mediaType must be one of video, image, audio"
    if not isinstance(body.get("prompt"), str) or not isinstance(body.get("parameters", {}), dict):
        return "prompt must be a string and parameters an object"
    duration = body.get("parameters", {}).get("duration")
    if body["modelId"].startswith("veo") and duration is not None and duration not in VEO_DURATIONS:
        return "duration must be one of 4, 6, 8"
    return None


class FakeLambdaServer(FakeJobServer):
    expired_status = 403  # a presigned S3 URL past its expiry

    def __init__(
        self,
        *,
        api_key: str = "",
        stage: str = "/homolog",
        plan: Plan | Callable[[Any], Plan] = DEFAULT_PLAN,
        on_complete: Callable[[FakeJob], None] | None = None,
    ) -> None:
        super().__init__(plan, on_complete)
        self.api_key = api_key
        self.stage = stage

    @property
    def base_url(self) -> str:
        """What `LAMBDA_API_URL` would be."""
        return self.url + self.stage

    @staticmethod
    def s3_key(job: FakeJob) -> str:
        """The `s3Key` reported for a completed job: where `on_complete` should put its output."""
        created = datetime.fromtimestamp(job.created_at, UTC)
        return f"videos/{created:%Y/%m}/{job.output_name}"

    def route_api(self, request: RecordedRequest) -> Reply:
        if self.api_key and request.header("x-api-key") != self.api_key:
            return Reply(403, {"message": "Forbidden"})  # what API Gateway answers to a missing or wrong key
        if not request.path.startswith(self.stage + "/"):
            return NOT_FOUND
        parts = request.path.removeprefix(self.stage + "/").split("/")
        match request.method, parts:
            case "POST", ["generate"]:
                return self._generate(request)
            case "GET", ["status", job_id]:
                return self._status(job_id)
            case "POST", ["cancel", job_id]:
                return self._cancel(job_id)
        return NOT_FOUND

    def _generate(self, request: RecordedRequest) -> Reply:
        problem = _problem(request.body)
        if problem:
            return Reply(400, {"error": "ValidationError", "message": problem, "details": {}})
        job, _ = self.create_job(request.body, key=request.header("Idempotency-Key"))
        estimate = float(job.plan.cost) if job.plan.cost else None
        status = job.wire_status(WIRE_STATUS)
        return Reply(
            202,
            {"jobId": job.id, "status": status, "predictionId": f"pred_{job.id}", "estimatedCost": estimate},
        )

    def _status(self, job_id: str) -> Reply:
        job = self.poll_job(job_id)
        if job is None:
            return Reply(404, {"error": "NotFound", "message": f"Job {job_id} was not found."})
        return Reply(200, self.job_json(job))

    def _cancel(self, job_id: str) -> Reply:
        job, canceled = self.cancel_job(job_id)
        if job is None:
            return Reply(404, {"error": "NotFound", "message": f"Job {job_id} was not found."})
        if not canceled:
            message = f"Job {job_id} is already {job.wire_status(WIRE_STATUS)}."
            return Reply(409, {"error": "Conflict", "message": message})
        return Reply(200, {"jobId": job.id, "status": WIRE_STATUS[CANCELED]})

    def job_json(self, job: FakeJob) -> dict[str, Any]:
        """The getStatus body for `job`."""
        plan, done, failed = job.plan, job.state == SUCCEEDED, job.state == FAILED
        output = {
            "url": self.output_url(job),
            "s3Key": self.s3_key(job),
            "contentType": plan.content_type,
            "durationSeconds": plan.duration_s,
        }
        return {
            "jobId": job.id,
            "status": job.wire_status(WIRE_STATUS),
            "progress": {QUEUED: 0, RUNNING: 50}.get(job.state, 100),
            "output": output if done else None,
            "error": {"code": plan.error_code, "message": plan.error_message} if failed else None,
            "cost": float(plan.cost) if done and plan.cost else None,
            "metrics": {"predictTime": plan.predict_time if done else None},
            "createdAt": iso(job.created_at),
            "completedAt": iso(job.changed_at) if job.terminal else None,
        }


def content_policy_plan(**changes: Any) -> Plan:
    """A job the backend fails for its content (error code `content_policy`)."""
    message = "The prompt was flagged by the content policy."
    return replace(Plan(outcome=FAILED, error_code="content_policy", error_message=message), **changes)
