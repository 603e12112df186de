"""The JSON-over-HTTP client both remote providers share: timeouts, bounded retries, and the one mapping of
HTTP outcomes to the typed provider errors.

The mapping depends on the stage. A submit whose request may have reached the provider (read timeout, dropped
connection, 5xx, an answer that cannot be read) raises `SubmitOutcomeUnknown` and is never retried here;
only a 429 on submit is retried, since nothing was created. Status and cancel calls are safe to repeat: 5xx,
timeouts, connection errors and 429 are retried with exponential backoff, within `max_retries` and
`max_wait_s`. Secrets given to the client are replaced by `[redacted]` in every answer, message and payload.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from vsl.providers.base import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderConflict,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderState,
    ProviderUnavailable,
    ProviderValidationError,
    SubmitOutcomeUnknown,
)

SUBMIT, STATUS, CANCEL = "submit", "status", "cancel"
REDACTED = "[redacted]"
EXCERPT_CHARS = 300
POOL_CONNECTIONS = 64  # keep-alive connections per host: more than the worker threads that may call at once
_MESSAGE_KEYS = ("message", "detail", "error", "title")
_CODE_KEYS = ("error", "title", "code")
_RESETS_IN = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_NOT_JSON = object()
_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)
_REJECTED = "The request was rejected: {msg}. Correct the parameters and submit again."
_REFUSED = "The credentials were refused ({msg}). Check {credential} in the settings."
_BY_STATUS: dict[int, tuple[type[ProviderError], str]] = {
    400: (ProviderValidationError, _REJECTED),
    422: (ProviderValidationError, _REJECTED),
    401: (ProviderAuthError, _REFUSED),
    403: (ProviderAuthError, _REFUSED),
    404: (ProviderNotFound, "Not found: {msg}. Check the job id or the model reference."),
    409: (ProviderConflict, "The request conflicts with the job's state: {msg}. Refresh the job to see it."),
}
_UNEXPECTED = (ProviderError, "Unexpected answer: {msg}. Check the provider account and the settings.")
log = logging.getLogger(__name__)


def pooled_session(connections: int = POOL_CONNECTIONS) -> requests.Session:
    """A session keeping up to `connections` keep-alive connections per host, so that every worker thread reuses
    its own (requests' default keeps 10 and opens a new connection for each call beyond them)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=connections)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@dataclass(frozen=True)
class RetryPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 35.0  # above API Gateway's 29 s, so its own timeout answer is seen
    max_retries: int = 3
    backoff_s: float = 0.5
    max_wait_s: float = 20.0  # total sleep within one call; a longer Retry-After is left to the caller

    def delay(self, attempt: int, waited: float, retry_after: float | None) -> float | None:
        """Seconds to sleep before retry number `attempt + 1`, or None when the retry budget is spent."""
        if attempt >= self.max_retries:
            return None
        delay = retry_after if retry_after is not None else self.backoff_s * 2**attempt
        return delay if waited + delay <= self.max_wait_s else None


@dataclass(frozen=True)
class _Answer:
    status: int
    data: Any  # the parsed JSON, or _NOT_JSON
    text: str  # the body, decoded and scrubbed
    retry_after: float | None


class JsonApi:
    """One JSON API at `base_url`, called as `provider` with fixed `headers` (which may hold secrets)."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str],
        secrets: Iterable[str],
        credential: str,
        policy: RetryPolicy,
        session: requests.Session | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", "User-Agent": "vsl-studio", **headers}
        self._secrets = [re.compile(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])") for s in secrets if s]
        self._credential = credential  # the setting a user fixes when the credentials are refused
        self._policy = policy
        self._session = session or pooled_session()
        self._sleep = sleep

    def submit(self, path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._call(SUBMIT, "POST", path, body, headers)

    def get(self, stage: str, path: str) -> dict[str, Any]:
        return self._call(stage, "GET", path)

    def post(self, stage: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call(stage, "POST", path, body)

    def bad_answer(
        self, stage: str, problem: str, *, http_status: int | None = None, body: Any = None
    ) -> ProviderError:
        """The error for an unusable answer; on submit the job may exist, so its outcome is unknown."""
        if stage == SUBMIT:
            message = (
                f"The submit was sent but {problem}, so the job may have been created. It is not resubmitted "
                "automatically: reconcile the job before trying again."
            )
            return self._error(SubmitOutcomeUnknown, stage, message, http_status=http_status, body=body)
        message = f"The answer could not be understood: {problem}. It will be asked again."
        return self._error(ProviderBadResponse, stage, message, http_status=http_status, body=body)

    def _call(
        self,
        stage: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        attempt, waited = 0, 0.0
        while True:
            try:
                answer = self._send(method, path, body, headers)
            except requests.RequestException as exc:
                error = self._transport_error(stage, exc)
            else:
                if 200 <= answer.status < 300:
                    return self._json_object(stage, answer)
                error = self._status_error(stage, answer)
            delay = self._retry_delay(stage, error, attempt, waited)
            if delay is None:
                raise error
            log.info("%s %s: %s; retrying in %.1fs", self.provider, stage, error.message, delay)
            self._sleep(delay)
            attempt, waited = attempt + 1, waited + delay

    def _send(self, method: str, path: str, body: dict[str, Any] | None, headers: Mapping[str, str] | None) -> _Answer:
        response = self._session.request(
            method,
            self.base_url + path,
            json=body,
            headers={**self._headers, **(headers or {})},
            timeout=(self._policy.connect_timeout, self._policy.read_timeout),
        )
        text = self.scrub(response.content.decode("utf-8", errors="replace"))
        try:
            data = json.loads(text) if text.strip() else _NOT_JSON
        except ValueError:
            data = _NOT_JSON
        return _Answer(response.status_code, data, text, _retry_after(response, text))

    def _retry_delay(self, stage: str, error: ProviderError, attempt: int, waited: float) -> float | None:
        retryable = (ProviderRateLimited,) if stage == SUBMIT else (ProviderRateLimited, ProviderUnavailable)
        if not isinstance(error, retryable):
            return None
        return self._policy.delay(attempt, waited, getattr(error, "retry_after", None))

    def _json_object(self, stage: str, answer: _Answer) -> dict[str, Any]:
        if isinstance(answer.data, dict):
            return answer.data
        shown = f"it starts with {_excerpt(answer.text, 80)!r}" if answer.text.strip() else "it was empty"
        raise self.bad_answer(stage, f"the answer was not a JSON object ({shown})", **_raw(answer))

    def _status_error(self, stage: str, answer: _Answer) -> ProviderError:
        said = (_message(answer.data) or _excerpt(answer.text, 200)).rstrip(" .") or "no details given"
        code = _code(answer.data)
        if answer.status == 429:
            wait = f"Wait {answer.retry_after:g} s" if answer.retry_after is not None else "Wait a little"
            message = f"Too many requests ({said}). {wait} and try again."
            return self._error(
                ProviderRateLimited, stage, message, **_raw(answer), code=code, retry_after=answer.retry_after
            )
        if answer.status >= 500 and stage == SUBMIT:
            return self.bad_answer(stage, f"the provider answered with an error ({said})", **_raw(answer))
        if answer.status >= 500:
            message = f"The provider is unavailable ({said}). The call will be tried again later."
            return self._error(ProviderUnavailable, stage, message, **_raw(answer), code=code)
        kind, template = _BY_STATUS.get(answer.status, _UNEXPECTED)
        message = template.format(msg=said, credential=self._credential)
        return self._error(kind, stage, message, **_raw(answer), code=code)

    def _transport_error(self, stage: str, exc: requests.RequestException) -> ProviderError:
        detail = _excerpt(self.scrub(f"{type(exc).__name__}: {exc}"))
        if isinstance(exc, _BAD_URL):
            message = f"The URL {self.base_url} is not valid ({detail}). Check the provider URL setting."
            return self._error(ProviderError, stage, message, body={"error": detail})
        sent = not _nothing_sent(exc)
        if stage == SUBMIT and sent:
            waited = f"within {self._policy.read_timeout:g} s " if isinstance(exc, requests.Timeout) else ""
            return self.bad_answer(stage, f"no answer came {waited}({detail})", body={"error": detail})
        nothing = "" if sent else " Nothing was sent."
        message = (
            f"Could not reach {self.base_url} ({detail}).{nothing} Check the network and the provider URL; "
            "the call can be tried again."
        )
        return self._error(ProviderUnavailable, stage, message, body={"error": detail})

    def _error(
        self,
        kind: type[ProviderError],
        stage: str,
        message: str,
        *,
        http_status: int | None = None,
        body: Any = None,
        **extra: Any,
    ) -> ProviderError:
        """`kind` for `stage`, its message and payload (HTTP status, body excerpt) scrubbed of secrets."""
        payload = {"http_status": http_status, "body": self.scrub(body)}
        message = self.scrub(message)
        return kind(message, provider=self.provider, stage=stage, http_status=http_status, payload=payload, **extra)

    def scrub(self, value: Any) -> Any:
        """`value` (text, or JSON-like data) with every secret (as a whole word) replaced by `[redacted]`."""
        if isinstance(value, str):
            for secret in self._secrets:
                value = secret.sub(REDACTED, value)
            return value
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value


def _raw(answer: _Answer) -> dict[str, Any]:
    return {"http_status": answer.status, "body": _excerpt(answer.text)}


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when no connection was made (refused, unresolvable, connect timeout): nothing was sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def _retry_after(response: requests.Response, text: str) -> float | None:
    """Seconds from `Retry-After`, or from a "resets in ~30s" sentence in the body (Replicate's 429)."""
    if response.status_code != 429:
        return None
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        match = _RESETS_IN.search(text)
        return float(match.group(1)) if match else None


def _message(data: Any) -> str | None:
    """The human sentence of an error body (`message`, `detail`, `error` or `title`)."""
    return _first_text(data, _MESSAGE_KEYS)


def _code(data: Any) -> str | None:
    return _first_text(data, _CODE_KEYS)


def _first_text(data: Any, keys: Iterable[str]) -> str | None:
    if not isinstance(data, dict):
        return None
    texts = (data[key] for key in keys if isinstance(data.get(key), str) and data[key].strip())
    return next((_excerpt(text, 200) for text in texts), None)


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_from(wire: Any, table: Mapping[str, ProviderState], provider: str, job_id: str) -> ProviderState:
    """The state for a wire status; an unknown or missing one is logged and reads as RUNNING (not success)."""
    state = table.get(wire) if isinstance(wire, str) else None
    if state is None:
        log.warning("%s sent the unknown status %r for job %s; treated as running", provider, wire, job_id)
        return ProviderState.RUNNING
    return state


def decimal_or_none(value: Any) -> Decimal | None:
    """An exact Decimal from a JSON number or numeric string (via `str`); None when absent or not finite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
