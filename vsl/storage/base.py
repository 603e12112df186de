"""The storage protocol shared by the local folder and S3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


class StorageError(Exception):
    """A storage operation failed; the message names the key and the cause."""


class InvalidKey(StorageError):
    """A key that is empty, absolute, or would escape the storage root."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime | None = None
    content_type: str | None = None


class Storage(Protocol):
    mode: str  # "local" or "s3"

    def put_file(self, key: str, path: Path, content_type: str) -> ObjectInfo: ...

    def put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo: ...

    def get_bytes(self, key: str) -> bytes: ...

    def download_to(self, key: str, path: Path) -> Path: ...

    def exists(self, key: str) -> bool: ...

    def info(self, key: str) -> ObjectInfo: ...

    def delete(self, key: str) -> None: ...

    def playback_source(self, key: str, expires_s: int = 3600) -> str: ...

    def list_page(
        self, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> tuple[list[ObjectInfo], str | None]: ...
