"""Export: for an episode the MP4 (subtitles burned in on request), SRT, VTT, the screenplay with dialogue and
the shot list CSV; for a novela all of them in one zip. What is still missing is named, never silently dropped."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.media import atomic_output
from vsl.media.ffmpeg import burn_subtitles
from vsl.providers.animatic import SYSTEM_FONT
from vsl.sound.cut import TITLE_CARD_S
from vsl.sound.dialogue import NARRATOR, lines_of
from vsl.sound.episodes import chosen_takes
from vsl.sound.scenes import assembled, scene_length
from vsl.storage.base import Storage

SHOT_LIST_COLUMNS = [
    "episode", "scene", "title", "take", "status", "model", "start_s", "duration_s", "camera", "characters",
    "lines", "prompt",
]  # fmt: skip
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)


class NothingToExport(ValueError):
    """The novela or episode has nothing to put in an export."""


@dataclass
class EpisodeExport:
    episode: int
    files: dict[str, Path] = field(default_factory=dict)  # file name in the export → file on disk
    missing: list[str] = field(default_factory=list)  # sentences naming what is not there yet


def _scenes(db: Database, novela_id: int, episode: int) -> tuple[str, list[NovelaVideo], list[int]]:
    """The novela's title, the take describing each scene (chosen, else newest) and the scenes still missing."""
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None:
            raise NothingToExport("The novela no longer exists.")
        cut = chosen_takes(session, novela_id, episode, novela.scenes_per_episode)
        chosen = {t.scene_number: t for t in cut.scenes}
        shown = [chosen.get(s) or take for s, take in sorted((cut.planned or {}).items())]
        session.expunge_all()
        return novela.title, shown, cut.missing


def screenplay(title: str, episode: int, takes: list[NovelaVideo]) -> str:
    """The episode as a plain-text screenplay (Fountain style): scene headings, action, dialogue."""
    parts = [f"Title: {title}\nEpisode: {episode}\n"]
    for take in takes:
        parts.append(f"\n.SCENE {take.scene_number}: {(take.title or '').upper()}\n\n{take.script_prompt.strip()}\n")
        for line in lines_of(take.scene_details):
            name = "NARRATOR (V.O.)" if line.speaker == NARRATOR else line.speaker.upper()
            mood = f"\n({line.emotion})" if line.emotion != "auto" else ""
            parts.append(f"\n{name}{mood}\n{line.line}\n")
    return "".join(parts)


def shot_list(takes: list[NovelaVideo]) -> str:
    """One CSV row per scene: take, status, model, planned start and length, camera, cast, lines, prompt."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SHOT_LIST_COLUMNS)
    clock = TITLE_CARD_S
    for take in takes:
        length = scene_length(take)
        details = take.scene_details
        lines = " / ".join(f"{line.speaker}: {line.line}" for line in lines_of(details))
        characters = ", ".join(str(c) for c in details.get("characters") or [])
        writer.writerow([
            take.episode_number, take.scene_number, take.title, take.take, take.status, take.model_id,
            f"{clock:g}", f"{length:g}", details.get("camera", ""), characters, lines, take.script_prompt,
        ])  # fmt: skip
        clock += length
    return out.getvalue()


def _font_dir() -> Path | None:
    return next((d for d in FONT_DIRS if (d / SYSTEM_FONT).is_file()), None)


def export_episode(
    db: Database, storage: Storage, novela_id: int, episode: int, folder: Path, *, burn_in: bool = False
) -> EpisodeExport:
    """Write the episode's export files into `folder`; the assembled cut's files are taken from storage."""
    title, takes, missing = _scenes(db, novela_id, episode)
    if not takes:
        raise NothingToExport(f"Episode {episode} has no scenes yet.")
    export = EpisodeExport(episode)
    stem = f"episode-{episode:03d}"
    if missing:
        export.missing.append(f"Episode {episode}: scene(s) {', '.join(map(str, missing))} have no finished take.")
    for name, text in (
        (f"{stem}-screenplay.txt", screenplay(title, episode, takes)),
        (f"{stem}-shots.csv", shot_list(takes)),
    ):
        export.files[name] = folder / name
        export.files[name].write_text(text, encoding="utf-8")
    files = assembled(db, novela_id, episode)
    if files is None:
        export.missing.append(f"Episode {episode} has not been assembled, so there is no MP4 or subtitles yet.")
        return export
    for suffix, key in (("srt", files.srt_key), ("vtt", files.vtt_key)):
        if key:
            export.files[f"{stem}.{suffix}"] = storage.download_to(key, folder / f"{stem}.{suffix}")
    video = storage.download_to(files.item.s3_key, folder / f"{stem}.mp4")
    if burn_in and f"{stem}.srt" in export.files:
        burned = folder / f"{stem}-subtitled.mp4"
        video = burn_subtitles(video, export.files[f"{stem}.srt"], burned, fonts_dir=_font_dir())
    export.files[f"{stem}.mp4"] = video
    return export


def export_novela(
    db: Database, storage: Storage, novela_id: int, folder: Path, *, burn_in: bool = False
) -> tuple[Path, list[str]]:
    """Every episode's export in one zip (with MISSING.txt when something is not there yet) and the missing list."""
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None:
            raise NothingToExport("The novela no longer exists.")
        planned = video_repo.planned_episodes(session, novela_id)
        episodes, title = novela.target_episodes, novela.title
    missing = [f"Episode {n} has no scenes planned yet." for n in range(1, episodes + 1) if n not in planned]
    out = folder / "novela.zip"
    with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in planned:
            work = folder / f"episode-{number:03d}"
            work.mkdir(exist_ok=True)
            export = export_episode(db, storage, novela_id, number, work, burn_in=burn_in)
            missing += export.missing
            for name, path in export.files.items():
                archive.write(path, f"episode-{number:03d}/{name}")
        if missing:
            archive.writestr("MISSING.txt", f"{title}: not everything is ready yet.\n" + "\n".join(missing) + "\n")
    return out, missing
