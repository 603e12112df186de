"""A fake VSL Lambda API (`generateMedia`, `getStatus`, cancel) speaking the contract in vsl-lambda-api.md.

Routes live under a stage path (`/homolog`) like the real API Gateway URL; output files are served at
`/files/` (standing in for presigned S3 URLs, 403 once expired). An `Idempotency-Key` replay returns its job.
`Faults` make it misbehave at random, as the real one does now and then (5xx, 429, bodies that are not JSON, hangs).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Faults:
    """Chances, per API request, of each way the real API misbehaves. A 5xx, a garbled body or a hang on
    `generate` comes after the job was created half of the time (the gateway failed on the way back)."""

    server_error: float = 0.10
    rate_limited: float = 0.05
    bad_json: float = 0.05
    hang: float = 0.02
    hang_s: float = 31.0
    retry_after_s: float = 0.2
    seed: int = 13


class FakeLambdaServer(FakeJobServer):
    expired_status = 403  # a presigned S3 URL past its expiry

    def __init__(
        self,
        *,
        api_key: str = "",
        stage: str = "/homolog",
        plan: Plan | Callable[[Any], Plan] = DEFAULT_PLAN,
        on_complete: Callable[[FakeJob], None] | None = None,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(plan, on_complete)
        self.api_key = api_key
        self.stage = stage
        self.faults = faults
        self._random = random.Random(faults.seed if faults else 0)
        self._random_lock = threading.Lock()
        self.faults_sent: dict[str, int] = {}  # fault name -> how many were sent

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
        fault = self._fault()
        if fault is not None:
            return self._faulty(request, fault)
        return self._route_stage(request)

    def _fault(self) -> str | None:
        """Which fault, if any, this request gets (counted)."""
        if self.faults is None:
            return None
        f = self.faults
        with self._random_lock:
            roll, created = self._random.random(), self._random.random() < 0.5
            edges = [("server_error", f.server_error), ("rate_limited", f.rate_limited), ("bad_json", f.bad_json)]
            edges.append(("hang", f.hang))
            for name, chance in edges:
                if roll < chance:
                    sent = f"{name}_after_create" if created and name != "rate_limited" else name
                    self.faults_sent[sent] = self.faults_sent.get(sent, 0) + 1
                    return sent
                roll -= chance
        return None

    def _faulty(self, request: RecordedRequest, fault: str) -> Reply:
        assert self.faults is not None
        if fault == "rate_limited":
            headers = {"Retry-After": f"{self.faults.retry_after_s:g}"}
            return Reply(429, {"error": "RateLimited", "message": "Too many requests"}, headers)
        if fault.endswith("_after_create"):  # the work was done (a job created, a poll counted), the answer lost
            reply = self._route_stage(request)
            fault = fault.removesuffix("_after_create")
            if fault == "hang":
                return replace(reply, delay_s=self.faults.hang_s)
        elif fault == "hang":
            return Reply(504, {"message": "Endpoint request timed out"}, delay_s=self.faults.hang_s)
        if fault == "server_error":
            return Reply(502, {"message": "Internal server error"})
        return Reply(200, "<html><body>502 Bad Gateway</body></html>")

    def _route_stage(self, request: RecordedRequest) -> Reply:
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
