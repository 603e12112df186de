"""Media files: ffmpeg helpers (probe, frames, joining clips) and thumbnails.

Shared by every writer in this package: `MediaError` for any media file that cannot be read or written, and
`atomic_output` so that a crash never leaves a half-written file under its final name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class MediaError(Exception):
    """A media file could not be read or written; `stderr_tail` holds ffmpeg's last words when ffmpeg ran."""

    def __init__(self, message: str, *, path: Path, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.stderr_tail = stderr_tail


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside `out`; it replaces `out` if the block succeeds, else it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
