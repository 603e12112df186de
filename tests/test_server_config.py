"""The server binds 127.0.0.1 unless configured otherwise, keeps XSRF protection on and watches no files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_config_is_local_and_protected() -> None:
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["address"] == "127.0.0.1"
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True
    assert server["fileWatcherType"] == "none"
    assert server["maxUploadSize"] <= 20  # MB: larger uploads are refused by the server itself


def test_make_run_binds_loopback() -> None:
    run = re.search(r"^run:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.M | re.S)
    assert run and "--server.address 127.0.0.1" in run.group(0)
