"""The sample novela: rendered offline end to end into a one-minute episode where two characters speak, with
a title card, chapters and subtitles (what `python -m vsl demo` does)."""

from __future__ import annotations

from pathlib import Path

import webvtt

from vsl.config import load_settings
from vsl.demo import DEMO_SCENES, DEMO_TITLE, render_demo
from vsl.media.ffmpeg import integrated_loudness, read_chapters
from vsl.runtime import build_runtime
from vsl.sound.scenes import assembled


def test_the_demo_renders_a_one_minute_spoken_episode_offline(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "MEDIA_DIR": str(tmp_path / "media")})
    runtime = build_runtime(settings, start_worker=False)
    try:
        episode = render_demo(runtime)
        files = assembled(runtime.db, episode.novela_id or 0, 1)
        assert files is not None and files.vtt_key
        video = runtime.storage.download_to(episode.s3_key, tmp_path / "demo.mp4")
        captions = webvtt.from_string(runtime.storage.get_bytes(files.vtt_key).decode()).captions
    finally:
        runtime.close()

    assert episode.title == f"{DEMO_TITLE} — Episode 1" and episode.source == "assembled"
    assert 50 <= float(episode.duration_seconds) <= 65
    assert len(read_chapters(video)) == len(DEMO_SCENES)
    speakers = {c.text.split(":")[0] for c in captions if ":" in c.text}
    assert speakers == {"Isabel", "Rafael"} and len(captions) >= 10
    assert abs(integrated_loudness(video) + 16) <= 1
