"""Media in a local folder: safe key rules, atomic file writes, and `LocalStorage`.

`check_key` and `atomic_destination` are shared with the S3 storage and the downloader, so that every backend
accepts the same keys and no reader ever sees a half-written file.
"""

from __future__ import annotations

import heapq
import logging
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from vsl.storage.base import InvalidKey, ObjectInfo, StorageError

log = logging.getLogger(__name__)

TEMP_PREFIX = ".vsl-tmp-"
MAX_KEY_BYTES = 1024  # the S3 limit, so that a key valid here is valid in a bucket too
KEY_EXAMPLE = "novelas/12/scene-3.mp4"


def check_key(key: object) -> str:
    """Return `key` if it is a clean relative POSIX path; raise InvalidKey saying why otherwise."""
    reason = _key_problem(key)
    if reason:
        raise InvalidKey(f"Storage key {key!r} is not allowed: {reason}. Use a relative path like '{KEY_EXAMPLE}'.")
    return str(key)


def _key_problem(key: object) -> str | None:
    if not isinstance(key, str) or not key:
        return "it is empty or not text"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"it is longer than {MAX_KEY_BYTES} bytes"
    if key.startswith("/"):
        return "it is an absolute path"
    if "\\" in key:
        return "it contains a backslash"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        return "it contains a control character"
    if any(part in {"", ".", ".."} for part in key.split("/")):
        return "it has an empty, '.' or '..' path segment"
    return None


@contextmanager
def atomic_destination(path: Path) -> Iterator[Path]:
    """Yield a temporary file beside `path`; it replaces `path` only if the block finishes without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        temp.chmod(0o644)
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


class LocalStorage:
    """Keys are files under `root`; no key can name a path outside it, symlinks included."""

    mode = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def put_file(self, key: str, path: Path, content_type: str) -> ObjectInfo:
        """Copy `path` in. The content type is not stored: `info` infers it from the key's extension."""
        target = self._path(key)
        with self._os_errors("store", key), atomic_destination(target) as temp:
            shutil.copyfile(path, temp)
        return self.info(key)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        target = self._path(key)
        with self._os_errors("store", key), atomic_destination(target) as temp:
            temp.write_bytes(data)
        return self.info(key)

    def get_bytes(self, key: str) -> bytes:
        with self._os_errors("read", key):
            return self._existing(key).read_bytes()

    def download_to(self, key: str, path: Path) -> Path:
        source = self._existing(key)
        with self._os_errors("copy", key), atomic_destination(path) as temp:
            shutil.copyfile(source, temp)
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def info(self, key: str) -> ObjectInfo:
        with self._os_errors("inspect", key):
            stat = self._existing(key).stat()
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            content_type=mimetypes.guess_type(key)[0],
        )

    def delete(self, key: str) -> None:
        """Remove the file; deleting a key that does not exist is not an error."""
        with self._os_errors("delete", key):
            self._path(key).unlink(missing_ok=True)

    def playback_source(self, key: str, expires_s: int = 3600) -> str:
        """The absolute file path (st.video and st.image accept it); `expires_s` does not apply to files."""
        return str(self._existing(key))

    def list_page(
        self, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> tuple[list[ObjectInfo], str | None]:
        """One page of keys starting with `prefix`, in sorted order; the token is the last key returned."""
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}.")
        candidates = (key for key in self._keys_under(prefix) if token is None or key > token)
        keys = heapq.nsmallest(page_size + 1, candidates)
        page = keys[:page_size]
        next_token = page[-1] if len(keys) > page_size else None
        return [self.info(key) for key in page], next_token

    def check(self) -> str:
        """Make sure the media folder exists and is writable; return a sentence for the health page."""
        with self._os_errors("create", "."):
            self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            log.warning("media folder %s is not writable", self.root)
            raise StorageError("The media folder (MEDIA_DIR) is not writable; fix its permissions or set MEDIA_DIR.")
        return "The media folder (MEDIA_DIR) is ready."

    def _keys_under(self, prefix: str) -> Iterator[str]:
        """Stored keys starting with `prefix`, walking only the deepest folder the prefix names."""
        directory = prefix.rpartition("/")[0]
        if directory and _key_problem(directory):
            return
        folder = self.root / directory
        if not folder.resolve().is_relative_to(self.root):
            return
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix) and self._listable(key):
                    yield key

    def _listable(self, key: str) -> bool:
        """Skip temp files, names no key could have, and symlinks leading out of the folder."""
        try:
            return self._path(key).is_file()
        except InvalidKey:
            return False

    def _path(self, key: str) -> Path:
        """The resolved file path for `key`, refusing any key that lands outside the root."""
        check_key(key)
        if any(part.startswith(TEMP_PREFIX) for part in key.split("/")):
            raise InvalidKey(f"Storage key {key!r} is not allowed: names starting with {TEMP_PREFIX!r} are reserved.")
        resolved = (self.root / key).resolve()
        if resolved == self.root or not resolved.is_relative_to(self.root):
            raise InvalidKey(f"Storage key {key!r} is not allowed: it leads outside the media folder.")
        return resolved

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"Media file '{key}' was not found in the media folder.")
        return path

    @contextmanager
    def _os_errors(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            log.warning("could not %s media file %r in %s: %s", action, key, self.root, exc)
            cause = exc.strerror or type(exc).__name__  # the OS error's own text names server paths
            raise StorageError(f"Could not {action} media file '{key}' in the media folder: {cause}.") from exc
