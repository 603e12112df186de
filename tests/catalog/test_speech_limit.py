"""Issue 11, point 4: speech-02-hd's text limit is the live schema's, with its source in the catalog row."""

from __future__ import annotations

import json

import pytest

from vsl.catalog import get_catalog, validate
from vsl.catalog.catalog import CATALOG_PATH


def test_speech_02_hd_takes_the_live_schemas_10000_characters_and_names_the_source() -> None:
    text = get_catalog().get("speech-02-hd").param("text")
    assert text is not None and text.max_length == 10_000
    (row,) = [m for m in json.loads(CATALOG_PATH.read_text())["models"] if m["id"] == "speech-02-hd"]
    source = row["parameters"]["text"]["source"]
    assert "max 10,000 characters" in source and "checked 2026-12-02" in source and "older version" in source


@pytest.mark.parametrize(("length", "ok"), [(10_000, True), (10_001, False)])
def test_the_limit_is_enforced_at_the_boundary(length: int, ok: bool) -> None:
    problems = validate("speech-02-hd", {"text": "a" * length})
    assert (not problems) is ok, problems
