"""S3Storage against moto's S3 server over real HTTP (and a local endpoint that refuses everything)."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from tests.fakes.s3_server import FAKE_CREDENTIALS, S3Bucket, fake_aws_credentials
from vsl.config import load_settings
from vsl.storage.base import InvalidKey, StorageError
from vsl.storage.factory import make_storage
from vsl.storage.s3 import S3Storage

ACCESS_DENIED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>"""

StartServer = Callable[[type[BaseHTTPRequestHandler]], str]


def storage_for(bucket: S3Bucket, prefix: str = "") -> S3Storage:
    """The storage as the app builds it: its own client, credentials from the environment."""
    return S3Storage(bucket.name, prefix, endpoint_url=bucket.endpoint_url)


def test_put_get_info_exists_delete(fresh_bucket: S3Bucket) -> None:
    storage = storage_for(fresh_bucket)

    info = storage.put_bytes("novelas/1/scene-1.mp4", b"video-bytes", "video/mp4")

    assert (info.key, info.size, info.content_type) == ("novelas/1/scene-1.mp4", 11, "video/mp4")
    assert info.last_modified is not None
    assert storage.get_bytes("novelas/1/scene-1.mp4") == b"video-bytes"
    assert storage.exists("novelas/1/scene-1.mp4")
    storage.delete("novelas/1/scene-1.mp4")
    assert not storage.exists("novelas/1/scene-1.mp4")
    storage.delete("novelas/1/scene-1.mp4")  # deleting again is not an error


def test_put_file_multipart_and_download_to(fresh_bucket: S3Bucket, tmp_path: Path) -> None:
    storage = storage_for(fresh_bucket)
    source = tmp_path / "take.mp4"
    source.write_bytes(os.urandom(9 * 1024 * 1024))  # above boto3's 8 MiB multipart threshold

    info = storage.put_file("takes/take.mp4", source, "video/mp4")
    copy = storage.download_to("takes/take.mp4", tmp_path / "back" / "take.mp4")

    assert (info.size, info.content_type) == (source.stat().st_size, "video/mp4")
    assert copy.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in copy.parent.iterdir()) == ["take.mp4"]  # no temp file left behind


def test_list_pages_through_more_than_two_pages(fresh_bucket: S3Bucket) -> None:
    storage = storage_for(fresh_bucket)
    keys = [f"clips/{n:02d}.mp4" for n in range(7)]
    for key in keys:
        storage.put_bytes(key, key.encode(), "video/mp4")
    storage.put_bytes("other/x.mp4", b"x", "video/mp4")

    seen, token, pages = [], None, 0
    while True:
        page, token = storage.list_page("clips/", token=token, page_size=2)
        seen += [(info.key, info.size) for info in page]
        pages += 1
        if token is None:
            break

    assert seen == [(key, len(key)) for key in keys]
    assert pages == 4


def test_prefix_isolates_and_is_hidden_from_callers(fresh_bucket: S3Bucket) -> None:
    app = storage_for(fresh_bucket, prefix="/studio/")
    neighbour = storage_for(fresh_bucket, prefix="other-app")
    app.put_bytes("a.mp4", b"mine", "video/mp4")
    neighbour.put_bytes("a.mp4", b"theirs", "video/mp4")

    assert app.get_bytes("a.mp4") == b"mine"
    assert [info.key for info in app.list_page()[0]] == ["a.mp4"]
    raw = fresh_bucket.client.list_objects_v2(Bucket=fresh_bucket.name)["Contents"]
    assert sorted(obj["Key"] for obj in raw) == ["other-app/a.mp4", "studio/a.mp4"]


def test_presigned_playback_url_serves_the_bytes(fresh_bucket: S3Bucket) -> None:
    storage = storage_for(fresh_bucket, prefix="studio")
    storage.put_bytes("ep1/scene 1.mp4", b"\x00\x01 playable", "video/mp4")

    url = storage.playback_source("ep1/scene 1.mp4", expires_s=60)
    response = requests.get(url, timeout=5)

    assert "X-Amz-Signature" in url
    assert response.status_code == 200
    assert response.content == b"\x00\x01 playable"
    assert response.headers["Content-Type"] == "video/mp4"


def test_reference_adopts_an_object_without_copying_it(fresh_bucket: S3Bucket) -> None:
    fresh_bucket.client.put_object(
        Bucket=fresh_bucket.name, Key="videos/2026/11/job_8Xc2.mp4", Body=b"lambda output", ContentType="video/mp4"
    )
    storage = storage_for(fresh_bucket)

    info = storage.reference("videos/2026/11/job_8Xc2.mp4")

    assert (info.key, info.size, info.content_type) == ("videos/2026/11/job_8Xc2.mp4", 13, "video/mp4")
    assert storage.get_bytes(info.key) == b"lambda output"
    assert len(fresh_bucket.client.list_objects_v2(Bucket=fresh_bucket.name)["Contents"]) == 1


def test_reference_under_a_prefix_returns_the_storage_key(fresh_bucket: S3Bucket) -> None:
    fresh_bucket.client.put_object(Bucket=fresh_bucket.name, Key="studio/videos/j.mp4", Body=b"v")
    fresh_bucket.client.put_object(Bucket=fresh_bucket.name, Key="videos/k.mp4", Body=b"v")
    storage = storage_for(fresh_bucket, prefix="studio")

    assert storage.reference("studio/videos/j.mp4").key == "videos/j.mp4"
    with pytest.raises(StorageError, match=r"outside the configured prefix 'studio/'.*S3_PREFIX"):
        storage.reference("videos/k.mp4")
    with pytest.raises(StorageError, match="not found"):
        storage.reference("studio/videos/missing.mp4")


def test_missing_key_says_not_found(fresh_bucket: S3Bucket, tmp_path: Path) -> None:
    storage = storage_for(fresh_bucket)
    for read in (storage.get_bytes, storage.info, lambda key: storage.download_to(key, tmp_path / "never.mp4")):
        with pytest.raises(StorageError, match=rf"object 'nope\.mp4' in S3 bucket '{fresh_bucket.name}' was not found"):
            read("nope.mp4")
    assert list(tmp_path.iterdir()) == []


def test_wrong_bucket_names_the_bucket_and_the_setting(fresh_bucket: S3Bucket, tmp_path: Path) -> None:
    storage = S3Storage("no-such-bucket-here", endpoint_url=fresh_bucket.endpoint_url)
    source = tmp_path / "a.mp4"
    source.write_bytes(b"x")

    for operation in (
        storage.check,
        lambda: storage.get_bytes("a.mp4"),
        lambda: storage.put_file("a.mp4", source, "video/mp4"),
        storage.list_page,
    ):
        with pytest.raises(StorageError, match=r"S3 bucket 'no-such-bucket-here' was not found at .*S3_BUCKET"):
            operation()


def test_check_reports_a_reachable_bucket(fresh_bucket: S3Bucket) -> None:
    sentence = storage_for(fresh_bucket).check()
    assert sentence == f"S3 bucket '{fresh_bucket.name}' at {fresh_bucket.endpoint_url} is reachable."


def test_unreachable_endpoint_is_named() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    no_retries = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1),
    )
    storage = S3Storage("bucket", endpoint_url=endpoint, client=no_retries)

    with pytest.raises(StorageError, match=rf"Could not reach the S3 endpoint {re.escape(endpoint)}.*S3_ENDPOINT_URL"):
        storage.get_bytes("a.mp4")


def test_access_denied_hints_at_credentials(http_server: StartServer) -> None:
    class Refuses(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(ACCESS_DENIED)))
            self.end_headers()
            self.wfile.write(ACCESS_DENIED)

        def log_message(self, *args: object) -> None:
            pass

    with fake_aws_credentials():
        storage = S3Storage("private-bucket", endpoint_url=http_server(Refuses))
        with pytest.raises(StorageError, match=r"refused to read object 'a.mp4'.*\(AccessDenied\).*AWS_ACCESS_KEY_ID"):
            storage.get_bytes("a.mp4")


def test_missing_credentials_are_explained(fresh_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FAKE_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    storage = S3Storage(fresh_bucket.name, endpoint_url=fresh_bucket.endpoint_url)

    with pytest.raises(StorageError, match="No AWS credentials were found to read"):
        storage.get_bytes("a.mp4")


def test_keys_follow_the_same_rules_as_the_folder(fresh_bucket: S3Bucket) -> None:
    storage = storage_for(fresh_bucket)
    for key in ("", "/abs.mp4", "a/../b.mp4", "a\\b.mp4", "a\nb"):
        with pytest.raises(InvalidKey):
            storage.put_bytes(key, b"x", "video/mp4")


def test_fresh_bucket_sets_credentials_only_while_it_lives(moto_server: object) -> None:
    before = {name: os.environ.get(name) for name in FAKE_CREDENTIALS}
    with fake_aws_credentials():
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert {name: os.environ.get(name) for name in FAKE_CREDENTIALS} == before


def test_factory_picks_s3_when_a_bucket_is_set(fresh_bucket: S3Bucket) -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "sqlite://",
            "S3_BUCKET": fresh_bucket.name,
            "S3_PREFIX": "studio/",
            "S3_ENDPOINT_URL": fresh_bucket.endpoint_url,
        }
    )
    storage = make_storage(settings)
    storage.put_bytes("a.txt", b"1", "text/plain")

    assert storage.mode == "s3"
    assert fresh_bucket.client.get_object(Bucket=fresh_bucket.name, Key="studio/a.txt")["Body"].read() == b"1"
