"""A throw-away PostgreSQL for the test session.

Order: the server on 127.0.0.1:5432 (or $TEST_PG_URL) → a private cluster started with initdb/pg_ctl on a free
port → skip with a message. Under CI=true a missing PostgreSQL fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _can_connect(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _private_cluster() -> Iterator[str]:
    bin_dir = next((d for d in PG_BIN_DIRS if (d / "pg_ctl").exists()), None)
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server answers on 127.0.0.1:5432 and no initdb/pg_ctl is installed")
    root = Path(tempfile.mkdtemp(prefix="vsl-pg-"))
    port = _free_port()
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(root, "postgres")

    def run(*args: str) -> None:
        cmd = list(args)
        if as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    data = root / "data"
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust")
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
        "-l",
        str(root / "log"),
        "start",
    )
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def server_url() -> Iterator[str]:
    """Yield an admin URL of a running PostgreSQL server (existing or private)."""
    url = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    if _can_connect(url.replace("+psycopg2", "")):
        yield url
        return
    with _private_cluster() as private:
        yield private


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"vsl_test_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin_url.replace("+psycopg2", ""))
    conn.autocommit = True
    try:
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
