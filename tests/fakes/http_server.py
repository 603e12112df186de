"""A small threaded HTTP server for tests, and the scripted job lifecycle the provider fakes share.

`FakeHttpServer` listens on 127.0.0.1 (a free port), records every request and answers from a queue of
forced replies before its own routes. `FakeJobServer` adds jobs that follow a `Plan` (finish after N status
polls or T seconds, succeed or fail), counts their status polls, time-stamps every state change and serves
their output file. One lock guards everything, and a job is a few small fields: thousands cost little.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isomfake-video-bytes"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON; None when empty or not JSON
    at: float  # time.time() when received

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class Reply:
    """One answer; `status=None` means the normal answer held back `delay_s` seconds (a slow server)."""

    status: int | None = 200
    body: Any = None  # dict/list: JSON; str/bytes: sent as they are; None: empty body
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @classmethod
    def delayed(cls, seconds: float) -> Reply:
        return cls(status=None, delay_s=seconds)

    def encoded(self) -> tuple[bytes, str]:
        """The body bytes and their default content type."""
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/html; charset=utf-8"
        if self.body is None:
            return b"", "text/plain"
        return json.dumps(self.body).encode(), "application/json"


NOT_FOUND = Reply(404, {"message": "Not Found"})


def iso(timestamp: float) -> str:
    """`2026-11-20T10:00:00.123Z`, the time format both provider APIs use."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        request = RecordedRequest(self.command, self.path, headers, _json_or_none(raw), time.time())
        fake = self.server.fake
        reply = fake.answer(request)
        if reply.delay_s and fake.stopping.wait(reply.delay_s):
            return  # shutting down: drop the answer, as a dying server would
        body, content_type = reply.encoded()
        try:
            self.send_response(reply.status or 200)
            for name, value in {"Content-Type": content_type, **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting; the work was done anyway, as in the real world

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `FakeHttpServer.requests` instead."""


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"  # connections stay open between requests, as real APIs keep them
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # handler threads are joined on close: none outlives its test
    request_queue_size = 128  # bursts of concurrent clients are not refused

    def __init__(self, fake: FakeHttpServer) -> None:
        super().__init__(("127.0.0.1", 0), _KeepAliveHandler if fake.keep_alive else _Handler)
        self.fake = fake
        if fake.keep_alive:  # an idle kept-alive connection must not hold up closing
            self.daemon_threads, self.block_on_close = True, False


class FakeHttpServer:
    """Base of the fakes: a context manager serving `route` over HTTP; `force` scripts the next answers."""

    keep_alive = False  # HTTP/1.1 persistent connections (the benchmarks); tests close each connection

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._forced: deque[tuple[str, Reply]] = deque()
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._server = _Server(self)
        serve = self._server.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.01,), name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "use the fake as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def force(self, *replies: Reply, path_prefix: str = "") -> None:
        """Answer the next requests whose path starts with `path_prefix` with `replies`, in order."""
        with self._lock:
            self._forced.extend((path_prefix, reply) for reply in replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            forced = self._pop_forced(request.path)
        if forced is not None and forced.status is not None:
            return forced
        reply = self.route(request)
        return replace(reply, delay_s=forced.delay_s) if forced is not None else reply

    def _pop_forced(self, path: str) -> Reply | None:
        for index, (prefix, reply) in enumerate(self._forced):
            if path.startswith(prefix):
                del self._forced[index]
                return reply
        return None

    def route(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError


@dataclass(frozen=True)
class Plan:
    """How a fake job behaves. It finishes with `outcome` on its `polls`-th status poll or `after_s` seconds
    after creation, whichever comes first; with both None it never finishes on its own."""

    polls: int | None = 2
    after_s: float | None = None
    outcome: str = SUCCEEDED
    error_code: str = "E001"
    error_message: str = "The model crashed while generating the video."
    output: bytes = FAKE_MP4
    content_type: str = "video/mp4"
    duration_s: int = 8
    cost: str | None = "3.20"
    predict_time: float = 42.5
    running_status: str | None = None  # status word sent while unfinished, e.g. one the client does not know
    output_as_list: bool = False  # Replicate: `[url]` instead of `url`


DEFAULT_PLAN = Plan()


@dataclass
class FakeJob:
    id: str
    plan: Plan
    body: Any
    created_at: float  # time.time()
    started: float  # time.monotonic(), for `Plan.after_s`
    state: str = QUEUED
    status_polls: int = 0
    submissions: int = 1  # how often its idempotency key was submitted
    finishing: bool = False  # `on_complete` is running: still reported as unfinished
    output_expired: bool = False
    history: list[tuple[str, float]] = field(default_factory=list)  # (state, time.time()) of every change

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def changed_at(self) -> float:
        return self.history[-1][1]

    def changed_to(self, state: str) -> float | None:
        """When the job entered `state`, or None."""
        return next((at for s, at in self.history if s == state), None)

    def wire_status(self, names: Mapping[str, str]) -> str:
        """The status word the provider sends; `Plan.running_status` replaces it while unfinished."""
        unfinished = self.plan.running_status if not self.terminal else None
        return unfinished or names[self.state]

    @property
    def output_name(self) -> str:
        return f"{self.id}{mimetypes.guess_extension(self.plan.content_type) or '.bin'}"

    def copy(self) -> FakeJob:
        return replace(self, history=list(self.history))


class FakeJobServer(FakeHttpServer):
    """Jobs following their `Plan`, and their output files at `/files/<job id>.<ext>` (expirable)."""

    id_prefix = "job_"
    expired_status = 404

    def __init__(
        self,
        plan: Plan | Callable[[Any], Plan] = DEFAULT_PLAN,
        on_complete: Callable[[FakeJob], None] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan  # or a function of the submitted body, e.g. to mix outcomes in a benchmark
        self.on_complete = on_complete  # runs once per succeeded job, before any client can see it succeeded
        self._jobs: dict[str, FakeJob] = {}
        self._by_key: dict[str, str] = {}
        self._ids = itertools.count(1)

    def job(self, job_id: str) -> FakeJob:
        with self._lock:
            return self._jobs[job_id].copy()

    @property
    def jobs(self) -> list[FakeJob]:
        with self._lock:
            return [job.copy() for job in self._jobs.values()]

    def output_url(self, job: FakeJob) -> str:
        return f"{self.url}/files/{job.output_name}"

    def expire_output(self, job_id: str) -> None:
        with self._lock:
            self._jobs[job_id].output_expired = True

    def create_job(self, body: Any, key: str | None = None) -> tuple[FakeJob, bool]:
        """A new job for `body`, or the one created earlier under the same idempotency `key` (then False)."""
        with self._lock:
            if key and key in self._by_key:
                job = self._jobs[self._by_key[key]]
                job.submissions += 1
                return job.copy(), False
            plan = self.plan(body) if callable(self.plan) else self.plan
            job = FakeJob(f"{self.id_prefix}{next(self._ids):05d}", plan, body, time.time(), time.monotonic())
            job.history.append((QUEUED, job.created_at))
            self._jobs[job.id] = job
            if key:
                self._by_key[key] = job.id
            return job.copy(), True

    def poll_job(self, job_id: str) -> FakeJob | None:
        """The job as a status request sees it: counts the poll and moves the job along its plan."""
        return self._touch(job_id, poll=True)

    def cancel_job(self, job_id: str) -> tuple[FakeJob | None, bool]:
        """Cancel an unfinished job; False when it had already finished."""
        if self._touch(job_id, poll=False) is None:
            return None, False
        with self._lock:
            job = self._jobs[job_id]
            if job.terminal or job.finishing:
                return job.copy(), False
            self._set(job, CANCELED, time.time())
            return job.copy(), True

    def _touch(self, job_id: str, *, poll: bool) -> FakeJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if poll:
                job.status_polls += 1
            due = self._due(job, poll)
            hooked = due is not None and due[0] == SUCCEEDED and self.on_complete is not None
            if hooked:
                job.finishing = True
            elif due is not None:
                self._set(job, *due)
            view = job.copy()
        return self._complete(job, view) if hooked else view

    def _complete(self, job: FakeJob, view: FakeJob) -> FakeJob:
        """Run `on_complete` (e.g. put the output into S3) before anyone can see the job succeeded."""
        assert self.on_complete is not None
        try:
            self.on_complete(view)
        except BaseException:
            with self._lock:
                job.finishing = False  # left unfinished: the next poll runs the hook again
            raise
        with self._lock:
            job.finishing = False
            self._set(job, SUCCEEDED, time.time())
            return job.copy()

    @staticmethod
    def _due(job: FakeJob, polled: bool) -> tuple[str, float] | None:
        """The state `job` moves to now, with the moment of the change, or None."""
        plan = job.plan
        if job.terminal or job.finishing:
            return None
        if plan.after_s is not None and time.monotonic() - job.started >= plan.after_s:
            return plan.outcome, job.created_at + plan.after_s
        if not polled:
            return None
        if plan.polls is not None and job.status_polls >= plan.polls:
            return plan.outcome, time.time()
        return (RUNNING, time.time()) if job.state == QUEUED else None

    @staticmethod
    def _set(job: FakeJob, state: str, at: float) -> None:
        job.state = state
        job.history.append((state, at))

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path.startswith("/files/"):
            return self._file(request.path.removeprefix("/files/"))
        return self.route_api(request)

    def _file(self, name: str) -> Reply:
        with self._lock:
            job = self._jobs.get(name.rsplit(".", 1)[0])
        if job is None or job.state != SUCCEEDED:
            return Reply(404, "<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"})
        if job.output_expired:
            body = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            return Reply(self.expired_status, body, {"Content-Type": "application/xml"})
        return Reply(200, job.plan.output, {"Content-Type": job.plan.content_type})

    def route_api(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError
