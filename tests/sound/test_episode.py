"""The finished episode from takes the real Worker rendered offline: streams, length, chapters, loudness,
subtitles inside their scenes, missing scenes skipped or shown as cards, and failures that name the scene."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
import srt
import webvtt

from tests.jobs.conftest import make_novela
from tests.jobs.test_pipeline_local import (
    LocalStack,
    local_stack_fixture,  # noqa: F401 (the local_stack fixture)
    media_rows,
    run_until,
)
from vsl.db.engine import Database
from vsl.db.models import EpisodeSubtitles, MediaItem, NovelaVideo
from vsl.jobs import actions
from vsl.jobs.assembly import AssemblyFailed, NotReady, assemble_episode
from vsl.media.ffmpeg import OUTPUT_FPS, ffmpeg_exe, integrated_loudness, read_chapters
from vsl.sound.cut import TITLE_CARD_S
from vsl.sound.dialogue import NARRATOR, DialogueLine, with_lines

FRAME_S = 1 / OUTPUT_FPS
SCENE_S = 3
DIALOGUE = {
    1: [DialogueLine("Isabel", "The letter came tonight."), DialogueLine("Rafael", "Burn it.", "angry")],
    2: [DialogueLine(NARRATOR, "She kept it <hidden> & safe.", at_s=0.5)],
    3: [DialogueLine("Rafael", "Who told you?", "surprised")],
}


def _streams(path: Path) -> list[str]:
    """The kinds of the file's streams as the bundled ffmpeg lists them (Video, Audio, Data...)."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False)
    return re.findall(r"Stream #\d+:\d+.*?: (\w+):", done.stderr)


def _duration(path: Path) -> float:
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False)
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", done.stderr).groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _novela_with_dialogue(db: Database, scenes: int = 3, episodes: int = 1) -> int:
    novela_id = make_novela(db, duration=SCENE_S, resolution="480p", scenes=scenes, episodes=episodes).id
    with db.write() as session:
        for take in session.query(NovelaVideo).filter_by(novela_id=novela_id):
            take.scene_details = with_lines(take.scene_details, DIALOGUE.get(take.scene_number, []))
    return novela_id


def _render(db: Database, stack: LocalStack, novela_id: int, scenes: list[int] | None = None) -> None:
    targets = actions.targets_rest_of_episode(db, novela_id, 1)
    targets = [targets[n - 1] for n in scenes] if scenes else targets  # in scene order
    run_until(stack.worker, db, actions.confirm(db, stack.registry, actions.quote(db, stack.registry, targets)))


def _subtitles(db: Database, stack: LocalStack, item: MediaItem) -> tuple[str, str]:
    with db.session() as session:
        row = session.get(EpisodeSubtitles, item.id)
    assert row is not None and row.cues == 4
    return stack.storage.get_bytes(row.srt_key).decode(), stack.storage.get_bytes(row.vtt_key).decode()


def test_finished_episode_has_title_voices_chapters_loudness_and_subtitles(
    db: Database, local_stack: LocalStack, tmp_path: Path
) -> None:
    novela_id = _novela_with_dialogue(db)
    _render(db, local_stack, novela_id)
    seen: list[tuple[float, str]] = []
    item = assemble_episode(db, local_stack.storage, novela_id, 1, on_progress=lambda f, m: seen.append((f, m)))

    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1] == (1.0, "Done")
    assert any("Speaking the lines of scene 2" in m for _, m in seen)
    video = local_stack.storage.download_to(item.s3_key, tmp_path / "episode.mp4")
    kinds = _streams(video)
    assert (kinds.count("Video"), kinds.count("Audio")) == (1, 1)
    expected = TITLE_CARD_S + 3 * SCENE_S
    assert abs(_duration(video) - expected) <= 4 * FRAME_S  # one frame per segment (title card + 3 scenes)
    assert abs(float(item.duration_seconds) - expected) <= 4 * FRAME_S

    chapters = read_chapters(video)
    assert [c.title for c in chapters] == ["Scene 1: Scene 1", "Scene 2: Scene 2", "Scene 3: Scene 3"]
    starts = [0.0, TITLE_CARD_S + SCENE_S, TITLE_CARD_S + 2 * SCENE_S]
    assert [round(c.start_s, 2) for c in chapters] == starts and abs(chapters[-1].end_s - expected) < FRAME_S

    assert abs(integrated_loudness(video) - -16.0) <= 1.0
    assert "espeak-ng stand-in" in item.description

    srt_text, vtt_text = _subtitles(db, local_stack, item)
    subs, captions = list(srt.parse(srt_text)), webvtt.from_string(vtt_text).captions
    windows = [(TITLE_CARD_S + (n - 1) * SCENE_S, TITLE_CARD_S + n * SCENE_S) for n in (1, 1, 2, 3)]
    previous_end = 0.0
    for sub, caption, (low, high) in zip(subs, captions, windows, strict=True):
        start, end = sub.start.total_seconds(), sub.end.total_seconds()
        assert low <= start < end <= high and start >= previous_end
        assert abs(caption.start_in_seconds - int(start)) <= 1 and html.unescape(caption.text) == html.unescape(
            sub.content
        )
        previous_end = end
    assert html.unescape(subs[2].content) == "She kept it <hidden> & safe." and "<hidden>" not in srt_text + vtt_text
    assert subs[2].start.total_seconds() >= TITLE_CARD_S + SCENE_S + 0.5  # the timing hint


def test_missing_scenes_stop_or_are_skipped_or_shown_as_cards(
    sqlite_db: Database, sqlite_stack: LocalStack, tmp_path: Path
) -> None:
    stack = sqlite_stack
    novela_id = _novela_with_dialogue(sqlite_db)
    _render(sqlite_db, stack, novela_id, scenes=[1, 3])

    with pytest.raises(NotReady, match=r"Scenes 2 of episode 1 .* skipped or shown as placeholder cards"):
        assemble_episode(sqlite_db, stack.storage, novela_id, 1)
    skipped = assemble_episode(sqlite_db, stack.storage, novela_id, 1, missing="skip")
    assert abs(float(skipped.duration_seconds) - (TITLE_CARD_S + 2 * SCENE_S)) <= 3 * FRAME_S
    assert "Skipped: S2" in skipped.description

    carded = assemble_episode(sqlite_db, stack.storage, novela_id, 1, missing="placeholder", crossfade_s=0.5)
    assert carded.id == skipped.id  # the cut was replaced, not duplicated
    video = stack.storage.download_to(carded.s3_key, tmp_path / "carded.mp4")
    assert abs(_duration(video) - (TITLE_CARD_S + 3 * SCENE_S - 3 * 0.5)) <= 4 * FRAME_S  # three crossfades
    assert "Placeholder cards: S2" in carded.description
    assert [c.title for c in read_chapters(video)][1] == "Scene 2: Scene 2"


def test_a_broken_take_names_its_scene_and_the_library_keeps_the_earlier_cut(
    sqlite_db: Database, sqlite_stack: LocalStack
) -> None:
    stack = sqlite_stack
    novela_id = _novela_with_dialogue(sqlite_db, scenes=2)
    _render(sqlite_db, stack, novela_id)
    first = assemble_episode(sqlite_db, stack.storage, novela_id, 1)
    before = stack.storage.get_bytes(first.s3_key)

    with sqlite_db.session() as session:
        key = session.query(NovelaVideo).filter_by(novela_id=novela_id, scene_number=2).one().s3_key
    stack.storage.put_bytes(key, b"\x00\x00\x00\x18ftypmp42 this is no video", "video/mp4")
    with pytest.raises(AssemblyFailed, match="scene 2, step “read the take”") as failure:
        assemble_episode(sqlite_db, stack.storage, novela_id, 1)
    assert (failure.value.scene, failure.value.step) == (2, "read the take")
    assert stack.storage.get_bytes(first.s3_key) == before
    assert [(m.id, m.description) for m in media_rows(sqlite_db, novela_id) if m.source == "assembled"] == [
        (first.id, first.description)
    ]
