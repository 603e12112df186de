"""Command line: `python -m vsl migrate | downgrade | worker | demo`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from vsl.config import load_settings
from vsl.db import migrate
from vsl.db.engine import Database


def _migrate(args: argparse.Namespace) -> None:
    db = Database.from_settings(load_settings())
    migrate.upgrade(db, args.revision)
    print(f"Database at {db.backend} upgraded to {args.revision}.")


def _downgrade(args: argparse.Namespace) -> None:
    db = Database.from_settings(load_settings())
    migrate.downgrade(db, args.revision)
    print(f"Database at {db.backend} downgraded to {args.revision}.")


def _worker(_args: argparse.Namespace) -> None:
    from vsl.jobs.worker import STOP_GRACE_S
    from vsl.runtime import build_runtime

    runtime = build_runtime(start_worker=False)
    runtime.start_reviewer()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Worker running (provider mode: {runtime.settings.provider_mode}); Ctrl+C stops it.")
    try:
        runtime.worker.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.worker.close(STOP_GRACE_S)  # bounded: calls still hanging after it are abandoned
        runtime.close()
    if runtime.worker.abandoned:  # their threads cannot be interrupted; every take they held is resumable
        logging.shutdown()
        os._exit(0)


def _demo(_args: argparse.Namespace) -> None:
    from vsl.demo import render_demo
    from vsl.runtime import build_runtime

    runtime = build_runtime(start_worker=False)
    try:
        episode = render_demo(runtime)
    finally:
        runtime.close()
    print(f"Demo novela {episode.novela_id} rendered: {episode.title} ({episode.duration_seconds} s), in the library.")


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m vsl", description="VSL Studio command line")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("migrate", help="apply database migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(fn=_migrate)
    down = sub.add_parser("downgrade", help="roll migrations back")
    down.add_argument("revision", nargs="?", default="base")
    down.set_defaults(fn=_downgrade)
    sub.add_parser("worker", help="run the job worker in this process").set_defaults(fn=_worker)
    sub.add_parser("demo", help="create, render and assemble the sample novela").set_defaults(fn=_demo)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
