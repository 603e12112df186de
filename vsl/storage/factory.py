"""Pick the storage the settings ask for: an S3 bucket when S3_BUCKET is set, else the local media folder."""

from __future__ import annotations

from vsl.config import Settings
from vsl.storage.base import Storage
from vsl.storage.local import LocalStorage
from vsl.storage.s3 import S3Storage


def make_storage(settings: Settings) -> Storage:
    if settings.s3_bucket:
        return S3Storage(
            settings.s3_bucket,
            settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.aws_region,
        )
    return LocalStorage(settings.media_dir)
