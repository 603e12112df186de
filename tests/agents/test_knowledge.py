"""The knowledge base recognises every known failure from what the providers and the app really report."""

from __future__ import annotations

import pytest

from vsl.agents import knowledge
from vsl.agents.knowledge import KNOWN_FAILURES, FailureFacts

# (stage, provider, code, message) as the worker, the providers and the clients write them
REAL_FAILURES = {
    "content_policy": ("generate", "replicate", "content_policy", "Output was flagged as sensitive (E005)."),
    "rate_limit": ("submit", "lambda", "RateLimited", "Too many requests; retry after 30 seconds."),
    "invalid_parameters": ("submit", "lambda", "ValidationError", "duration must be one of 4, 6, 8"),
    "reference_images": (
        "submit",
        "replicate",
        "",
        "reference_images are only supported with aspect_ratio 16:9 and duration 8 (HTTP 422)",
    ),
    "timeout": ("status", "replicate", "timeout", "still not finished after 30 minutes; treated as stuck"),
    "auth": ("submit", "replicate", "", "replicate submit failed (HTTP 401): Unauthenticated: invalid token"),
    "budget": ("", "", "", "This needs $3.20 but only $1.00 of the $10.00 budget is left."),
    "output_expired": ("download", "replicate", "", "HTTP 403: AccessDenied: Request has expired"),
    "unknown_submission": ("submit", "lambda", "", "marked failed by the user after an unknown submission outcome"),
    "storage": ("store", "lambda", "", "the output videos/2026/11/job_8Xc2.mp4 is not in the bucket: NoSuchKey"),
}


@pytest.mark.parametrize("expected", sorted(REAL_FAILURES))
def test_each_known_failure_is_recognised_from_a_real_report(expected: str) -> None:
    found = knowledge.diagnose(FailureFacts(*REAL_FAILURES[expected]))

    assert found.failure.id == expected
    assert found.evidence, "the match says what it was based on"


def test_the_table_covers_every_known_failure_with_cause_fix_and_a_doc_query() -> None:
    assert {k.id for k in KNOWN_FAILURES} == set(REAL_FAILURES)
    for known in KNOWN_FAILURES:
        assert known.cause.endswith(".") and known.fix.endswith(".") and known.doc_query


def test_a_specific_failure_outranks_the_generic_one() -> None:
    facts = FailureFacts("submit", "lambda", "ValidationError", "reference_images need duration 8; got 6")
    ranked = [m.failure.id for m in knowledge.match(facts)]

    assert ranked[:2] == ["reference_images", "invalid_parameters"]


def test_the_stage_alone_is_enough_for_storage_but_not_for_everything() -> None:
    assert knowledge.diagnose(FailureFacts(stage="store")).failure.id == "storage"
    assert knowledge.diagnose(FailureFacts(stage="generate", provider="replicate")).failure is knowledge.UNKNOWN


def test_an_unrecognised_failure_gets_the_generic_advice() -> None:
    found = knowledge.diagnose(FailureFacts("generate", "replicate", "E001", "The model crashed."))

    assert found.failure is knowledge.UNKNOWN and found.score == 0
    assert "provider's own message" in found.failure.cause


def test_free_text_questions_match_too() -> None:
    assert knowledge.diagnose(FailureFacts(message="why do I keep hitting a rate limit?")).failure.id == "rate_limit"
