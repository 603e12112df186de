"""Episode assembly: the chosen take of every scene, trimmed to its scene's length, with a title card, voices,
ducking, loudness at -16 LUFS, chapters and subtitles, stored in the media library (docs/adr/0005).

The work happens in a temporary folder; files reach storage only after every step succeeded, and the library
row is written last, so a failure leaves the library as it was. A scene without a finished take stops assembly
unless the caller asks to skip it or to show a placeholder card (`missing`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from vsl.db import novela_repo, video_repo
from vsl.db.engine import Database
from vsl.db.models import EpisodeSubtitles, MediaItem, NovelaVideo
from vsl.media.ffmpeg import probe
from vsl.media.thumbnails import make_thumbnail
from vsl.sound.dialogue import SPEECH_MODEL, lines_of, speakers
from vsl.sound.episodes import EpisodeCut, chosen_takes
from vsl.sound.espeak import STAND_IN_LABEL
from vsl.sound.render import SOUND_CHOICES, AssemblyFailed, EpisodeSpec, Progress, Rendered, SceneSource, render_episode
from vsl.sound.scenes import scene_length
from vsl.sound.speech_jobs import fetch_recordings, recordings
from vsl.sound.voices import voices_for
from vsl.sound.voicing import line_key
from vsl.storage.base import Storage, StorageError

__all__ = [
    "AssemblyFailed",
    "EpisodeCut",
    "MissingScenes",
    "NotReady",
    "assemble_episode",
    "chosen_takes",
    "select_take",
]

MissingScenes = Literal["stop", "skip", "placeholder"]


class NotReady(ValueError):
    """Some scenes of the episode have no finished take yet."""


def select_take(db: Database, video_id: int) -> None:
    """Mark one take as the one to use for its scene (and unmark the others)."""
    with db.write() as session:
        video = video_repo.get(session, video_id, lock=True)
        if video is None or video.status != "completed":
            raise NotReady("Only a finished take can be chosen for the episode.")
        for take in video_repo.scene_takes(session, video.novela_id, video.episode_number, video.scene_number):
            take.selected = take.id == video.id


@dataclass(frozen=True)
class _Plan:
    title: str
    novela_title: str
    cut: EpisodeCut
    shown: list[tuple[int, NovelaVideo, bool]]  # scene, the take that describes it, whether it is rendered


def _plan(db: Database, novela_id: int, episode: int, missing: MissingScenes) -> _Plan:
    with db.session() as session:
        novela = novela_repo.get(session, novela_id)
        if novela is None:
            raise NotReady("The novela no longer exists.")
        cut = chosen_takes(session, novela_id, episode, novela.scenes_per_episode)
        chosen = {t.scene_number: t for t in cut.scenes}
        planned = cut.planned or {}
        shown = [(s, chosen[s], True) for s in sorted(chosen)]
        if missing == "placeholder":
            shown += [(s, planned[s], False) for s in cut.missing if s in planned]
        plan = _Plan(f"{novela.title} — Episode {episode}", novela.title, cut, sorted(shown, key=lambda x: x[0]))
        session.expunge_all()
    if cut.missing and missing == "stop":
        raise NotReady(
            f"Scenes {', '.join(map(str, cut.missing))} of episode {episode} have no finished take yet. Generate "
            "them, or assemble with the missing scenes skipped or shown as placeholder cards."
        )
    if not plan.shown:
        raise NotReady(f"Episode {episode} has no scene to show yet.")
    return plan


def _sources(storage: Storage, plan: _Plan, folder: Path, progress: Progress) -> list[SceneSource]:
    sources = []
    for i, (scene, take, rendered) in enumerate(plan.shown, start=1):
        progress(0.05 * i / len(plan.shown), f"Fetching the take of scene {scene}")
        clip = None
        if rendered:
            try:
                clip = storage.download_to(take.s3_key or "", folder / f"take-{scene:03d}.mp4")
            except StorageError as exc:
                raise AssemblyFailed("fetch the take", str(exc), scene) from exc
        sound = take.scene_details.get("sound", "both")
        lines = lines_of(take.scene_details)
        sources.append(
            SceneSource(
                scene,
                take.title or f"Scene {scene}",
                scene_length(take),
                clip,
                lines,
                sound if sound in SOUND_CHOICES else "both",
            )
        )
    return sources


def assemble_episode(
    db: Database,
    storage: Storage,
    novela_id: int,
    episode: int,
    *,
    missing: MissingScenes = "stop",
    crossfade_s: float = 0.0,
    on_progress: Progress | None = None,
) -> MediaItem:
    """Render the episode and put it with its subtitles in the media library (re-assembling replaces the cut).

    `missing`: "stop" raises NotReady when a scene has no finished take; "skip" leaves such scenes out;
    "placeholder" shows a card with the scene's title for its planned length. `on_progress(fraction, step)`
    is called as the work advances. A failed step raises AssemblyFailed naming the step and the scene.
    """
    progress = on_progress or (lambda _fraction, _step: None)
    plan = _plan(db, novela_id, episode, missing)
    with tempfile.TemporaryDirectory(prefix="vsl-episode-") as tmp:
        folder = Path(tmp)
        sources = _sources(storage, plan, folder, progress)
        voices = voices_for(db, novela_id, speakers(line for s in sources for line in s.lines))
        wanted = {line_key(line, voices[line.speaker]) for s in sources for line in s.lines}
        recorded = fetch_recordings(storage, recordings(db, novela_id), wanted, folder)
        rendered = render_episode(
            EpisodeSpec(plan.novela_title, episode, sources, voices, crossfade_s, recorded), folder, progress
        )
        progress(0.95, "Storing the episode")
        item = _publish(db, storage, novela_id, episode, plan, rendered, folder)
    progress(1.0, "Done")
    return item


def _description(plan: _Plan, rendered: Rendered) -> str:
    parts = ["Takes: " + ", ".join(f"S{t.scene_number} take {t.take}" for _, t, done in plan.shown if done)]
    placeholders = [str(s) for s, _, done in plan.shown if not done]
    skipped = [str(s) for s in plan.cut.missing if s not in {s for s, _, _ in plan.shown}]
    parts += [f"Placeholder cards: S{', S'.join(placeholders)}"] if placeholders else []
    parts += [f"Skipped: S{', S'.join(skipped)}"] if skipped else []
    parts += [_voices(rendered)] if rendered.lines else []
    parts += rendered.left_out
    return "\n".join(parts)


def _voices(rendered: Rendered) -> str:
    stand_in = sum(line.stand_in for line in rendered.lines)
    if not stand_in:
        return f"Voices: {SPEECH_MODEL}"
    if stand_in == len(rendered.lines):
        return f"Voices: {STAND_IN_LABEL}"
    recorded = len(rendered.lines) - stand_in
    return f"Voices: {SPEECH_MODEL} for {recorded} of {len(rendered.lines)} lines; the others: {STAND_IN_LABEL}"


def _upload(storage: Storage, files: list[tuple[str, Path, str]], had_cut: bool) -> None:
    """Every file or, when no earlier cut exists, none (a partial upload is removed)."""
    done: list[str] = []
    try:
        for key, path, content_type in files:
            storage.put_file(key, path, content_type)
            done.append(key)
    except StorageError as exc:
        for key in done if not had_cut else []:
            storage.delete(key)
        raise AssemblyFailed("store the episode", str(exc)) from exc


def _publish(
    db: Database, storage: Storage, novela_id: int, episode: int, plan: _Plan, rendered: Rendered, folder: Path
) -> MediaItem:
    base = f"episodes/novela-{novela_id}/episode-{episode:03d}"
    key, thumb_key = f"{base}.mp4", f"thumbnails/{base}.jpg"
    thumb = make_thumbnail(rendered.video, "video", folder / "thumb.jpg")
    with db.session() as session:
        had_cut = session.scalars(select(MediaItem.id).where(MediaItem.s3_key == key)).first() is not None
    files = [
        (f"{base}.srt", rendered.srt, "application/x-subrip"),
        (f"{base}.vtt", rendered.vtt, "text/vtt"),
        (thumb_key, thumb, "image/jpeg"),
        (key, rendered.video, "video/mp4"),  # last: the cut is only replaced once everything else is stored
    ]
    _upload(storage, files, had_cut)
    with db.write() as session:
        item = session.scalars(select(MediaItem).where(MediaItem.s3_key == key)).first() or MediaItem(s3_key=key)
        item.media_type, item.content_type, item.source = "video", "video/mp4", "assembled"
        item.file_size_bytes, item.thumbnail_key = rendered.video.stat().st_size, thumb_key
        item.duration_seconds = probe(rendered.video).duration_s
        item.title, item.novela_id, item.episode_number = plan.title, novela_id, episode
        item.description, item.tags = _description(plan, rendered), ["episode"]
        session.add(item)
        session.flush()
        subtitles = session.get(EpisodeSubtitles, item.id) or EpisodeSubtitles(media_id=item.id)
        subtitles.srt_key, subtitles.vtt_key, subtitles.cues = f"{base}.srt", f"{base}.vtt", len(rendered.lines)
        session.add(subtitles)
        return item
