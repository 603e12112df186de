"""Provider tests: each remote provider against its fake over real HTTP. Shared helpers below."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from vsl.providers.base import JobSnapshot, Provider, ProviderError

CANARY = "canary-secret-1b9d6bcd-never-show-me"  # the API key / token of every provider under test


def expect_error(kind: type[ProviderError], call: Callable[[], Any], secret: str = CANARY) -> ProviderError:
    """Run `call`, expect `kind`, and check that `secret` appears nowhere in the error or its payload."""
    with pytest.raises(kind) as info:
        call()
    error = info.value
    shown = [str(error), repr(error), error.message, json.dumps(error.payload, default=str)]
    assert not [text for text in shown if secret in text], f"secret leaked into {type(error).__name__}"
    assert error.payload is not None and "http_status" in error.payload
    return error


def poll_until_done(provider: Provider, job_id: str, deadline_s: float = 5.0) -> list[JobSnapshot]:
    """Every snapshot seen while polling `job_id` until it is terminal (or fail at the deadline)."""
    seen: list[JobSnapshot] = []
    deadline = time.monotonic() + deadline_s
    while not (seen and seen[-1].state.terminal):
        assert time.monotonic() < deadline, f"job {job_id} still {seen[-1].state if seen else 'unseen'}"
        seen.append(provider.status(job_id))
    return seen
