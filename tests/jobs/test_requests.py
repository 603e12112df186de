"""What a provider is sent for a take: no prompt to a model that takes none; local stand-ins keep the story."""

from __future__ import annotations

from vsl.db.engine import Database
from vsl.db.models import Novela, NovelaVideo
from vsl.jobs.requests import build_request


def _take(db: Database, model_id: str, provider: str, params: dict) -> NovelaVideo:
    with db.session() as session:
        novela = Novela(
            title="N",
            target_episodes=1,
            scenes_per_episode=1,
            default_model_id=model_id,
            default_duration=4,
            default_resolution="576p",
            reference_character_images=[{"name": "Isabel"}],
        )
        session.add(novela)
        session.flush()
        take = NovelaVideo(
            novela_id=novela.id,
            episode_number=1,
            scene_number=1,
            take=1,
            model_id=model_id,
            model_parameters=params,
            provider=provider,
            script_prompt="Rain on the windows.",
            client_request_id="click-0",
        )
        session.add(take)
    return take


def test_a_model_without_a_prompt_is_sent_none(sqlite_db: Database) -> None:
    take = _take(sqlite_db, "stable-video-diffusion", "replicate", {"input_image": "https://example.com/a.png"})
    with sqlite_db.session() as session:
        request = build_request(session, take)
    assert request.prompt == ""
    assert request.params["input_image"] == "https://example.com/a.png"
    assert request.metadata["characters"] == ["Isabel"]


def test_a_local_stand_in_keeps_the_prompt_and_maps_the_settings(sqlite_db: Database) -> None:
    take = _take(sqlite_db, "wan-2.5-t2v", "local", {"size": "720*1280", "duration": 10, "seed": 7})
    with sqlite_db.session() as session:
        request = build_request(session, take)
    assert request.prompt == "Rain on the windows."
    assert request.params == {"duration": 10, "aspect_ratio": "9:16", "resolution": "720p", "seed": 7}
