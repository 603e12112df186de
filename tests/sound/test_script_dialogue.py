"""Dialogue in the Script Writer's scene output: the offline drafter writes speakable lines, odd answers are
tidied into the schema, and the board's save refuses what speech-02-hd would not speak."""

from __future__ import annotations

import pytest

from tests.agents.test_agents_offline import scene, season
from tests.jobs.conftest import make_novela
from vsl.agents.llm import schema_problems
from vsl.agents.script_writer import SCENE_SCHEMA, ModelBrief, SceneBrief, tidy_scene
from vsl.db.engine import Database
from vsl.db.models import NovelaVideo
from vsl.sound.dialogue import DialogueInvalid, DialogueLine, emotions, lines_of
from vsl.sound.scenes import save_dialogue


def test_offline_drafter_writes_lines_with_speakers_of_the_cast_and_known_emotions() -> None:
    _, bible = season()
    drafted = scene(bible, "veo-3.1", 2)
    lines = lines_of({"dialogue": drafted["dialogue"]})
    assert schema_problems(drafted, SCENE_SCHEMA) == []
    assert lines and all(line.emotion in emotions() and line.emotion != "auto" for line in lines)
    cast = {c.name for c in bible.characters}
    assert {line.speaker for line in lines} <= cast and all(line.line.endswith((".", "?", "!")) for line in lines)


def test_a_writer_answer_with_an_unknown_emotion_or_odd_hint_is_tidied_to_the_schema() -> None:
    _, bible = season()
    brief = SceneBrief(bible, 1, 1, ModelBrief.of("veo-3.1"))
    raw = {"dialogue": [{"speaker": "Isabel", "line": " ¿Quién? ", "emotion": "smug", "at_s": "soon"}, {"line": ""}]}
    tidied = tidy_scene(raw, brief)
    assert tidied["dialogue"] == [{"speaker": "Isabel", "line": "¿Quién?", "emotion": "auto", "at_s": None}]
    assert schema_problems(tidied, SCENE_SCHEMA) == []


def test_saving_dialogue_refuses_unknown_emotions_and_sounds_and_keeps_the_take(sqlite_db: Database) -> None:
    novela_id = make_novela(sqlite_db, scenes=1).id
    with sqlite_db.session() as session:
        take = session.query(NovelaVideo).filter_by(novela_id=novela_id).one()
    good = [DialogueLine("Isabel", "Who is there?", "fearful", 0.5)]
    save_dialogue(sqlite_db, take.id, good, "voices")
    with pytest.raises(DialogueInvalid, match="choose one of: auto, happy"):
        save_dialogue(sqlite_db, take.id, [DialogueLine("Isabel", "Hi", "smug")])
    with pytest.raises(DialogueInvalid, match="both, model, voices"):
        save_dialogue(sqlite_db, take.id, good, "loud")
    with sqlite_db.session() as session:
        details = session.get(NovelaVideo, take.id).scene_details
    assert lines_of(details) == good and details["sound"] == "voices"
