"""Status at scale (issue 12, docs/adr/0007-batched-polling.md): the batched poller against the fake Lambda and the
fake Replicate, side by side in one run.

Each fake runs in its own process with keep-alive connections (as the real APIs keep them). Measured, per fake:
1. floor: a bare HTTP client (one `requests.Session` per thread, as many threads as the poller) asking the fake
   for single job statuses as fast as it answers;
2. throughput: one Worker (the real `Worker.run` loop, real providers, SQLite) with 1,000 jobs that never finish
   and nothing else to do: job statuses read per second (goal: at least half the floor);
3. latency: 1,000 jobs through submit, poll and store: provider change → the row's first change that shows it
   (the take leaving queued/running, e.g. to `storing`, timed when its transaction committed) p95 (goal <= 2 s),
   next to change → `completed_at` (after download and thumbnail); status requests per job poll (goal <= 1) and
   the most requests in any 60 s (goal: within the provider's limit);
then, on PostgreSQL against the fake Lambda, 1, 2 and 4 `python -m vsl worker` processes: the throughput curve,
and on a run to completion: no job polled by two workers at once, each take stored, charged and counted once.

    python -m bench.poll_bench [--jobs 1000] [--seconds 6] [--no-processes]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bench import print_table, write_result
from bench.worker_bench import _utc_seconds, completion_times, count_in, percentiles, reserve_jobs, small_mp4
from vsl.config import PROJECT_ROOT, load_settings
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import JobEvent, MediaItem, Novela, NovelaVideo
from vsl.jobs.poller import PollerConfig
from vsl.jobs.states import TERMINAL
from vsl.jobs.worker import Worker, WorkerConfig
from vsl.providers.base import JobSnapshot, SubmitRequest
from vsl.providers.lambda_api import LambdaApiProvider
from vsl.providers.registry import ProviderRegistry
from vsl.providers.replicate import ReplicateProvider
from vsl.storage.local import LocalStorage

TOKEN = "r8_bench_token"
THREADS = 8  # the poller's concurrent status calls, and the floor client's threads
LAMBDA_PER_MIN = 60_000.0  # the Lambda limit set for the benchmark (LAMBDA_REQUESTS_PER_MIN)
LIMITS = {"lambda": LAMBDA_PER_MIN, "replicate": float(ReplicateProvider.requests_per_min)}
THROUGHPUT = WorkerConfig(concurrency=16, poll_min_s=0.0, poll_max_s=0.0, lease_s=120, idle_s=0.05)
LATENCY = WorkerConfig(concurrency=16, poll_min_s=0.5, poll_max_s=1.0, lease_s=120, idle_s=0.05)
POLLING = PollerConfig(threads=THREADS, requests_per_min={"lambda": LAMBDA_PER_MIN}, history_refresh_s=2.0)
GOAL_SHARE_OF_FLOOR, GOAL_P95_S = 0.5, 2.0
MODEL = "veo-3.1-fast"


# ── the fakes, each in its own process ────────────────────────────────────────────────────────────────
def _plan(kind: str, output: bytes) -> Callable[[Any], Any]:
    """ "never": jobs stay unfinished; "mixed": every other job finishes on its 3rd poll, the rest 2 to 9.5 s after
    creation (by creation order, which both fakes see)."""
    from tests.fakes.http_server import Plan

    order = itertools.count()

    def plan(_body: Any) -> Plan:
        n = next(order)
        if kind == "never":
            return Plan(polls=None, output=output, cost="1.10")
        if n % 2:
            return Plan(polls=None, after_s=2.0 + (n % 16) * 0.5, output=output, cost="1.10")
        return Plan(polls=3, output=output, cost="1.10")

    return plan


def _serve(conn: Connection, provider: str, kind: str, output: bytes) -> None:
    from tests.fakes.lambda_server import FakeLambdaServer
    from tests.fakes.replicate_server import FakeReplicateServer

    plan = _plan(kind, output)
    fake = FakeLambdaServer(plan=plan) if provider == "lambda" else FakeReplicateServer(token=TOKEN, plan=plan)
    fake.keep_alive = True
    status = "/homolog/status/" if provider == "lambda" else "/v1/predictions"
    with fake:
        conn.send(fake.base_url)
        while (command := conn.recv()) != "stop":
            asked = [r for r in fake.requests if r.method == "GET" and r.path.startswith(status)]
            if command == "count":
                conn.send((len(asked), sum(j.status_polls for j in fake.jobs)))
            else:  # "report"
                jobs = [
                    (j.id, j.status_polls, j.changed_to("succeeded"), j.plan.after_s is not None) for j in fake.jobs
                ]
                by_job = defaultdict(list)
                for r in asked:
                    by_job[r.path.rsplit("/", 1)[-1]].append(r.at)
                generates = sum(r.method == "POST" for r in fake.requests if not r.path.startswith("/files/"))
                conn.send((jobs, [r.at for r in asked], dict(by_job), generates))


class FakeProcess:
    def __init__(self, provider: str, kind: str, output: bytes) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, provider, kind, output))
        self._process.start()
        if not self._conn.poll(30):
            raise RuntimeError(f"the fake {provider} did not start within 30 s")
        self.base_url: str = self._conn.recv()

    def ask(self, command: str) -> Any:
        self._conn.send(command)
        if not self._conn.poll(120):
            raise RuntimeError("the fake did not answer within 120 s")
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=30)


@contextmanager
def fake_process(provider: str, kind: str, output: bytes) -> Iterator[FakeProcess]:
    fake = FakeProcess(provider, kind, output)
    try:
        yield fake
    finally:
        fake.close()


# ── the floor: a bare client ─────────────────────────────────────────────────────────────────────────
def provider_for(name: str, base_url: str) -> LambdaApiProvider | ReplicateProvider:
    if name == "lambda":
        return LambdaApiProvider(base_url)
    return ReplicateProvider(TOKEN, base_url=base_url, model_ref=lambda _: ("google/veo-3.1-fast", None))


def floor(name: str, output: bytes, seconds: float) -> float:
    """Single status requests per second a bare keep-alive client gets from the fake (THREADS threads)."""
    with fake_process(name, "never", output) as fake:
        provider = provider_for(name, fake.base_url)
        ids = [provider.submit(SubmitRequest(MODEL, "video", "x", {}, f"floor-{n}")).job_id for n in range(200)]
        paths = [f"/status/{i}" if name == "lambda" else f"/predictions/{i}" for i in ids]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        counts = [0] * THREADS
        end = time.monotonic() + seconds

        def hammer(slot: int) -> None:
            session = requests.Session()
            for path in itertools.cycle(paths[slot::THREADS]):
                if time.monotonic() > end:
                    return
                session.get(fake.base_url + path, headers=headers, timeout=10).raise_for_status()
                counts[slot] += 1

        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(THREADS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(counts) / (time.monotonic() - started)


# ── one worker process ───────────────────────────────────────────────────────────────────────────────
class Counted:
    """The real provider; counts the job statuses the worker asked for (one per job per poll)."""

    def __init__(self, inner: LambdaApiProvider | ReplicateProvider) -> None:
        self._inner = inner
        self.name = inner.name
        self.asked = 0
        self._lock = threading.Lock()

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._inner, attribute)

    def status(self, job_id: str) -> JobSnapshot:
        with self._lock:
            self.asked += 1
        return self._inner.status(job_id)

    def status_many(self, job_ids: list[str], *, max_pages: int) -> dict[str, JobSnapshot]:
        with self._lock:
            self.asked += len(job_ids)
        return self._inner.status_many(job_ids, max_pages=max_pages)  # type: ignore[union-attr]


@dataclass
class Setup:
    db: Database
    registry: ProviderRegistry
    provider: Counted
    worker: Worker


@contextmanager
def one_worker(name: str, base_url: str, folder: Path, config: WorkerConfig) -> Iterator[Setup]:
    db = Database(f"sqlite:///{folder / f'{name}.db'}")
    migrate.upgrade(db)
    env = {"DATABASE_URL": db.url, "MEDIA_DIR": str(folder / "media")}
    env |= {"LAMBDA_API_URL": base_url} if name == "lambda" else {"REPLICATE_API_TOKEN": TOKEN}
    provider = Counted(provider_for(name, base_url))
    registry = ProviderRegistry(load_settings(env), {name: provider})  # type: ignore[dict-item]
    worker = Worker(db, registry, LocalStorage(folder / "media"), config, polling=POLLING)
    try:
        yield Setup(db, registry, provider, worker)
    finally:
        worker.close()
        registry.close()
        db.dispose()


@contextmanager
def running(worker: Worker) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="bench-worker")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=120)


def wait_until(what: str, condition: Callable[[], bool], limit_s: float, *, must: bool = True) -> float:
    """Seconds until `condition` held; past `limit_s` an error, or (with `must=False`) the time waited."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > limit_s:
            if must:
                raise RuntimeError(f"{what} did not happen within {limit_s:g} s")
            print(f"  {what} did not happen within {limit_s:g} s: measuring what did", flush=True)
            break
        time.sleep(0.1)
    return time.monotonic() - started


def throughput(name: str, output: bytes, jobs: int, seconds: float, folder: Path) -> dict[str, float]:
    """Job statuses read per second (and requests per second) by one worker with `jobs` unfinished jobs."""
    with fake_process(name, "never", output) as fake, one_worker(name, fake.base_url, folder, THROUGHPUT) as s:
        reserve_jobs(s.db, s.registry, jobs)
        with running(s.worker):
            wait_until("submitting every job", lambda: count_in(s.db, {"reserved", "submitting"}) == 0, 400)
            requests0, reads0 = fake.ask("count")
            time.sleep(seconds)
            requests1, reads1 = fake.ask("count")
    return {
        "statuses_per_s": round((reads1 - reads0) / seconds, 1),
        "requests_per_s": round((requests1 - requests0) / seconds, 1),
    }


class RowChanges:
    """When each take's row first showed its job had finished at the provider: the commit of the transaction that
    moved it out of queued/running (to `storing`, or `failed`/`canceled`), timed with `time.time()` right after
    the database's COMMIT returned (the fakes' clock), with the event's own `created_at` kept as a check.

    Listens on every `Session` of this process (the benchmark's worker is the only writer) while in use."""

    WAITING = frozenset({"queued", "running"})

    def __init__(self) -> None:
        self.committed: dict[int, tuple[str, float, float]] = {}  # video id → (to status, committed at, created_at)
        self._lock = threading.Lock()

    def __enter__(self) -> RowChanges:
        event.listen(Session, "after_flush", self._flushed)
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_soft_rollback", self._rolled_back)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(Session, "after_flush", self._flushed)
        event.remove(Session, "after_commit", self._committed)
        event.remove(Session, "after_soft_rollback", self._rolled_back)

    def _flushed(self, session: Session, _context: Any) -> None:
        leaving = [
            (e.video_id, e.to_status, _utc_seconds(e.created_at))
            for e in session.new
            if isinstance(e, JobEvent) and e.from_status in self.WAITING and e.to_status not in self.WAITING
        ]
        if leaving:
            session.info.setdefault("bench_leaving", []).extend(leaving)

    def _committed(self, session: Session) -> None:
        leaving = session.info.pop("bench_leaving", None)
        if not leaving:
            return
        at = time.time()
        with self._lock:
            for video_id, to_status, created in leaving:
                self.committed.setdefault(video_id, (to_status, at, created))

    def _rolled_back(self, session: Session, _previous: Any) -> None:
        session.info.pop("bench_leaving", None)


def job_ids(db: Database) -> dict[int, str]:
    with db.session() as session:
        return {video_id: job_id for video_id, job_id in session.execute(select(NovelaVideo.id, NovelaVideo.job_id))}


def latency(name: str, output: bytes, jobs: int, folder: Path) -> dict[str, Any]:
    """`jobs` mixed jobs through the whole pipeline: change → first row change and → `completed_at`, requests per
    poll, the busiest minute."""
    with fake_process(name, "mixed", output) as fake, one_worker(name, fake.base_url, folder, LATENCY) as s:
        reserve_jobs(s.db, s.registry, jobs)
        with RowChanges() as rows, running(s.worker):
            total_s = wait_until("every job to finish", lambda: count_in(s.db, set(TERMINAL)) == jobs, 400, must=False)
        done, ids = completion_times(s.db), job_ids(s.db)
        stats, asked_at, _, _ = fake.ask("report")
    first_change = {ids[video_id]: change for video_id, change in rows.committed.items() if ids.get(video_id)}
    to_row: dict[bool, list[float]] = {True: [], False: []}
    to_completed: dict[bool, list[float]] = {True: [], False: []}
    commit_lag: list[float] = []  # the event's created_at → its COMMIT: what timing by created_at would leave out
    for job_id, _polls, succeeded_at, timed in stats:
        if not succeeded_at:
            continue
        to_status, committed_at, created = first_change.get(job_id, ("missing", None, None))
        if to_status == "storing" and committed_at is not None and created is not None:
            to_row[timed].append(committed_at - succeeded_at)
            commit_lag.append(committed_at - created)
        status, completed_at = done.get(job_id, ("missing", None))
        if status == "completed" and completed_at:
            to_completed[timed].append(_utc_seconds(completed_at) - succeeded_at)
    busiest_minute, busiest_second = _busiest(asked_at, 60.0), _busiest(asked_at, 1.0)
    return {
        "completed": Counter(status for status, _ in done.values()).get("completed", 0),
        "total_s": round(total_s, 1),
        "first_row_change_s": _split(to_row),
        "delay_s": _split(to_completed),
        "event_to_commit_s": percentiles(commit_lag),
        "status_requests": len(asked_at),
        "job_polls": s.provider.asked,
        "requests_per_job_poll": round(len(asked_at) / s.provider.asked, 3) if s.provider.asked else None,
        "busiest_60_s": busiest_minute,
        "busiest_1_s": busiest_second,
        "limit_per_min": LIMITS[name],
    }


def _split(delays: dict[bool, list[float]]) -> dict[str, dict[str, float | None]]:
    return {
        "all": percentiles(delays[True] + delays[False]),
        "finished_on_a_poll": percentiles(delays[False]),
        "finished_after_seconds": percentiles(delays[True]),
    }


def _busiest(times: list[float], window: float) -> int:
    """The most requests within any `window` seconds."""
    ordered, most, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > window:
            start += 1
        most = max(most, end - start + 1)
    return most


# ── several worker processes on PostgreSQL ───────────────────────────────────────────────────────────
def _worker_env(db: Database, base_url: str, folder: Path, poll_min_s: float) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db.url,
        "DB_SCHEMA": db.schema or "vsl_frontend",
        "MEDIA_DIR": str(folder / "media"),
        "LAMBDA_API_URL": base_url,
        "LAMBDA_REQUESTS_PER_MIN": str(LAMBDA_PER_MIN),
        "EMBEDDED_WORKER": "false",
        "WORKER_CONCURRENCY": "16",
        "POLL_MIN_S": str(poll_min_s),
        "POLL_MAX_S": str(max(poll_min_s, 1.0) if poll_min_s else 0),
        "WORKER_LEASE_S": "120",
        "S3_BUCKET": "",
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def worker_processes(count: int, env: dict[str, str], folder: Path) -> Iterator[None]:
    started = []
    for n in range(count):
        log = (folder / f"worker-{n}.log").open("wb")
        cmd = [sys.executable, "-m", "vsl", "worker"]
        started.append(subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        log.close()
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def processes(counts: list[int], output: bytes, jobs: int, seconds: float, folder: Path) -> dict[str, Any]:
    from tests import pg

    curve, checks = {}, {}
    with pg.server_url() as admin:
        for count in counts:
            where = folder / f"pg-{count}"
            where.mkdir()
            curve[count] = polls_per_s(admin, count, output, jobs, seconds, where)
            if count > 1:
                checks[count] = run_to_completion(admin, count, output, min(jobs, 400), where)
    return {"polls_per_s_by_processes": curve, "correctness_by_processes": checks}


@contextmanager
def jobs_on_postgresql(admin: str, kind: str, output: bytes, jobs: int) -> Iterator[tuple[Database, FakeProcess]]:
    """A throw-away PostgreSQL database with `jobs` confirmed takes, and a fake Lambda of plan `kind`."""
    from tests import pg

    with pg.throwaway_database(admin) as url, fake_process("lambda", kind, output) as fake:
        db = Database(url)
        migrate.upgrade(db)
        registry = ProviderRegistry(load_settings({"DATABASE_URL": url, "LAMBDA_API_URL": fake.base_url}))
        reserve_jobs(db, registry, jobs)
        try:
            yield db, fake
        finally:
            db.dispose()


def polls_per_s(admin: str, count: int, output: bytes, jobs: int, seconds: float, folder: Path) -> float:
    """Status requests per second `count` processes make with `jobs` unfinished jobs."""
    with jobs_on_postgresql(admin, "never", output, jobs) as (db, fake):  # noqa: SIM117 (the second needs db)
        with worker_processes(count, _worker_env(db, fake.base_url, folder, 0.0), folder):
            wait_until("submitting every job", lambda: count_in(db, {"reserved", "submitting"}) == 0, 180)
            requests0, _ = fake.ask("count")
            time.sleep(seconds)
            requests1, _ = fake.ask("count")
    return round((requests1 - requests0) / seconds, 1)


def run_to_completion(admin: str, count: int, output: bytes, jobs: int, folder: Path) -> dict[str, Any]:
    """`count` processes take `jobs` mixed jobs to the end; then every take is checked to be done once."""
    with jobs_on_postgresql(admin, "mixed", output, jobs) as (db, fake):
        with worker_processes(count, _worker_env(db, fake.base_url, folder, 0.5), folder):
            wait_until("every job to finish", lambda: count_in(db, set(TERMINAL)) == jobs, 400, must=False)
        _, _, by_job, generates = fake.ask("report")
        return _settled_once(db, jobs, generates, by_job)


def _settled_once(db: Database, jobs: int, generates: int, by_job: dict[str, list[float]]) -> dict[str, Any]:
    gaps = [b - a for times in by_job.values() for a, b in itertools.pairwise(sorted(times))]
    with db.session() as session:
        completed = session.scalar(select(func.count()).where(NovelaVideo.status == "completed")) or 0
        media = session.scalar(select(func.count(MediaItem.id))) or 0
        charged = session.scalar(select(func.sum(NovelaVideo.actual_cost))) or Decimal(0)
        spent, reserved, created = session.execute(
            select(func.sum(Novela.total_cost), func.sum(Novela.reserved_cost), func.sum(Novela.created_videos))
        ).one()
    result = {
        "completed": completed,
        "generate_requests": generates,
        "media_rows": media,
        "charged": str(charged),
        "novelas_spent": str(spent),
        "still_reserved": str(reserved),
        "counted_videos": created,
        "closest_two_polls_of_one_job_s": round(min(gaps), 3) if gaps else None,
    }
    result["passed"] = {
        "each_take_once": completed == jobs == generates == media == created,
        "money_settles_once": Decimal(spent) == charged and Decimal(reserved) == 0,
        "no_job_polled_twice_at_once": bool(gaps) and min(gaps) >= 0.25,  # polls are >= 0.5 s apart by design
    }
    return result


# ── the run ──────────────────────────────────────────────────────────────────────────────────────────
def run(jobs: int, seconds: float, with_processes: bool) -> dict[str, Any]:
    logging.getLogger("vsl").setLevel(logging.WARNING)
    result: dict[str, Any] = {"jobs": jobs, "poller": {"threads": THREADS, "limits_per_min": LIMITS}}
    with tempfile.TemporaryDirectory(prefix="vsl-poll-bench-") as tmp:
        folder = Path(tmp)
        output = small_mp4(folder)
        for name in ("lambda", "replicate"):
            where = folder / name
            (where / "latency").mkdir(parents=True)
            bare = floor(name, output, seconds)
            worker = throughput(name, output, jobs, seconds, where)
            timed = latency(name, output, jobs, where / "latency")
            result[name] = {"floor_requests_per_s": round(bare, 1), "one_worker": worker, "latency": timed}
            result[name]["passed"] = _passed(name, bare, worker, timed)
        if with_processes:
            result["postgresql"] = processes([1, 2, 4], output, jobs, seconds, folder)
    return result


def _passed(name: str, bare: float, worker: dict[str, float], timed: dict[str, Any]) -> dict[str, bool]:
    return {
        "half_the_floor": worker["statuses_per_s"] >= GOAL_SHARE_OF_FLOOR * bare,
        "first_row_change_p95": (timed["first_row_change_s"]["all"]["p95"] or 1e9) <= GOAL_P95_S,
        "one_request_per_job_poll": (timed["requests_per_job_poll"] or 1e9) <= 1.0,
        "within_rate_limit": timed["busiest_60_s"] <= LIMITS[name],
    }


def summary(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    verdict = {True: "pass", False: "MISS"}
    rows = []
    for name in ("lambda", "replicate"):
        r = result[name]
        d, ok = r["latency"]["delay_s"]["all"], r["passed"]
        f = r["latency"]["first_row_change_s"]["all"]
        rows += [
            (f"{name}: bare client floor", f"{r['floor_requests_per_s']} req/s", ""),
            (
                f"{name}: one worker",
                f"{r['one_worker']['statuses_per_s']} statuses/s ({r['one_worker']['requests_per_s']} req/s)",
                verdict[ok["half_the_floor"]] + " (goal >= half the floor)",
            ),
            (
                f"{name}: change → row shows it p50/p95/max",
                f"{f['p50']} / {f['p95']} / {f['max']} s",
                verdict[ok["first_row_change_p95"]] + " (goal p95 <= 2 s)",
            ),
            (f"{name}: change → completed_at p50/p95/max", f"{d['p50']} / {d['p95']} / {d['max']} s", "(reported)"),
            (
                f"{name}: requests per job poll",
                str(r["latency"]["requests_per_job_poll"]),
                verdict[ok["one_request_per_job_poll"]],
            ),
            (
                f"{name}: busiest minute",
                f"{r['latency']['busiest_60_s']} (limit {LIMITS[name]:g})",
                verdict[ok["within_rate_limit"]],
            ),
        ]
    pg_result = result.get("postgresql")
    if pg_result:
        curve = pg_result["polls_per_s_by_processes"]
        rows.append(("postgresql: polls/s by processes", ", ".join(f"{k}: {v}" for k, v in curve.items()), ""))
        for count, check in pg_result["correctness_by_processes"].items():
            flags = " ".join(f"{k}={verdict[v]}" for k, v in check["passed"].items())
            rows.append((f"postgresql: {count} processes", f"{check['completed']} completed", flags))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.poll_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each throughput window")
    parser.add_argument("--no-processes", action="store_true", help="skip the PostgreSQL worker processes")
    args = parser.parse_args(argv)
    result = run(args.jobs, args.seconds, not args.no_processes)
    path = write_result("poll", result)
    print_table("poll: status at scale (fake Lambda and fake Replicate, one run)", summary(result))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
