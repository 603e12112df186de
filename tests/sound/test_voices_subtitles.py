"""Offline voices (espeak-ng), line timing from the measured audio, and SRT/WebVTT read back by real parsers."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import srt
import webvtt

from tests.jobs.conftest import make_novela
from vsl.db import migrate, video_repo
from vsl.db.engine import Database
from vsl.sound import espeak, scenes
from vsl.sound.dialogue import NARRATOR, DialogueInvalid, DialogueLine, lines_of, with_lines
from vsl.sound.subtitles import cues_of, to_srt, to_vtt
from vsl.sound.timeline import place_scene
from vsl.sound.voices import SYSTEM_VOICES, VoiceSettings, all_voices, save_voice, voices_for
from vsl.sound.voicing import speak_lines

SCENES = [  # (scene number, start on the episode clock, duration)
    (1, 3.0, 4.0),
    (2, 7.0, 3.0),
    (3, 10.0, 4.0),
]
LINES = {
    1: [DialogueLine("Isabel", "The letter came tonight."), DialogueLine("Rafael", "Then burn it.", "angry")],
    2: [DialogueLine(NARRATOR, "She did not burn it.", at_s=0.8)],
    3: [
        DialogueLine("Isabel", "Tom & Jerry <b>never</b> --> lied.", "sad"),
        DialogueLine("Rafael", "This line is far too long to be spoken in what is left of this short scene, surely."),
        DialogueLine("Isabel", "Nor this one."),
    ],
}


def _clock_ms(stamp: webvtt.models.Timestamp) -> int:
    return ((stamp.hours * 60 + stamp.minutes) * 60 + stamp.seconds) * 1000 + stamp.milliseconds


@pytest.fixture
def novela_id(db: Database) -> int:
    return make_novela(db).id


def test_each_speaker_gets_an_own_voice_that_is_stored_and_refuses_unknown_settings(
    db: Database, novela_id: int
) -> None:
    voices = voices_for(db, novela_id, ["Isabel", "Rafael", NARRATOR])
    assert len({v.voice_id for v in voices.values()}) == 3
    assert voices_for(db, novela_id, ["Rafael"])["Rafael"] == voices["Rafael"]  # stored on first use
    assert len({espeak.variant(v.voice_id) for v in voices.values()}) == 3

    with pytest.raises(DialogueInvalid, match="Wise_Woman, Deep_Voice_Man"):
        save_voice(db, novela_id, VoiceSettings("Isabel", "Robot_Voice"))
    with pytest.raises(DialogueInvalid, match="happy, sad, angry"):
        save_voice(db, novela_id, VoiceSettings("Isabel", emotion="bored"))
    with pytest.raises(DialogueInvalid, match=r"0\.5 to 2"):
        save_voice(db, novela_id, VoiceSettings("Isabel", speed=3.0))
    assert all_voices(db, novela_id)[0] == voices["Isabel"]  # refused settings wrote nothing

    slower = VoiceSettings("Isabel", SYSTEM_VOICES[4], speed=0.7, pitch=-3, emotion="calm", language_boost="Spanish")
    save_voice(db, novela_id, slower)
    assert all_voices(db, novela_id)[0] == slower


def test_dialogue_round_trips_through_scene_details_and_unknown_emotions_are_refused() -> None:
    details = with_lines({"camera": "close-up"}, [*LINES[1], DialogueLine("Isabel", "   ")])
    assert details["camera"] == "close-up"
    assert lines_of(details) == LINES[1]  # the empty line was dropped
    assert lines_of({"dialogue": [{"line": "Who is there?", "at_s": -1}]}) == [DialogueLine(NARRATOR, "Who is there?")]
    with pytest.raises(DialogueInvalid, match="choose one of: auto, happy"):
        with_lines({}, [DialogueLine("Isabel", "Hello", "smug")])


def test_novela_speakers_come_in_order_of_first_line_from_the_takes_with_dialogue(db: Database) -> None:
    novela = make_novela(db, scenes=5)
    stored = {2: LINES[3], 3: None, 4: [], 5: LINES[2] + LINES[1]}  # scene 1 has no dialogue at all
    with db.write() as session:
        for take in video_repo.episode_takes(session, novela.id, 1):
            if take.scene_number in stored:
                raw = stored[take.scene_number]
                lines = [line.as_dict() for line in raw] if raw is not None else None
                take.scene_details = {**take.scene_details, "dialogue": lines}
    assert scenes.novela_speakers(db, novela.id) == ["Isabel", "Rafael", NARRATOR]
    assert scenes.novela_speakers(db, make_novela(db).id) == []


def test_offline_voices_differ_per_character_and_durations_come_from_the_audio(
    db: Database, novela_id: int, tmp_path: Path
) -> None:
    voices = voices_for(db, novela_id, ["Isabel", "Rafael"])
    same_words = [DialogueLine("Isabel", "Come home."), DialogueLine("Rafael", "Come home.")]
    isabel, rafael = speak_lines(same_words, voices, tmp_path)
    assert isabel.audio.read_bytes() != rafael.audio.read_bytes()
    (longer,) = speak_lines(
        [DialogueLine("Isabel", "Come home, now, before the storm reaches the hacienda.")], voices, tmp_path
    )
    assert 0.3 < isabel.duration_s < longer.duration_s < 6
    assert speak_lines(same_words[:1], voices, tmp_path)[0].audio == isabel.audio  # reused, not spoken again


def test_subtitles_parse_back_and_every_cue_lies_inside_its_scene_in_order(
    db: Database, novela_id: int, tmp_path: Path
) -> None:
    voices = voices_for(db, novela_id, ["Isabel", "Rafael", NARRATOR])
    plans = {n: place_scene(speak_lines(LINES[n], voices, tmp_path), n, start, length) for n, start, length in SCENES}
    placed = [p for plan in plans.values() for p in plan.placed]
    assert plans[3].placed[0].end_s == 13.9  # cut at the scene's end (less its tail)
    assert [m.split("'")[0] for m in plans[3].left_out] == ["Scene 3: Rafael", "Scene 3: Isabel"]
    assert plans[2].placed[0].start_s >= 7.8  # the timing hint holds

    cues = cues_of(placed)
    parsed_srt = list(srt.parse(to_srt(cues)))
    parsed_vtt = webvtt.from_string(to_vtt(cues))
    assert len(parsed_srt) == len(parsed_vtt.captions) == len(placed) == 4
    windows = {n: (start * 1000, (start + length) * 1000) for n, start, length in SCENES}
    previous_end = 0
    for line, sub, cue in zip(placed, parsed_srt, parsed_vtt.captions, strict=True):
        start, end = sub.start.total_seconds() * 1000, sub.end.total_seconds() * 1000
        assert (round(start), round(end)) == (_clock_ms(cue.start_time), _clock_ms(cue.end_time))
        low, high = windows[line.scene]
        assert low <= start < end <= high, (line, start, end)
        assert start >= previous_end
        previous_end = end
        assert html.unescape(sub.content) == html.unescape(cue.text) == line.caption
    marked = next(s.content for s in parsed_srt if "Jerry" in s.content)
    assert "<b>" not in marked and "-->" not in marked and "&amp;" in marked


def test_sound_tables_downgrade_to_the_revision_before(db: Database) -> None:
    migrate.downgrade(db, "0001")
    with pytest.raises(Exception, match="speaker_voices"):
        all_voices(db, 1)
    migrate.upgrade(db)
    assert all_voices(db, 1) == []
