"""The known failures of video generation: what each looks like, why it happens and how to fix it.

A failure is matched on its stage (submit, status, generate, download, store), provider, code and message.
Evidence adds up: a known code weighs 3, a message pattern its `weight` (more specific patterns weigh more, so
"reference images need 16:9" outranks the generic "invalid parameters"), the stage 1 and the provider 0.5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Remedy = Literal["rewrite_prompt", "fix_parameters", "retry", "fix_settings", "check_provider"]
THRESHOLD = 1.0


@dataclass(frozen=True)
class FailureFacts:
    """What is known about one failure (any part may be missing)."""

    stage: str = ""
    provider: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class KnownFailure:
    id: str
    title: str
    cause: str
    fix: str
    remedy: Remedy
    doc_query: str  # what to look up in the documentation
    codes: frozenset[str] = frozenset()  # lower case
    pattern: re.Pattern[str] | None = None
    weight: float = 2.0
    stages: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Match:
    failure: KnownFailure
    score: float
    evidence: tuple[str, ...] = field(default_factory=tuple)


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


KNOWN_FAILURES: tuple[KnownFailure, ...] = (
    KnownFailure(
        id="reference_images",
        title="Reference images used outside their constraints",
        cause=(
            "Veo 3.1 takes 1 to 3 reference images only with aspect ratio 16:9 and a duration of 8 seconds; "
            "Veo 3.1 Fast and Wan take none, and last_frame is ignored when reference images are given."
        ),
        fix=(
            "Use 16:9 and 8 seconds with reference images on Veo 3.1, keep at most 3 images, or drop them "
            "(the master seed and the characters' descriptions still help consistency). The Integrator "
            "applies this fix to a new take."
        ),
        remedy="fix_parameters",
        doc_query="reference_images 16:9 duration 8 veo-3.1 last_frame",
        codes=frozenset({"reference_images", "invalid_reference_images"}),
        pattern=_p(r"reference[ _-]?images?|only with 16:9|last_frame"),
        weight=6.0,
    ),
    KnownFailure(
        id="content_policy",
        title="Blocked by the provider's content policy",
        cause=(
            "The provider's safety filter flagged the prompt or the generated frames (violence, sexual "
            "content, real people, minors in risky situations, gore or self-harm)."
        ),
        fix=(
            "Rewrite the prompt to imply rather than show: describe emotions, reactions and consequences, drop "
            "graphic detail and real people's names. Ask the agents for a revised new take; it is priced for "
            "your confirmation first."
        ),
        remedy="rewrite_prompt",
        doc_query="content policy prompt safety",
        codes=frozenset({"content_policy", "content_filter", "safety", "nsfw", "moderation"}),
        pattern=_p(
            r"content[ _-]?polic|flagged|nsfw|safety (?:filter|check|system)|sensitive|moderation|"
            r"prohibited|violat(?:es|ion)"
        ),
        providers=frozenset({"replicate", "lambda"}),
    ),
    KnownFailure(
        id="rate_limit",
        title="Rate limit reached",
        cause="Too many requests in a short time: the provider (or OpenAI) refused this one with HTTP 429.",
        fix=(
            "Wait a minute and try again; a refused request created no job and charged nothing. If it keeps "
            "happening, lower WORKER_CONCURRENCY or check the account's rate limits."
        ),
        remedy="retry",
        doc_query="429 rate limit Retry-After throttled",
        codes=frozenset({"rate_limit", "rate_limited", "ratelimited", "rate_limit_exceeded", "429", "throttled"}),
        pattern=_p(r"rate[ _-]?limit|throttl|too many requests|http 429|\b429\b"),
    ),
    KnownFailure(
        id="invalid_parameters",
        title="Invalid model parameters",
        cause="The provider refused a parameter value the model does not accept (HTTP 400 or 422).",
        fix=(
            "Use only the values the model offers (the wizard and the Integrator list them): for example Veo "
            "durations 4, 6 or 8 s, Wan 5 or 10 s. The Integrator corrects the parameters of a new take to the "
            "nearest valid values and says what it changed."
        ),
        remedy="fix_parameters",
        doc_query="parameters allowed values duration resolution aspect_ratio",
        codes=frozenset({"invalid_params", "invalid_parameters", "validationerror", "validation_error", "400", "422"}),
        pattern=_p(
            r"must be one of|invalid (?:param|value|input|argument)|validation ?error|unsupported|"
            r"out of range|is required|unknown parameter|http 4(?:00|22)"
        ),
    ),
    KnownFailure(
        id="timeout",
        title="The job took too long",
        cause=(
            "The provider did not finish within the model's time limit, or stopped answering (a gateway "
            "timeout after 29 s, a job stuck in processing)."
        ),
        fix=(
            "Generate a new take; a stuck job is cancelled and its reservation returned. Shorter clips and "
            "lower resolutions finish faster. If many jobs time out, check the provider's status page."
        ),
        remedy="retry",
        doc_query="timeout 29 s processing stuck deadline",
        codes=frozenset({"timeout", "timed_out", "deadline_exceeded", "504"}),
        pattern=_p(
            r"time[ds]?[ -]?out|deadline|stuck|not finished after|took too long|did not answer|"
            r"gateway|\b504\b"
        ),
        stages=frozenset({"status"}),
    ),
    KnownFailure(
        id="auth",
        title="Credentials refused",
        cause="The provider or OpenAI refused the API key or token (HTTP 401 or 403): missing, wrong or revoked.",
        fix=(
            "Set the right key in .env (LAMBDA_API_KEY, REPLICATE_API_TOKEN or OPENAI_API_KEY), restart the "
            "app, and use Settings & health → Test connection before generating again."
        ),
        remedy="fix_settings",
        doc_query="x-api-key Authorization 401 403 Unauthorized token",
        codes=frozenset({"unauthorized", "invalid_api_key", "forbidden", "auth", "401", "403"}),
        pattern=_p(r"unauthori[sz]ed|authenticat|api[ _-]?key|invalid token|forbidden|http 40[13]|credential"),
    ),
    KnownFailure(
        id="budget",
        title="Budget exhausted",
        cause=(
            "The novela's budget (or the provider account's credit) cannot cover this generation: the app "
            "reserves each take's price before submitting and refuses what would exceed the budget."
        ),
        fix=(
            "Raise the novela's budget, cancel takes you no longer need, or choose a cheaper model, a shorter "
            "duration or a lower resolution (the cost calculator compares them). For provider credit, top up "
            "the account's billing."
        ),
        remedy="fix_settings",
        doc_query="budget reserve price cost per second",
        codes=frozenset({"budget", "budget_exceeded", "insufficient_credit", "payment_required", "402"}),
        pattern=_p(
            r"budget|insufficient (?:credit|funds|balance)|payment required|billing|spend(?:ing)? limit|"
            r"\b402\b"
        ),
    ),
    KnownFailure(
        id="output_expired",
        title="The output link expired before it was saved",
        cause=(
            "Provider output URLs are temporary (Replicate deletes API outputs after one hour); the file was "
            "gone when the app tried to copy it into storage."
        ),
        fix=(
            "Generate a new take; the expired output cannot be recovered. Keep the app (or `python -m vsl "
            "worker`) running while jobs are in flight so outputs are copied as soon as they finish."
        ),
        remedy="retry",
        doc_query="output deleted after 1 hour copy to storage expired",
        codes=frozenset({"expired", "output_expired", "accessdenied"}),
        pattern=_p(r"expired|no longer available|accessdenied"),
        stages=frozenset({"download"}),
        providers=frozenset({"replicate"}),
    ),
    KnownFailure(
        id="unknown_submission",
        title="Submission outcome unknown",
        cause=(
            "The app sent the job but never learned whether the provider accepted it (a crash, a timeout or a "
            "garbled answer while submitting). The app never resubmits such a job on its own."
        ),
        fix=(
            "Check the provider's dashboard. On the board, Resubmit sends the same request id (the VSL Lambda "
            "API then returns the same job, with no second charge) and Mark failed returns the reservation."
        ),
        remedy="check_provider",
        doc_query="Idempotency-Key clientRequestId same jobId never resubmit",
        codes=frozenset({"unknown", "submit_outcome_unknown", "outcome_unknown"}),
        pattern=_p(
            r"outcome unknown|unknown (?:submission|outcome)|may or may not have accepted|"
            r"stopped while submitting"
        ),
        weight=4.0,
    ),
    KnownFailure(
        id="storage",
        title="The output could not be stored",
        cause=(
            "The app could not write the finished video to its storage (S3 bucket missing or not writable, "
            "wrong credentials or region, a full disk) or could not find it in the bucket."
        ),
        fix=(
            "Check S3_BUCKET, AWS credentials, AWS_REGION and S3_ENDPOINT_URL (or free disk space for the "
            "local MEDIA_DIR), run Settings & health → Test connection for storage, then generate a new take."
        ),
        remedy="fix_settings",
        doc_query="S3 bucket storage output s3Key",
        codes=frozenset({"storage", "nosuchbucket", "nosuchkey", "s3_error"}),
        pattern=_p(
            r"nosuchbucket|nosuchkey|not in the bucket|storage|\bs3\b|no space|disk full|could not (?:write|save)"
        ),
        stages=frozenset({"store"}),
    ),
)

UNKNOWN = KnownFailure(
    id="unrecognised",
    title="Unrecognised failure",
    cause="This failure does not match a known pattern; the provider's own message is the best clue.",
    fix=(
        "Read the provider's message and the job events, try a new take with the same settings once, and if it "
        "fails again try another model or ask in the agent chat with the failure attached."
    ),
    remedy="retry",
    doc_query="failed error",
)


def _score(known: KnownFailure, facts: FailureFacts) -> Match:
    evidence: list[str] = []
    score = 0.0
    if facts.code and facts.code.strip().lower() in known.codes:
        score += 3
        evidence.append(f"code {facts.code}")
    if known.pattern is not None and facts.message and (found := known.pattern.search(facts.message)):
        score += known.weight
        evidence.append(f"message mentions {found.group(0)!r}")
    if facts.stage and facts.stage in known.stages:
        score += 1
        evidence.append(f"stage {facts.stage}")
    if facts.provider and facts.provider in known.providers:
        score += 0.5
    return Match(known, score, tuple(evidence))


def match(facts: FailureFacts) -> list[Match]:
    """Known failures that fit `facts`, best first (ties keep the table's order, specific entries first)."""
    scored = [_score(known, facts) for known in KNOWN_FAILURES]
    return sorted((m for m in scored if m.score >= THRESHOLD), key=lambda m: -m.score)


def diagnose(facts: FailureFacts) -> Match:
    """The best known failure for `facts`, or the 'unrecognised' entry."""
    found = match(facts)
    return found[0] if found else Match(UNKNOWN, 0.0)
