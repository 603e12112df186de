"""Import-layer contract: streamlit only in pages/ and vsl/ui/; no SQL or database sessions built in pages/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_streamlit_is_imported_only_by_pages_and_vsl_ui() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "vsl").rglob("*.py")
        if "ui" not in p.relative_to(ROOT / "vsl").parts[:1]
        and any(m == "streamlit" or m.startswith("streamlit.") for m in _imports(p))
    ]
    assert offenders == []


def test_pages_hold_no_sql() -> None:
    offenders = []
    for page in [*(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        modules = _imports(page)
        if any(m.startswith("sqlalchemy") for m in modules) or "select(" in page.read_text():
            offenders.append(page.name)
    assert offenders == []


def test_pages_stay_thin() -> None:
    long_pages = {p.name: n for p in (ROOT / "pages").glob("*.py") if (n := len(p.read_text().splitlines())) > 150}
    assert long_pages == {}
