"""AppTest fixtures: every test gets its own database and media folder, and a fresh runtime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from vsl.config import load_settings
from vsl.runtime import Runtime, build_runtime

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """Point the app at a temporary database and media folder; yield a runtime on the same database."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "EMBEDDED_WORKER": "false",
        "LAMBDA_API_URL": "",
        "REPLICATE_API_TOKEN": "",
        "OPENAI_API_KEY": "",
        "S3_BUCKET": "",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    runtime = build_runtime(load_settings(), start_worker=False)
    yield runtime
    runtime.close()
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything a person reads on the page, joined."""
    parts = [
        e.value
        for kind in ("title", "markdown", "caption", "info", "success", "warning", "error", "subheader")
        for e in getattr(at, kind)
    ]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)
