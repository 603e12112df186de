"""1,000 in-flight video jobs through the real Worker against FakeLambdaServer, on SQLite.

The fake runs in its own process (as the real API would be elsewhere) and serves a small real MP4 as every
output; the Worker runs its real loop (`Worker.run`) with a fast poll configuration, local storage and the real
LambdaApiProvider, wrapped only to count the status calls it makes per job. Half the jobs finish on their 3rd
status poll, half a few seconds after they were created (whenever the worker next looks).

Measured:
- requests per job per poll: the fake's status requests for a job / the worker's status calls for it
  (goal <= 1: no retry storms, no duplicate polling);
- delay from the fake's status change (its history timestamp) to the take's `completed_at` in the database,
  p50 / p95 / max (goal p95 <= 2 s), for all jobs and for each half;
- submit time, total time, polls per job and the poll rate the worker sustained.

Beside it, the chaos run of issue 13 (`tests/jobs/chaos.py`) on SQLite and on PostgreSQL (when a server can be
had): 30 paid takes through two worker processes SIGKILLed four times, against a fake Lambda sending 5xx, 429,
bodies that are not JSON, hangs and content-policy failures; reported are what was left for a person, double
charges, dangling reservations, media rows per completed take, resubmissions and the faults sent.

    python -m bench.worker_bench [--jobs 1000] [--limit-s 150] [--no-chaos]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import print_table, write_result
from vsl.config import load_settings
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.jobs import actions
from vsl.jobs.states import TERMINAL
from vsl.jobs.worker import Worker, WorkerConfig
from vsl.novelas import limits, service
from vsl.novelas.validation import NovelaInput
from vsl.providers.animatic import AnimaticSpec, render_animatic
from vsl.providers.base import JobSnapshot, SubmitRequest
from vsl.providers.lambda_api import LambdaApiProvider
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage

SCENES_PER_NOVELA = min(25, limits.SCENES.high)  # paid scenes confirmed per novela (25: a divisor of 1,000)
CONFIG = WorkerConfig(concurrency=16, poll_min_s=0.5, poll_max_s=1.0, lease_s=120, idle_s=0.05)
GOAL_REQUESTS_PER_POLL = 1.0
GOAL_P95_S = 2.0
SUCCEEDED = "succeeded"


# ── the fake, in its own process ─────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class FakeJobStats:
    job_id: str
    status_polls: int
    succeeded_at: float | None  # time.time() of the change to succeeded, from the fake's history
    timed: bool  # finished after some seconds (True) or on its 3rd poll (False)


def _plan_for(output: bytes) -> Any:
    from tests.fakes.http_server import Plan

    def plan(body: dict[str, Any]) -> Plan:
        video_id = int(body["metadata"]["videoId"])
        if video_id % 2:
            return Plan(polls=None, after_s=2.0 + (video_id % 16) * 0.5, output=output, cost="1.10")
        return Plan(polls=3, output=output, cost="1.10")

    return plan


def serve_fake(conn: Connection, output: bytes) -> None:
    """Child process: run FakeLambdaServer until told to stop, then send back what it saw of every job."""
    from tests.fakes.lambda_server import FakeLambdaServer

    with FakeLambdaServer(plan=_plan_for(output)) as fake:
        conn.send(fake.base_url)
        conn.recv()
        stats = [
            FakeJobStats(j.id, j.status_polls, j.changed_to(SUCCEEDED), j.plan.after_s is not None) for j in fake.jobs
        ]
        conn.send((stats, len(fake.requests_to("POST", "/homolog/generate"))))


class FakeProcess:
    def __init__(self, output: bytes) -> None:
        self._conn, child = multiprocessing.get_context("spawn").Pipe()
        self._process = multiprocessing.get_context("spawn").Process(target=serve_fake, args=(child, output))
        self._process.start()
        if not self._conn.poll(30):
            raise RuntimeError("the fake Lambda server did not start within 30 s")
        self.base_url: str = self._conn.recv()

    def finish(self) -> tuple[list[FakeJobStats], int]:
        self._conn.send("stop")
        if not self._conn.poll(60):
            raise RuntimeError("the fake Lambda server did not report within 60 s")
        stats = self._conn.recv()
        self._process.join(timeout=30)
        return stats


# ── the worker side ──────────────────────────────────────────────────────────────────────────────────────
class CountingProvider:
    """The real Lambda provider; counts the status calls the worker makes per job (one per poll)."""

    name = "lambda"
    submit_recovery = LambdaApiProvider.submit_recovery
    resubmit_window_s = LambdaApiProvider.resubmit_window_s

    def __init__(self, inner: LambdaApiProvider) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.status_calls: Counter[str] = Counter()

    def submit(self, request: SubmitRequest) -> JobSnapshot:
        return self._inner.submit(request)

    def find_submission(self, client_request_id: str) -> JobSnapshot | None:
        return self._inner.find_submission(client_request_id)

    def status(self, job_id: str) -> JobSnapshot:
        with self._lock:
            self.status_calls[job_id] += 1
        return self._inner.status(job_id)

    def cancel(self, job_id: str) -> JobSnapshot:
        return self._inner.cancel(job_id)


def small_mp4(folder: Path) -> bytes:
    spec = AnimaticSpec(title="Bench", episode=1, scene=1, prompt="Rain.", duration_s=1, resolution="480p")
    return render_animatic(spec, folder / "output.mp4").read_bytes()


def reserve_jobs(db: Database, registry: ProviderRegistry, jobs: int) -> None:
    """Novelas of SCENES_PER_NOVELA paid scenes each (the last may have fewer), every scene confirmed (reserved)."""
    for start in range(0, jobs, SCENES_PER_NOVELA):
        scenes = min(SCENES_PER_NOVELA, jobs - start)
        data = NovelaInput(
            title=f"Bench {start // SCENES_PER_NOVELA + 1}",
            default_model_id="veo-3.1-fast",
            default_duration=8,
            default_resolution="720p",
            scenes_per_episode=scenes,
        )
        novela = service.create(db, data)
        targets = actions.targets_rest_of_episode(db, novela.id, 1)
        actions.confirm(db, registry, actions.quote(db, registry, targets))


def count_in(db: Database, statuses: set[str]) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(NovelaVideo.id)).where(NovelaVideo.status.in_(statuses))) or 0


@dataclass
class Phases:
    all_submitted_s: float | None = None
    total_s: float = 0.0
    peak_at_provider: int = 0  # most jobs seen at once in queued, running or storing


def run_worker(db: Database, worker: Worker, jobs: int, limit_s: float) -> Phases:
    """Run the worker's loop until every job is terminal or `limit_s` passes, sampling its progress."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="bench-worker")
    phases, started = Phases(), time.monotonic()
    thread.start()
    try:
        while time.monotonic() - started < limit_s:
            phases.peak_at_provider = max(phases.peak_at_provider, count_in(db, {"queued", "running", "storing"}))
            if phases.all_submitted_s is None and count_in(db, {"reserved", "submitting"}) == 0:
                phases.all_submitted_s = round(time.monotonic() - started, 2)
            if count_in(db, set(TERMINAL)) == jobs:
                break
            time.sleep(0.25)
    finally:
        stop.set()
        thread.join(timeout=60)
    phases.total_s = round(time.monotonic() - started, 2)
    return phases


def completion_times(db: Database) -> dict[str, tuple[str, datetime | None]]:
    with db.session() as session:
        rows = session.execute(select(NovelaVideo.job_id, NovelaVideo.status, NovelaVideo.completed_at))
        return {job_id: (status, done) for job_id, status, done in rows if job_id}


# ── numbers ──────────────────────────────────────────────────────────────────────────────────────────────
def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
        "n": len(ordered),
    }


def _utc_seconds(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def analyse(stats: list[FakeJobStats], calls: Counter[str], done: dict[str, tuple[str, datetime | None]]) -> dict:
    ratios = [s.status_polls / calls[s.job_id] for s in stats if calls[s.job_id]]
    delays: dict[bool, list[float]] = {True: [], False: []}
    for s in stats:
        status, completed_at = done.get(s.job_id, ("missing", None))
        if status == "completed" and completed_at and s.succeeded_at:
            delays[s.timed].append(_utc_seconds(completed_at) - s.succeeded_at)
    polls = sum(calls.values())
    return {
        "requests_per_job_per_poll": {
            "mean": round(statistics.fmean(ratios), 4) if ratios else None,
            "max": round(max(ratios), 4) if ratios else None,
        },
        "status_requests_at_fake": sum(s.status_polls for s in stats),
        "worker_polls": polls,
        "polls_per_job": round(polls / len(stats), 2) if stats else None,
        "delay_s": {
            "all": percentiles(delays[True] + delays[False]),
            "finished_on_a_poll": percentiles(delays[False]),
            "finished_after_seconds": percentiles(delays[True]),
        },
        "statuses": dict(Counter(status for status, _ in done.values())),
    }


def run(jobs: int, limit_s: float) -> dict[str, Any]:
    logging.getLogger("vsl").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="vsl-bench-") as tmp:
        folder = Path(tmp)
        fake = FakeProcess(small_mp4(folder))
        db = Database(f"sqlite:///{folder / 'bench.db'}")
        migrate.upgrade(db)
        settings = load_settings(
            {"DATABASE_URL": db.url, "MEDIA_DIR": str(folder / "media"), "LAMBDA_API_URL": fake.base_url}
        )
        provider = CountingProvider(LambdaApiProvider(fake.base_url))
        registry = ProviderRegistry(settings, {"lambda": provider})
        worker = Worker(db, registry, LocalStorage(settings.media_dir), CONFIG)
        try:
            reserve_jobs(db, registry, jobs)
            phases = run_worker(db, worker, jobs, limit_s)
        finally:
            worker.close()
            stats, generates = fake.finish()
            registry.close()
        done = completion_times(db)
        db.dispose()
    result = analyse(stats, provider.status_calls, done)
    polls_per_s = result["worker_polls"] / phases.total_s if phases.total_s else None
    return {
        "jobs": jobs,
        "database": "sqlite",
        "worker_config": CONFIG.__dict__,
        "generate_requests": generates,
        "phases": asdict(phases),
        "polls_per_second": round(polls_per_s, 1) if polls_per_s else None,
        **result,
        "goals": {"requests_per_job_per_poll_max": GOAL_REQUESTS_PER_POLL, "delay_p95_s": GOAL_P95_S},
        "passed": _passed(result),
    }


def _passed(result: dict[str, Any]) -> dict[str, bool]:
    ratio = result["requests_per_job_per_poll"]["max"]
    p95 = result["delay_s"]["all"]["p95"]
    return {
        "requests_per_poll": ratio is not None and ratio <= GOAL_REQUESTS_PER_POLL,
        "delay_p95": p95 is not None and p95 <= GOAL_P95_S,
    }


def summary(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    delay = result["delay_s"]
    verdict = {True: "pass", False: "MISS"}
    return [
        ("jobs completed", f"{result['statuses'].get('completed', 0)} / {result['jobs']}", ""),
        (
            "requests / job / poll (max)",
            str(result["requests_per_job_per_poll"]["max"]),
            verdict[result["passed"]["requests_per_poll"]] + " (goal <= 1)",
        ),
        (
            "delay p50 / p95 / max (s)",
            f"{delay['all']['p50']} / {delay['all']['p95']} / {delay['all']['max']}",
            verdict[result["passed"]["delay_p95"]] + " (goal p95 <= 2 s)",
        ),
        ("  finished on a poll", f"{delay['finished_on_a_poll']['p50']} / {delay['finished_on_a_poll']['p95']}", ""),
        (
            "  finished after seconds",
            f"{delay['finished_after_seconds']['p50']} / {delay['finished_after_seconds']['p95']}",
            "",
        ),
        ("submit all / total (s)", f"{result['phases']['all_submitted_s']} / {result['phases']['total_s']}", ""),
        ("most jobs at the provider at once", str(result["phases"]["peak_at_provider"]), ""),
        ("polls per job, polls / s", f"{result['polls_per_job']}, {result['polls_per_second']}", ""),
    ]


# ── chaos, beside it ─────────────────────────────────────────────────────────────────────────────────────
def _chaos_on(db: Database) -> dict[str, Any]:
    from tests.jobs.chaos import run_chaos

    with tempfile.TemporaryDirectory(prefix="vsl-chaos-") as tmp:
        migrate.upgrade(db)
        report = run_chaos(db, Path(tmp))
        db.dispose()
    result = report.as_dict()
    result["passed"] = {"clean": report.clean, "nothing_for_a_person": not report.needs_attention}
    return result


def chaos() -> dict[str, Any]:
    """The chaos run on SQLite and, when a PostgreSQL server can be had, on PostgreSQL."""
    from tests import pg

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vsl-chaos-db-") as tmp:
        results["sqlite"] = _chaos_on(Database(f"sqlite:///{tmp}/chaos.db", schema="vsl_frontend"))
    try:
        with pg.server_url() as admin, pg.throwaway_database(admin) as url:
            results["postgresql"] = _chaos_on(Database(url, schema="vsl_frontend"))
    except Exception as exc:  # no server and no binaries: say so rather than fail the whole benchmark
        results["postgresql"] = {"skipped": str(exc)}
    return results


def chaos_summary(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for database, r in results.items():
        if "skipped" in r:
            rows.append((database, "skipped", r["skipped"][:60]))
            continue
        verdict = "pass" if r["clean"] else "MISS"
        rows += [
            (f"{database}: takes, kills, seconds", f"{r['takes']}, {r['kills']}, {r['seconds']}", verdict),
            (f"  {database}: statuses", ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items())), ""),
            (f"  {database}: needing a person", str(len(r["needs_attention"])), "(goal 0 unless unknowable)"),
            (f"  {database}: double charges, dangling $", f"{r['double_charges']}, {r['dangling_reservation']}", ""),
            (f"  {database}: resubmitted by itself", str(r["resubmitted"]), ""),
            (f"  {database}: faults sent", str(sum(r["faults_sent"].values())), ""),
        ]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--limit-s", type=float, default=150.0, help="stop waiting for the jobs after this long")
    parser.add_argument("--no-chaos", action="store_true", help="skip the chaos run")
    args = parser.parse_args(argv)
    result = run(args.jobs, args.limit_s)
    if not args.no_chaos:
        result["chaos"] = chaos()
    path = write_result("worker", result)
    print_table("worker: 1,000 in-flight jobs against the fake Lambda (SQLite)", summary(result))
    if "chaos" in result:
        print_table("chaos: faulty fake Lambda, two workers SIGKILLed four times", chaos_summary(result["chaos"]))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
