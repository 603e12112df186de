"""The story bible the Script Writer keeps per novela (in `novelas.story_bible`): premise, tone, setting,
characters with their look, voice and reference image, episode outlines, and a summary of every scene written,
so that each new scene continues the ones before it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vsl.db.engine import Database
from vsl.novelas import service

PREVIOUS_SCENES = 4  # summaries a scene brief carries for continuity


@dataclass
class CharacterSheet:
    name: str
    look: str = ""
    voice: str = ""
    reference_image: str = ""  # http(s) URL or media:<key>; "" when none

    @classmethod
    def of(cls, data: dict[str, Any]) -> CharacterSheet:
        return cls(
            name=str(data.get("name", "")).strip(),
            look=str(data.get("look", "")),
            voice=str(data.get("voice", "")),
            reference_image=str(data.get("reference_image", "")),
        )


@dataclass
class EpisodeOutline:
    number: int
    title: str = ""
    outline: str = ""
    beats: list[str] = field(default_factory=list)  # one per scene

    @classmethod
    def of(cls, data: dict[str, Any]) -> EpisodeOutline:
        return cls(
            number=int(data.get("number", 0)),
            title=str(data.get("title", "")),
            outline=str(data.get("outline", "")),
            beats=[str(b) for b in data.get("beats", [])],
        )


@dataclass
class StoryBible:
    premise: str = ""
    tone: str = ""
    setting: str = ""
    characters: list[CharacterSheet] = field(default_factory=list)
    episodes: list[EpisodeOutline] = field(default_factory=list)
    scene_summaries: dict[str, str] = field(default_factory=dict)  # "1-2" (episode-scene) -> one sentence

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StoryBible:
        """A bible from stored JSON; missing keys (older or hand-made bibles) take their defaults."""
        data = data or {}
        return cls(
            premise=str(data.get("premise", "")),
            tone=str(data.get("tone", "")),
            setting=str(data.get("setting", "")),
            characters=[CharacterSheet.of(c) for c in data.get("characters", []) if c.get("name")],
            episodes=[EpisodeOutline.of(e) for e in data.get("episodes", [])],
            scene_summaries={str(k): str(v) for k, v in (data.get("scene_summaries") or {}).items()},
        )

    def outline(self, episode: int) -> EpisodeOutline | None:
        return next((e for e in self.episodes if e.number == episode), None)

    def beat(self, episode: int, scene: int) -> str:
        outline = self.outline(episode)
        if outline is None or not 1 <= scene <= len(outline.beats):
            return ""
        return outline.beats[scene - 1]

    def remember(self, episode: int, scene: int, summary: str) -> None:
        self.scene_summaries[f"{episode}-{scene}"] = summary.strip()

    def previous(self, episode: int, scene: int, count: int = PREVIOUS_SCENES) -> list[str]:
        """Summaries of the `count` scenes written before (episode, scene), oldest first, labelled."""
        earlier = sorted(
            (key, text) for key, text in ((_scene_key(k), v) for k, v in self.scene_summaries.items()) if key
        )
        before = [(key, text) for key, text in earlier if key < (episode, scene)]
        return [f"E{e} S{s}: {text}" for (e, s), text in before[-count:]]

    def character(self, name: str) -> CharacterSheet | None:
        wanted = name.strip().casefold()
        return next((c for c in self.characters if c.name.casefold() == wanted), None)

    def reference_images(self, names: list[str]) -> list[str]:
        """Reference images of the named characters, in the order named, without repeats."""
        sheets = [self.character(name) for name in names]
        return list(dict.fromkeys(s.reference_image for s in sheets if s is not None and s.reference_image))

    def with_reference_images(self, characters: list[dict[str, Any]]) -> StoryBible:
        """Merge the novela's reference characters (name, description, image_url) into the bible's sheets."""
        for item in characters:
            name = str(item.get("name", "")).strip()
            if not name:
                continue
            sheet = self.character(name)
            if sheet is None:
                sheet = CharacterSheet(name=name, look=str(item.get("description", "")))
                self.characters.append(sheet)
            sheet.reference_image = str(item.get("image_url", "")) or sheet.reference_image
        return self


def _scene_key(key: str) -> tuple[int, int] | None:
    episode, _, scene = key.partition("-")
    return (int(episode), int(scene)) if episode.isdigit() and scene.isdigit() else None


def load(db: Database, novela_id: int) -> StoryBible:
    """The novela's bible, with its reference characters' images attached to the character sheets."""
    novela = service.get(db, novela_id)
    bible = StoryBible.from_json(novela.story_bible)
    if not bible.premise:
        bible.premise = novela.premise
    return bible.with_reference_images(list(novela.reference_character_images or []))


def save(db: Database, novela_id: int, bible: StoryBible) -> None:
    service.update(db, novela_id, story_bible=bible.to_json())
