"""The video job state machine: which statuses exist, which moves are legal, and which hold money.

```
planned ─click─► reserved ─► submitting ─► queued ─► running ─► storing ─► completed
   │                │            │            └────────┴──► failed | canceled
   │                │            └─ crash / no answer ─► unknown ─► queued | needs_attention
   └────────────────┴─► canceled (reservation released)
```
The row, its client request id and the reservation are committed before any paid call. An `unknown` take is
recovered as its provider declares (docs/adr/0001-submit-recovery.md): resubmitted with the same request id a
bounded number of times, or looked up by it; only then does it need attention.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    PLANNED = "planned"
    RESERVED = "reserved"
    SUBMITTING = "submitting"
    QUEUED = "queued"
    RUNNING = "running"
    STORING = "storing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"
    NEEDS_ATTENTION = "needs_attention"


S = JobStatus

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    S.PLANNED: frozenset({S.RESERVED, S.CANCELED}),
    S.RESERVED: frozenset({S.SUBMITTING, S.CANCELED, S.FAILED}),
    S.SUBMITTING: frozenset({S.QUEUED, S.RUNNING, S.STORING, S.FAILED, S.UNKNOWN, S.RESERVED}),
    S.QUEUED: frozenset({S.RUNNING, S.STORING, S.FAILED, S.CANCELED}),
    S.RUNNING: frozenset({S.STORING, S.FAILED, S.CANCELED}),
    S.STORING: frozenset({S.COMPLETED, S.FAILED}),
    S.UNKNOWN: frozenset({S.QUEUED, S.RUNNING, S.STORING, S.NEEDS_ATTENTION, S.FAILED}),
    S.NEEDS_ATTENTION: frozenset({S.QUEUED, S.RUNNING, S.STORING, S.FAILED, S.RESERVED, S.CANCELED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
}

TERMINAL = frozenset({S.COMPLETED, S.FAILED, S.CANCELED})
# Statuses the worker advances by itself.
ACTIVE = frozenset({S.RESERVED, S.SUBMITTING, S.QUEUED, S.RUNNING, S.STORING, S.UNKNOWN})
# Statuses that hold a budget reservation.
HOLDS_MONEY = frozenset({S.RESERVED, S.SUBMITTING, S.QUEUED, S.RUNNING, S.STORING, S.UNKNOWN, S.NEEDS_ATTENTION})
# Statuses that a provider knows about (a provider job id exists), so cancel must reach the provider.
AT_PROVIDER = frozenset({S.QUEUED, S.RUNNING})

LABELS: dict[JobStatus, str] = {
    S.PLANNED: "Planned",
    S.RESERVED: "Waiting to submit",
    S.SUBMITTING: "Submitting",
    S.QUEUED: "Queued",
    S.RUNNING: "Generating",
    S.STORING: "Saving",
    S.COMPLETED: "Done",
    S.FAILED: "Failed",
    S.CANCELED: "Canceled",
    S.UNKNOWN: "Checking submission",
    S.NEEDS_ATTENTION: "Needs attention",
}


class IllegalTransition(ValueError):
    """A status change the state machine does not allow."""


def check_transition(current: str, target: str) -> None:
    """Raise IllegalTransition unless `current → target` is allowed."""
    src, dst = JobStatus(current), JobStatus(target)
    if dst not in TRANSITIONS[src]:
        raise IllegalTransition(f"A job cannot go from {LABELS[src]} to {LABELS[dst]}.")
