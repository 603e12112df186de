"""S3 credentials without s3:ListBucket: HeadObject on a missing key answers 403, not 404
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). Tested against moto behind a small proxy
that applies exactly that rule to moto's real answers (moto does not model the permission), over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.fakes.s3_server import S3Bucket, S3Server, without_list_bucket
from vsl import health
from vsl.db.engine import Database
from vsl.db.models import MediaItem
from vsl.media.library import delete_item
from vsl.storage.base import StorageError
from vsl.storage.s3 import S3Storage

ABSENT_OR_HIDDEN = "absent or not visible to these credentials"


@pytest.fixture
def hidden(fresh_bucket: S3Bucket) -> Iterator[tuple[S3Storage, S3Server, list[str]]]:
    with without_list_bucket(fresh_bucket.server) as (endpoint, answered_403):
        yield S3Storage(fresh_bucket.name, endpoint_url=endpoint.endpoint_url), endpoint, answered_403


def test_the_endpoint_answers_a_missing_key_with_403_like_s3(
    hidden: tuple[S3Storage, S3Server, list[str]], fresh_bucket: S3Bucket
) -> None:
    _, endpoint, answered_403 = hidden
    with pytest.raises(ClientError) as refused:
        endpoint.client().head_object(Bucket=fresh_bucket.name, Key="missing.mp4")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert answered_403 == [f"/{fresh_bucket.name}/missing.mp4"]


def test_existence_checks_read_403_as_absent_or_not_visible(
    hidden: tuple[S3Storage, S3Server, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    storage, _, answered_403 = hidden
    storage.put_bytes("videos/here.mp4", b"video", "video/mp4")

    assert storage.exists("videos/here.mp4")
    with caplog.at_level(logging.WARNING, logger="vsl.storage.s3"):
        assert storage.exists("videos/gone.mp4") is False
    assert answered_403  # the 403 really came over the wire
    assert "object 'videos/gone.mp4'" in caplog.text and ABSENT_OR_HIDDEN in caplog.text
    assert "s3:ListBucket" in caplog.text

    with pytest.raises(StorageError, match=f"{ABSENT_OR_HIDDEN}.*s3:ListBucket"):
        storage.info("videos/gone.mp4")


def test_deletes_go_through_when_a_key_is_not_visible(
    hidden: tuple[S3Storage, S3Server, list[str]], fresh_bucket: S3Bucket, sqlite_db: Database
) -> None:
    storage, _, _ = hidden
    storage.put_bytes("videos/take.mp4", b"video", "video/mp4")
    with sqlite_db.write() as session:
        item = MediaItem(s3_key="videos/take.mp4", media_type="video", thumbnail_key="thumbnails/never-made.jpg")
        session.add(item)
        session.flush()
        item_id = item.id

    assert delete_item(sqlite_db, storage, item_id) == "Deleted videos/take.mp4."

    assert fresh_bucket.client.list_objects_v2(Bucket=fresh_bucket.name).get("KeyCount") == 0
    storage.delete("videos/never-there.mp4")  # like S3, deleting a missing key is fine
    assert health.check_storage(storage).ok
