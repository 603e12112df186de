"""Asset names and `@Name` mentions: one word each, so a prompt's mentions are never ambiguous."""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("character", "location", "prop")
MAX_NAME = 40
MAX_LOOK = 600
_NAME = re.compile(r"^[^\W\d_][\w-]*$")  # a letter, then letters, digits, _ or -
_MENTION = re.compile(r"(?<![\w@])@([^\W\d_][\w-]*)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadAsset(ValueError):
    """An asset's name, kind or look was refused; the message says how to fix it."""


@dataclass(frozen=True)
class Mention:
    name: str  # as written after the @
    start: int
    end: int

    @property
    def key(self) -> str:
        return name_key(self.name)


def name_key(name: str) -> str:
    return name.casefold()


def clean_name(raw: str) -> str:
    """The name to store, or BadAsset with the rule it broke (markup and spaces are refused, not stripped)."""
    name = (raw or "").strip().removeprefix("@")
    if not name:
        raise BadAsset("Give the asset a name, e.g. Isabel or Casa_Grande.")
    if len(name) > MAX_NAME:
        raise BadAsset(f"The name is {len(name)} characters long; use at most {MAX_NAME}.")
    if not _NAME.match(name):
        shown = _CONTROL.sub("", name)[:MAX_NAME]
        raise BadAsset(
            f"{shown!r} cannot be a name: use one word of letters, digits, '_' or '-' starting with a letter "
            "(write Dona_Rosa for two words), so that @Name in a prompt finds it."
        )
    return name


def clean_look(raw: str) -> str:
    look = _CONTROL.sub("", (raw or "").strip())
    if len(look) > MAX_LOOK:
        raise BadAsset(f"The look description is {len(look)} characters long; keep it under {MAX_LOOK}.")
    return look


def clean_kind(raw: str) -> str:
    if raw not in KINDS:
        raise BadAsset(f"An asset is a {', a '.join(KINDS)} (got {raw!r}).")
    return raw


def spoken(name: str) -> str:
    """How a name reads in a prompt: Dona_Rosa → Dona Rosa."""
    return name.replace("_", " ")


def mentions(prompt: str) -> list[Mention]:
    """Every `@Name` in `prompt`, in order (an e-mail address such as a@b.c is not a mention)."""
    return [Mention(m.group(1), m.start(), m.end()) for m in _MENTION.finditer(prompt or "")]


def replace_mentions(prompt: str, words: dict[str, str]) -> str:
    """`prompt` with each `@Name` whose key is in `words` replaced by its words; unknown mentions stay."""
    return _MENTION.sub(lambda m: words.get(name_key(m.group(1)), m.group(0)), prompt or "")


def mention_names(prompt: str, names: list[str]) -> str:
    """`prompt` with each cast member's name written as `@Name` ("Dona Rosa" → "@Dona_Rosa"), longest first;
    names already written as mentions stay as they are."""
    text = prompt or ""
    for name in sorted(names, key=len, reverse=True):
        pattern = re.compile(rf"(?<![@\w]){re.escape(spoken(name))}(?![\w])", re.IGNORECASE)
        text = pattern.sub(f"@{name}", text)
    return text
