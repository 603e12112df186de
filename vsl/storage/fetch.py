"""Download a provider's output URL to a file, safely: http(s) only, bounded in size and time, atomic.

Only http and https are accepted. A local provider's output is already a file: the worker stores it with
`Storage.put_file`, so there is no `file://` path here that a hostile URL could use to read the disk.
Messages name the host and path of the URL but never its query string, which may carry a signature.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import requests

from vsl.storage.base import StorageError
from vsl.storage.local import atomic_destination

GiB = 1024**3
CHUNK_BYTES = 256 * 1024
GONE_STATUSES = {403, 404, 410}


def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int = 2 * GiB,
    timeout: tuple[float, float] = (5, 60),
    deadline_s: float = 1800.0,
    session: requests.Session | None = None,
    headers: Mapping[str, str] | None = None,
) -> int:
    """Stream `url` into `dest` and return the bytes written; `dest` is untouched unless all went well.

    `timeout` is (connect, read between bytes); `deadline_s` bounds the whole transfer. `headers` go to `url`'s
    host only: requests drops Authorization when a redirect leads to another host.
    """
    where = describe_url(url)
    if urlsplit(url).scheme not in {"http", "https"}:
        raise StorageError(f"Refusing to download the provider output from {where}: only http(s) URLs are allowed.")
    deadline = time.monotonic() + deadline_s
    try:
        with (
            nullcontext(session) if session else requests.Session() as http,
            http.get(url, stream=True, timeout=timeout, headers=dict(headers or {})) as response,
        ):
            _check_response(response, where, max_bytes)
            with atomic_destination(dest) as temp, temp.open("wb") as out:
                return _copy_body(response, out, where, max_bytes, deadline, deadline_s)
    except requests.Timeout as exc:
        raise StorageError(
            f"Downloading the provider output from {where} timed out (connect {timeout[0]:g} s, "
            f"read {timeout[1]:g} s); check the network and try again."
        ) from exc
    except requests.RequestException as exc:
        raise StorageError(
            f"Could not download the provider output from {where} ({type(exc).__name__}); "
            "check the network and try again."
        ) from exc
    except OSError as exc:
        raise StorageError(f"Could not save the provider output to {dest}: {exc.strerror or exc}.") from exc


def describe_url(url: str) -> str:
    """scheme://host/path of `url`, without credentials, query or fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _check_response(response: requests.Response, where: str, max_bytes: int) -> None:
    if response.status_code in GONE_STATUSES:
        raise StorageError(
            f"Downloading the provider output from {where} failed: the provider's output URL has expired or is "
            f"gone (HTTP {response.status_code}). Check the job again to get a fresh output URL."
        )
    if not response.ok:
        raise StorageError(
            f"Downloading the provider output from {where} failed with HTTP {response.status_code}; try again later."
        )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(where, max_bytes)


def _copy_body(
    response: requests.Response, out: BinaryIO, where: str, max_bytes: int, deadline: float, deadline_s: float
) -> int:
    written = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        written += len(chunk)
        if written > max_bytes:
            raise _too_large(where, max_bytes)
        if time.monotonic() > deadline:
            raise StorageError(
                f"Downloading the provider output from {where} took longer than {deadline_s:g} s and was "
                "stopped; try again."
            )
        out.write(chunk)
    return written


def _too_large(where: str, max_bytes: int) -> StorageError:
    return StorageError(
        f"The provider output at {where} is larger than the {max_bytes:,}-byte download limit; it was not saved."
    )
