"""Every setting the code reads is in the README's configuration table and in .env.example (as datasette tests
that each of its settings is documented): a setting nobody can find is a setting nobody can use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READ = re.compile(r"""_env\(\s*["']([A-Z][A-Z0-9_]+)["']""")
PER_AGENT = re.compile(r"""f["']((?:AGENT)_[A-Z]+)_\{""")  # AGENT_MODEL_{key}, AGENT_EFFORT_{key}, …
AGENTS = ("SCRIPT_WRITER", "INTEGRATOR", "FALLBACK")
NOT_SETTINGS = {"CI"}


def settings_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "vsl").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(READ.findall(text))
        names |= {f"{prefix}_<AGENT>" for prefix in PER_AGENT.findall(text)}
    return names - NOT_SETTINGS


def _table_rows(readme: str) -> str:
    start = readme.index("## Configuration")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_scan_finds_the_settings() -> None:
    found = settings_read_by_the_code()
    assert {"DATABASE_URL", "OPENAI_API_KEY", "AGENT_MODEL_<AGENT>"} <= found  # the scan itself works


@pytest.mark.parametrize("name", sorted(settings_read_by_the_code()))
def test_every_setting_is_in_the_readme_table(name: str) -> None:
    table = _table_rows((ROOT / "README.md").read_text(encoding="utf-8"))
    assert f"`{name}`" in table or (name.endswith("_<AGENT>") and name.removesuffix("<AGENT>") in table), name


@pytest.mark.parametrize("name", sorted(settings_read_by_the_code()))
def test_every_setting_is_in_env_example(name: str) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    if name.endswith("_<AGENT>"):
        assert any(f"{name.removesuffix('<AGENT>')}{agent}" in example for agent in AGENTS), name
    else:
        assert re.search(rf"^#?\s*{name}=", example, re.MULTILINE), name
