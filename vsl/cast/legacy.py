"""Turning the wizard's reference characters (novelas.reference_character_images) into cast assets.

Used by migration 0002_cast and by novelas created after it, so both follow the same name rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vsl.cast.names import MAX_LOOK, MAX_NAME, BadAsset, clean_name, name_key


@dataclass(frozen=True)
class WizardAsset:
    name: str
    key: str
    look: str
    image: str  # media:<key> or http(s) URL; "" when none


def _as_name(raw: str, index: int) -> str:
    """A valid asset name made from a free-text wizard name: spaces become _, other signs are dropped."""
    word = re.sub(r"[^\w-]+", "", re.sub(r"\s+", "_", raw.strip()))[:MAX_NAME].strip("_-")
    try:
        return clean_name(word)
    except BadAsset:
        return f"Character{index}"


def wizard_assets(characters: Any) -> list[WizardAsset]:
    """One asset per distinct character; a name seen twice keeps its first entry."""
    found: dict[str, WizardAsset] = {}
    for index, entry in enumerate(characters if isinstance(characters, list) else [], start=1):
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            continue
        name = _as_name(str(entry["name"]), index)
        key = name_key(name)
        image = str(entry.get("image_url") or "")
        found.setdefault(key, WizardAsset(name, key, str(entry.get("description") or "")[:MAX_LOOK], image))
    return list(found.values())
