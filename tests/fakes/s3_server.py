"""moto's S3 server on 127.0.0.1 (a free port), for tests that talk to S3 over real HTTP with boto3.

Fixtures, to import into a conftest or test module (importing registers them):

    from tests.fakes.s3_server import fresh_bucket, moto_server  # noqa: F401

`moto_server` (session) leaves the environment alone; `fresh_bucket` gives each test its own bucket and sets fake
AWS credentials in os.environ only while that test runs, so code that builds its own client (`make_storage`)
works and nothing leaks afterwards. The helpers below work without pytest too.
"""

from __future__ import annotations

import http.client
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
HIDDEN_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")  # a real profile would win over the fake keys


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        """A boto3 S3 client for this server, with fake credentials passed explicitly (not via os.environ)."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )


@dataclass(frozen=True)
class S3Bucket:
    server: S3Server
    name: str
    client: Any

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """Start moto's threaded server on 127.0.0.1 with an OS-chosen port; stop it (and its thread) on exit."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(endpoint_url=f"http://{host}:{port}")
    finally:
        server.stop()


@contextmanager
def fake_aws_credentials() -> Iterator[None]:
    """Put fake AWS credentials in os.environ for the block, then restore every variable exactly."""
    names = (*FAKE_CREDENTIALS, *HIDDEN_VARIABLES)
    saved = {name: os.environ.get(name) for name in names}
    for name in HIDDEN_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def s3_bucket(server: S3Server) -> Iterator[S3Bucket]:
    """A new, uniquely named bucket; emptied and deleted on exit."""
    client = server.client()
    name = f"test-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=name)
    try:
        yield S3Bucket(server=server, name=name, client=client)
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            if page.get("Contents"):
                keys = [{"Key": obj["Key"]} for obj in page["Contents"]]
                client.delete_objects(Bucket=name, Delete={"Objects": keys})
        client.delete_bucket(Bucket=name)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[S3Server]:
    with running_s3_server() as server:
        yield server


@pytest.fixture
def fresh_bucket(moto_server: S3Server) -> Iterator[S3Bucket]:
    with fake_aws_credentials(), s3_bucket(moto_server) as bucket:
        yield bucket


class _HiddenKeysHandler(BaseHTTPRequestHandler):
    """Forward to moto; answer a missing object's 404 with S3's 403, as for credentials without s3:ListBucket."""

    server: _HiddenKeysServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
            answer = upstream.getresponse()
            status, headers, payload = answer.status, answer.getheaders(), answer.read()
        finally:
            upstream.close()
        is_object = self.command in {"GET", "HEAD"} and urlsplit(self.path).path.strip("/").count("/") >= 1
        if status == 404 and is_object:
            self.server.hidden.append(self.path)
            status, payload = 403, ACCESS_DENIED
            headers = [("Content-Type", "application/xml")]
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in {"content-length", "transfer-encoding", "connection", "server", "date"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_HEAD = do_GET = do_PUT = do_POST = do_DELETE = _forward


ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>'
    b"<RequestId>FAKE</RequestId></Error>"
)


class _HiddenKeysServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _HiddenKeysHandler)
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.hidden: list[str] = []  # the paths whose 404 was answered as 403


@contextmanager
def without_list_bucket(server: S3Server) -> Iterator[tuple[S3Server, list[str]]]:
    """An S3 endpoint in front of `server` that behaves as S3 does for credentials lacking s3:ListBucket:
    HeadObject and GetObject on a missing key answer 403 AccessDenied, not 404 (moto itself does not model the
    permission, so this proxy applies S3's documented rule to moto's real answers). Yields the endpoint and
    the list of paths it answered 403 for."""
    proxy = _HiddenKeysServer(server.endpoint_url)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = proxy.server_address[:2]
        yield S3Server(endpoint_url=f"http://{host}:{port}"), proxy.hidden
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
