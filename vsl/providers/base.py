"""The provider protocol, the job snapshot every provider returns, and the typed errors it may raise.

A provider never touches the database: the job worker (`vsl.jobs`) owns state. Errors carry the stage
(`submit`, `status`, `cancel`, `download`), the provider name, a sentence a user can act on, and the raw payload.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, TypeGuard

PROVIDER_PAGE = "provider_page"  # the take's scene_details key for JobSnapshot.web_url, linked on the board


class ProviderState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in {ProviderState.SUCCEEDED, ProviderState.FAILED, ProviderState.CANCELED}


@dataclass(frozen=True)
class SubmitRequest:
    model_id: str  # catalog id, e.g. "veo-3.1"
    media_type: str  # video | image | audio
    prompt: str
    params: dict[str, Any]  # normalized catalog parameters
    client_request_id: str  # idempotency key, written to the database before submit is called
    metadata: dict[str, Any] = field(default_factory=dict)  # novelaId, videoId, title, episode, scene, ...


@dataclass(frozen=True)
class JobSnapshot:
    """What a provider knows of one job at one moment."""

    job_id: str
    state: ProviderState
    progress: int | None = None  # 0..100 when the provider says
    output_url: str | None = None  # downloadable output (may expire: copy it promptly)
    output_key: str | None = None  # key of an output already in our S3 bucket (Lambda): reference, do not copy
    output_path: str | None = None  # local file (local preview provider)
    output_headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # sent with the download (a token)
    content_type: str | None = None
    duration_seconds: Decimal | None = None
    cost: Decimal | None = None  # actual charge in USD when the provider reports it
    predict_time: Decimal | None = None  # seconds of compute (Replicate metrics.predict_time)
    error_code: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    web_url: str | None = None  # the job's page at the provider, for a person to open (Replicate urls.web)


class SubmitRecovery(StrEnum):
    """What a provider promises about a submit whose outcome is unknown (docs/adr/0001-submit-recovery.md).

    SAME_ID: resubmitting with the same client request id returns the same job (the VSL Lambda contract, within
    its window), so the worker may resubmit by itself a bounded number of times.
    RECONCILE: no such promise; the worker first looks the submission up by its request id
    (`find_submission`) and resubmits only when none is found and the failed call cannot have created a charge.
    """

    SAME_ID = "same_id"
    RECONCILE = "reconcile"


class Provider(Protocol):
    name: str  # "lambda", "replicate", "local"
    submit_recovery: SubmitRecovery
    # SAME_ID only: seconds after the first submit during which a same-id resubmission still returns the same
    # job (the Lambda's 24-hour window); None when there is no limit.
    resubmit_window_s: float | None

    def submit(self, request: SubmitRequest) -> JobSnapshot: ...

    def find_submission(self, client_request_id: str) -> JobSnapshot | None:
        """The job created by an earlier submit carrying this request id, or None when the provider has none."""
        ...

    def status(self, job_id: str) -> JobSnapshot: ...

    def cancel(self, job_id: str) -> JobSnapshot: ...


class ProviderError(Exception):
    """Base of every provider failure. `retryable` says whether the same call may safely be made again."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        stage: str,
        http_status: int | None = None,
        code: str | None = None,
        payload: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.stage = stage
        self.http_status = http_status
        self.code = code
        self.payload = payload

    def __str__(self) -> str:
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"{self.provider} {self.stage} failed{status}: {self.message}"


class ProviderValidationError(ProviderError):
    """The provider refused the parameters (HTTP 400/422)."""


class ProviderAuthError(ProviderError):
    """Missing or wrong credentials (HTTP 401/403)."""


class ProviderNotFound(ProviderError):
    """The job or model does not exist at the provider (HTTP 404)."""


class ProviderConflict(ProviderError):
    """The request conflicts with the job's state, e.g. cancelling a finished job (HTTP 409)."""


class ProviderRateLimited(ProviderError):
    """HTTP 429: nothing was created; the call may be repeated after `retry_after` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """5xx, a timeout or a refused connection on a call that is safe to repeat (status, cancel)."""

    retryable = True


class ProviderBadResponse(ProviderError):
    """The answer could not be understood (not JSON, fields missing)."""

    retryable = True


class SubmitOutcomeUnknown(ProviderError):
    """A submit whose request may have reached the provider (timeout after sending, 5xx, garbled answer).

    Never repeated inside the client: the job goes to `unknown`, and the worker recovers it as the provider's
    `submit_recovery` allows (docs/adr/0001-submit-recovery.md) or asks a person.
    """


class StatusMany(Protocol):
    """Optional capability: read many jobs' status in a few requests (docs/adr/0007-batched-polling.md).

    A provider offering it sets `supports_status_many = True` and says how many jobs one request returns.
    `status_many` returns the snapshots it found (at most `max_pages` requests); a job it did not find is simply
    absent, and the caller asks for it with `status`.
    """

    supports_status_many: bool
    status_page_size: int

    def status_many(self, job_ids: Collection[str], *, max_pages: int) -> dict[str, JobSnapshot]: ...


def supports_status_many(provider: object) -> TypeGuard[StatusMany]:
    """Whether `provider` declares the batch status capability."""
    return getattr(provider, "supports_status_many", False) is True
