"""docs/troubleshooting.md covers every failure the Fallback Handler knows, with its fix."""

from __future__ import annotations

from pathlib import Path

from vsl.agents.knowledge import KNOWN_FAILURES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md").read_text()


def test_every_known_failure_is_documented_with_its_fix() -> None:
    missing = [f.id for f in KNOWN_FAILURES if f"## {f.title}" not in DOC or f.fix not in DOC]
    assert missing == []
