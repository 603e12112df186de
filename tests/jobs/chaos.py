"""Worker processes for tests and the benchmark, and the chaos run of issue 13.

`Workers` starts `python -m vsl worker` processes on a test's settings. `run_chaos` sends paid takes through two
such workers against a fake VSL Lambda that misbehaves at random (`Faults`: 5xx, 429, bodies that are not JSON,
hangs longer than the lease, content-policy failures), SIGKILLs one of the workers at random moments and
restarts it, and reports what a person would have to clean up afterwards (`ChaosReport`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.fakes.http_server import FAILED, Plan
from tests.fakes.lambda_server import FakeLambdaServer, Faults, content_policy_plan
from vsl.config import PROJECT_ROOT, load_settings
from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import MediaItem, NovelaVideo
from vsl.jobs import actions
from vsl.jobs.states import TERMINAL
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.providers.registry import ProviderRegistry

PROCESS_DEADLINE_S = 60.0  # generous: other test runs share this 2-core machine
WORKER_ENV = {
    "WORKER_LEASE_S": "2",  # a dead worker's claims become free again after 2 s
    "POLL_MIN_S": "0.1",
    "POLL_MAX_S": "0.3",
    "EMBEDDED_WORKER": "false",
    "S3_PREFIX": "",
    "LAMBDA_API_KEY": "",
    "REPLICATE_API_TOKEN": "",
    "PYTHONUNBUFFERED": "1",
}


class Workers:
    """Starts `python -m vsl worker` processes with the test's settings; stops every one it started."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, concurrency: int = 4) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.started)}.log").open("wb")
        env = {**self.env, "WORKER_CONCURRENCY": str(concurrency)}
        cmd = [sys.executable, "-m", "vsl", "worker"]
        process = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for process in self.started:
            self.stop(process)

    def errors(self) -> list[str]:
        """Lines the workers logged at ERROR level (a swallowed exception, a failed step)."""
        lines = (line for p in self.logs.glob("worker-*.log") for line in p.read_text(errors="replace").splitlines())
        return [line for line in lines if " ERROR " in line or line.startswith("Traceback")]

    def log_tail(self) -> str:
        texts = [p.read_text(errors="replace")[-2000:] for p in sorted(self.logs.glob("worker-*.log"))]
        return "\n---\n".join(texts)

    def wait_for(self, what: str, condition: Callable[[], bool], timeout_s: float = PROCESS_DEADLINE_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            dead = [p.args for p in self.started if p.poll() not in (None, -signal.SIGKILL, 0)]
            assert not dead, f"a worker process died while waiting for {what}:\n{self.log_tail()}"
            assert time.monotonic() < deadline, f"{what} did not happen within {timeout_s:g} s:\n{self.log_tail()}"
            time.sleep(0.05)


def worker_env(db: Database, media_dir: Path, lambda_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker process on `db`, sending paid takes to the Lambda at `lambda_url`."""
    return {
        **os.environ,
        **WORKER_ENV,
        "DATABASE_URL": db.url,
        "DB_SCHEMA": db.schema or "vsl_frontend",
        "MEDIA_DIR": str(media_dir),
        "LAMBDA_API_URL": lambda_url,
        **extra,
    }


# ── the chaos run ────────────────────────────────────────────────────────────────────────────────────────
CHAOS_CHARGE = Decimal("1.10")
CHAOS_FAULTS = Faults(hang_s=3.0)  # hangs of three leases (2 s), answered well within the 35 s read timeout


@dataclass
class ChaosReport:
    takes: int
    kills: int
    seconds: float
    statuses: dict[str, int]
    needs_attention: list[tuple[int, str]]  # (take, the reason it gives)
    unsettled: list[int]  # takes neither terminal nor needing attention when the run ended
    double_charges: int  # takes with more than one job at the fake, or a job id not the one its key made
    dangling_reservation: Decimal  # money still reserved beyond what takes needing attention hold
    media_problems: list[int]  # completed takes without exactly one media row (or media of other takes)
    failures_without_words: list[int]  # failed takes missing the stage, the provider or the provider's words
    resubmitted: int  # takes whose request id reached the fake more than once (recovered by themselves)
    faults_sent: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (
            self.unsettled
            or self.double_charges
            or self.dangling_reservation
            or self.media_problems
            or self.failures_without_words
        ) and all(reason for _, reason in self.needs_attention)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["dangling_reservation"] = str(self.dangling_reservation)
        return {**data, "clean": self.clean}


def chaos_plan(body: Any) -> Plan:
    """One take in ten fails the content policy; the others finish 0.5 to 1.7 s after they were created."""
    video_id = int(body["metadata"]["videoId"])
    if video_id % 10 == 3:
        return content_policy_plan(polls=None, after_s=0.5)
    return Plan(polls=None, after_s=0.5 + 0.3 * (video_id % 5), cost=str(CHAOS_CHARGE))


def confirm_paid(db: Database, lambda_url: str, media_dir: Path, scenes: int) -> int:
    """A novela of `scenes` paid takes (veo-3.1-fast through the Lambda), all confirmed; returns its id."""
    data = NovelaInput(
        title="Chaos",
        default_model_id="veo-3.1-fast",
        default_duration=8,
        default_resolution="720p",
        scenes_per_episode=scenes,
    )
    novela_id = service.create(db, data).id
    settings_env = {"DATABASE_URL": "sqlite://", "MEDIA_DIR": str(media_dir), "LAMBDA_API_URL": lambda_url}
    registry = ProviderRegistry(load_settings(settings_env))
    try:
        targets = actions.targets_rest_of_episode(db, novela_id, 1)
        actions.confirm(db, registry, actions.quote(db, registry, targets))
    finally:
        registry.close()
    return novela_id


def run_chaos(
    db: Database, workdir: Path, *, scenes: int = 30, kills: int = 4, limit_s: float = 120.0, seed: int = 13
) -> ChaosReport:
    """Run the takes of a fresh novela through two SIGKILLed workers against a faulty fake Lambda."""
    rng = random.Random(seed)
    started = time.monotonic()
    with FakeLambdaServer(plan=chaos_plan, faults=CHAOS_FAULTS) as fake:
        media = workdir / "media"
        novela_id = confirm_paid(db, fake.base_url, media, scenes)
        workers = Workers(worker_env(db, media, fake.base_url), workdir)
        try:
            running = [workers.start(), workers.start()]
            killed = 0
            next_kill = time.monotonic() + rng.uniform(0.5, 2.5)
            while not _settled(db, novela_id) and time.monotonic() - started < limit_s:
                if killed < kills and time.monotonic() >= next_kill:
                    victim = rng.randrange(len(running))
                    workers.stop(running[victim], signal.SIGKILL)
                    running[victim] = workers.start()
                    killed += 1
                    next_kill = time.monotonic() + rng.uniform(0.5, 2.5)
                time.sleep(0.05)
        finally:
            workers.stop_all()
        return _report(db, fake, novela_id, killed, time.monotonic() - started)


def _takes(db: Database, novela_id: int) -> list[NovelaVideo]:
    with db.session() as session:
        stmt = select(NovelaVideo).where(NovelaVideo.novela_id == novela_id).order_by(NovelaVideo.id)
        return list(session.scalars(stmt))


def _settled(db: Database, novela_id: int) -> bool:
    return all(v.status in TERMINAL or v.status == "needs_attention" for v in _takes(db, novela_id))


def _report(db: Database, fake: FakeLambdaServer, novela_id: int, kills: int, seconds: float) -> ChaosReport:
    rows = _takes(db, novela_id)
    jobs_by_key: dict[str, list[str]] = {}
    for job in fake.jobs:
        jobs_by_key.setdefault(job.body["metadata"]["clientRequestId"], []).append(job.id)
    keys_sent = Counter(r.header("Idempotency-Key") for r in fake.requests_to("POST", fake.stage + "/generate"))
    with db.session() as session:
        stored = novela_repo.get(session, novela_id)
        media = Counter(m.video_id for m in session.scalars(select(MediaItem).where(MediaItem.novela_id == novela_id)))
        reasons = {v.id: _reason(video_repo.events(session, v.id)[-1].payload) for v in rows}
    attention = [v for v in rows if v.status == "needs_attention"]
    held = sum((v.reserved_cost for v in attention), Decimal(0))  # may stay reserved: nobody knows if it was charged
    assert stored is not None
    return ChaosReport(
        takes=len(rows),
        kills=kills,
        seconds=round(seconds, 1),
        statuses=dict(Counter(v.status for v in rows)),
        needs_attention=[(v.id, reasons[v.id]) for v in attention],
        unsettled=[v.id for v in rows if v.status not in TERMINAL and v.status != "needs_attention"],
        double_charges=sum(_charged_twice(v, jobs_by_key) for v in rows),
        dangling_reservation=stored.reserved_cost - held + sum((v.reserved_cost for v in rows), Decimal(0)) - held,
        media_problems=[v.id for v in rows if (v.status == "completed") != (media[v.id] == 1) or media[v.id] > 1],
        failures_without_words=[
            v.id
            for v in rows
            if v.status == FAILED and not (v.failure_stage and v.failure_provider and v.failure_message)
        ],
        resubmitted=sum(keys_sent[v.client_request_id] > 1 for v in rows),
        faults_sent=dict(fake.faults_sent),
    )


def _charged_twice(video: NovelaVideo, jobs_by_key: dict[str, list[str]]) -> bool:
    jobs = jobs_by_key.get(video.client_request_id or "", [])
    return len(jobs) > 1 or (video.job_id is not None and video.job_id not in jobs)


def _reason(payload: dict[str, Any]) -> str:
    return str(payload.get("reason") or "")
