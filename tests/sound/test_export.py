"""Export of an episode (MP4, SRT, VTT, screenplay, shot list; subtitles burned in on request) and of a whole
novela as one zip that names what is still missing."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import srt
from PIL import Image, ImageChops

from tests.jobs.test_pipeline_local import LocalStack
from tests.sound.test_episode import SCENE_S, _novela_with_dialogue, _render
from vsl.db.engine import Database
from vsl.jobs.assembly import assemble_episode
from vsl.media.ffmpeg import extract_frame, probe
from vsl.sound.export import SHOT_LIST_COLUMNS, export_episode, export_novela


def _changed_pixels(a: Path, b: Path) -> int:
    with Image.open(a) as first, Image.open(b) as second:
        diff = ImageChops.difference(first.convert("L"), second.convert("L"))
        return sum(diff.histogram()[61:])


def test_episode_export_has_every_file_and_burns_subtitles_on_request(
    sqlite_db: Database, sqlite_stack: LocalStack, tmp_path: Path
) -> None:
    novela_id = _novela_with_dialogue(sqlite_db, scenes=2)
    _render(sqlite_db, sqlite_stack, novela_id)
    assemble_episode(sqlite_db, sqlite_stack.storage, novela_id, 1)

    plain_dir, burned_dir = tmp_path / "plain", tmp_path / "burned"
    plain_dir.mkdir(), burned_dir.mkdir()
    plain = export_episode(sqlite_db, sqlite_stack.storage, novela_id, 1, plain_dir)
    assert sorted(plain.files) == [
        "episode-001-screenplay.txt", "episode-001-shots.csv", "episode-001.mp4", "episode-001.srt", "episode-001.vtt",
    ]  # fmt: skip
    assert plain.missing == []
    play = plain.files["episode-001-screenplay.txt"].read_text()
    assert "ISABEL\nThe letter came tonight." in play and "RAFAEL\n(angry)\nBurn it." in play
    assert ".SCENE 2: SCENE 2" in play and "NARRATOR (V.O.)" in play
    rows = list(csv.DictReader(io.StringIO(plain.files["episode-001-shots.csv"].read_text())))
    assert list(rows[0]) == SHOT_LIST_COLUMNS and [r["scene"] for r in rows] == ["1", "2"]
    assert rows[1]["start_s"] == f"{3 + SCENE_S:g}" and "Isabel: The letter came tonight." in rows[0]["lines"]

    burned = export_episode(sqlite_db, sqlite_stack.storage, novela_id, 1, burned_dir, burn_in=True)
    cue = next(srt.parse(plain.files["episode-001.srt"].read_text()))
    middle = (cue.start + (cue.end - cue.start) / 2).total_seconds()
    frames = [
        extract_frame(e.files["episode-001.mp4"], tmp_path / f"{n}.jpg", middle)
        for n, e in (("a", plain), ("b", burned))
    ]
    assert _changed_pixels(*frames) > 500  # the words are drawn into the picture
    assert (
        abs(probe(burned.files["episode-001.mp4"]).duration_s - probe(plain.files["episode-001.mp4"]).duration_s) < 0.1
    )


def test_novela_zip_holds_each_episode_and_names_what_is_missing(
    sqlite_db: Database, sqlite_stack: LocalStack, tmp_path: Path
) -> None:
    novela_id = _novela_with_dialogue(sqlite_db, scenes=3, episodes=2)
    _render(sqlite_db, sqlite_stack, novela_id, scenes=[1, 3])

    archive_path, missing = export_novela(sqlite_db, sqlite_stack.storage, novela_id, tmp_path)
    assert missing == [
        "Episode 2 has no scenes planned yet.",
        "Episode 1: scene(s) 2 have no finished take.",
        "Episode 1 has not been assembled, so there is no MP4 or subtitles yet.",
    ]
    with zipfile.ZipFile(archive_path) as archive:
        names = sorted(archive.namelist())
        assert names == ["MISSING.txt", "episode-001/episode-001-screenplay.txt", "episode-001/episode-001-shots.csv"]
        assert "scene(s) 2 have no finished take" in archive.read("MISSING.txt").decode()

    assemble_episode(sqlite_db, sqlite_stack.storage, novela_id, 1, missing="skip")
    archive_path, missing = export_novela(sqlite_db, sqlite_stack.storage, novela_id, tmp_path)
    with zipfile.ZipFile(archive_path) as archive:
        assert (
            "episode-001/episode-001.mp4" in archive.namelist() and "episode-001/episode-001.vtt" in archive.namelist()
        )
    assert len(missing) == 2
