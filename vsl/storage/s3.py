"""Media in an S3 bucket (or an S3-compatible endpoint), under an optional key prefix.

Keys follow the same rules as the local folder (`check_key`); the prefix is added on the way in and removed on
the way out, so callers never see it. Every boto3 failure becomes a StorageError whose message says what to fix.

HeadObject on a missing key answers 403, not 404, when the credentials lack `s3:ListBucket`
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html): a 403 there means "absent or not visible
to these credentials". `exists` reads it as absent (with a warning that says so), so existence checks and the
deletes that follow them never crash on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import RetriesExceededError, S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from vsl.storage.base import ObjectInfo, StorageError
from vsl.storage.local import atomic_destination, check_key

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
HIDDEN = {"403", "AccessDenied"}  # HeadObject's answer for a missing key without s3:ListBucket
log = logging.getLogger(__name__)
CREDENTIALS_HINT = (
    "check the AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) "
    "and that their IAM policy allows this bucket"
)


def make_client(endpoint_url: str | None, region: str) -> Any:
    """A thread-safe S3 client from its own boto3 session (the default session is not thread-safe)."""
    config = Config(
        signature_version="s3v4",
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3Storage:
    mode = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = check_key(prefix.strip("/")) if prefix.strip("/") else ""
        self.client = client or make_client(endpoint_url or None, region)

    def put_file(self, key: str, path: Path, content_type: str) -> ObjectInfo:
        """Upload `path` (multipart when large) and return the stored object's info."""
        with self._errors("upload", key):
            self.client.upload_file(str(path), self.bucket, self._full(key), ExtraArgs={"ContentType": content_type})
        return self.info(key)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        with self._errors("upload", key):
            self.client.put_object(Bucket=self.bucket, Key=self._full(key), Body=data, ContentType=content_type)
        return self.info(key)

    def get_bytes(self, key: str) -> bytes:
        with self._errors("read", key):
            return self.client.get_object(Bucket=self.bucket, Key=self._full(key))["Body"].read()

    def download_to(self, key: str, path: Path) -> Path:
        with self._errors("download", key), atomic_destination(path) as temp:
            self.client.download_file(self.bucket, self._full(key), str(temp))
        return path

    def exists(self, key: str) -> bool:
        """Whether the object is there; a 403 on HeadObject counts as absent (absent or not visible to us)."""
        try:
            self.info(key)
        except StorageError as exc:
            code = _code(exc.__cause__) if isinstance(exc.__cause__, ClientError) else ""
            if code in HIDDEN:
                log.warning("%s", exc)
                return False
            if code in NOT_FOUND:
                return False
            raise
        return True

    def info(self, key: str) -> ObjectInfo:
        with self._errors("inspect", key):
            head = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            last_modified=head.get("LastModified"),
            content_type=head.get("ContentType"),
        )

    def delete(self, key: str) -> None:
        """Delete the object; like S3 itself, deleting a missing key is not an error."""
        with self._errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def playback_source(self, key: str, expires_s: int = 3600) -> str:
        """A presigned GET URL; signing happens offline, so a missing object shows up only when it is fetched."""
        with self._errors("sign a playback URL for", key):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._full(key)}, ExpiresIn=expires_s
            )

    def list_page(
        self, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> tuple[list[ObjectInfo], str | None]:
        """One page of keys starting with `prefix` (S3 caps a page at 1000); the token is S3's own."""
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}.")
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._full_prefix(prefix), "MaxKeys": page_size}
        if token:
            params["ContinuationToken"] = token
        with self._errors("list", ""):
            page = self.client.list_objects_v2(**params)
        items = [
            ObjectInfo(key=self._relative(obj["Key"]), size=obj["Size"], last_modified=obj.get("LastModified"))
            for obj in page.get("Contents", [])
        ]
        return items, page.get("NextContinuationToken") if page.get("IsTruncated") else None

    def reference(self, s3_key: str) -> ObjectInfo:
        """Adopt an object another system (the VSL Lambda) already put in the bucket, without copying it.

        `s3_key` is the full key in the bucket; it must lie under this storage's prefix. The returned info
        carries the storage key (prefix removed), which is what the media library records.
        """
        check_key(s3_key)
        if self.prefix and not s3_key.startswith(f"{self.prefix}/"):
            raise StorageError(
                f"The S3 object '{s3_key}' is outside the configured prefix '{self.prefix}/' of bucket "
                f"'{self.bucket}'; clear S3_PREFIX or make the media backend write under it."
            )
        return self.info(self._relative(s3_key))

    def check(self) -> str:
        """A cheap connectivity test (HEAD on the bucket); returns a sentence for the health page."""
        with self._errors("reach", ""):
            self.client.head_bucket(Bucket=self.bucket)
        return f"S3 bucket '{self.bucket}' at {self._endpoint} is reachable."

    @property
    def _endpoint(self) -> str:
        return self.client.meta.endpoint_url

    def _full(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _full_prefix(self, prefix: str) -> str:
        return f"{self.prefix}/{prefix}" if self.prefix else prefix

    def _relative(self, s3_key: str) -> str:
        return s3_key[len(self.prefix) + 1 :] if self.prefix else s3_key

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except (BotoCoreError, ClientError, S3UploadFailedError, RetriesExceededError, OSError) as exc:
            raise StorageError(self._message(_unwrap(exc), action, key)) from _unwrap(exc)

    def _message(self, exc: BaseException, action: str, key: str) -> str:
        target = f"object '{key}' in S3 bucket '{self.bucket}'" if key else f"S3 bucket '{self.bucket}'"
        if isinstance(exc, NoCredentialsError):
            return f"No AWS credentials were found to {action} {target}; {CREDENTIALS_HINT}."
        if isinstance(exc, BotoConnectionError | HTTPClientError):
            return (
                f"Could not reach the S3 endpoint {self._endpoint} to {action} {target} ({type(exc).__name__}); "
                "check S3_ENDPOINT_URL and the network."
            )
        if isinstance(exc, OSError):
            return f"Could not {action} {target} because of a local file error: {exc}."
        code = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        if code == "NoSuchBucket" or (code in NOT_FOUND and not key):
            return f"S3 bucket '{self.bucket}' was not found at {self._endpoint}; check S3_BUCKET and S3_ENDPOINT_URL."
        if code in NOT_FOUND:
            return f"The {target} was not found."
        if code in HIDDEN and action == "inspect":
            return (
                f"The {target} is absent or not visible to these credentials: S3 answers 403 instead of 404 for a "
                "missing key when they lack s3:ListBucket. Grant s3:ListBucket on the bucket to tell the two apart."
            )
        if code in DENIED:
            return f"S3 refused to {action} {target} ({code}); {CREDENTIALS_HINT}."
        return f"S3 failed to {action} {target}: {code} ({exc})."


def _unwrap(exc: BaseException) -> BaseException:
    """boto3's transfer manager hides the real ClientError inside its own exceptions."""
    if isinstance(exc, RetriesExceededError):
        return exc.last_exception
    if isinstance(exc, S3UploadFailedError) and exc.__context__ is not None:
        return exc.__context__
    return exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
