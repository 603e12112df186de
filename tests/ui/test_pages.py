"""Every page rendered by Streamlit's AppTest, driven as a user would."""

from __future__ import annotations

from decimal import Decimal

from tests.ui.conftest import open_page, texts
from vsl.db import media_repo, novela_repo, video_repo
from vsl.db.media_repo import MediaFilter
from vsl.db.models import MediaItem
from vsl.demo import DEMO_TITLE
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput


def _novela(runtime, **kw):
    data = {
        "title": "Hacienda",
        "genre": "Drama",
        "episodes": 2,
        "scenes_per_episode": 3,
        "default_model_id": "veo-3.1-fast",
        "default_duration": 8,
        "default_resolution": "720p",
        "budget": Decimal("100"),
    }
    data.update(kw)
    return service.create(runtime.db, NovelaInput(**data))


def test_home_guides_a_first_user_and_offers_the_demo(app_env) -> None:
    at = open_page()
    assert "No novela yet" in texts(at)
    demo = next(b for b in at.button if "sample novela" in b.label)
    demo.click().run()
    assert not at.exception
    with app_env.db.session() as session:
        (card,) = novela_repo.cards(session)
        takes = video_repo.episode_takes(session, card.novela.id, 1)
    assert card.novela.title == DEMO_TITLE
    assert {t.status for t in takes} == {"reserved"}  # queued for the worker, $0


def test_home_lists_novelas_as_cards(app_env) -> None:
    _novela(app_env)
    at = open_page()
    page = texts(at)
    assert "Hacienda" in page
    assert "Spent $0.00 of $100.00" in page
    assert any(b.label == "Open board" for b in at.button)


def test_calculator_prices_the_plan_and_compares_models(app_env) -> None:
    at = open_page("pages/calculator.py")
    page = texts(at)
    # default: veo-3.1-fast 8 s 720p with audio = $1.20/video; 10 episodes x 8 scenes x 1.2 (20% regenerations)
    assert "Per video $1.20" in page
    assert "Cheapest for this very plan" in page
    assert len(at.get("plotly_chart")) == 2
    at.selectbox[0].select("wan-2.5-t2v").run()
    assert not at.exception
    assert "Per video $0.50" in texts(at)  # wan 720p 5 s at $0.10/s


def test_settings_shows_modes_and_tests_connections(app_env) -> None:
    at = open_page("pages/settings.py")
    page = texts(at)
    assert "SQLite (embedded)" in page and "local folder (embedded)" in page
    assert "offline drafting (embedded)" in page
    for button in [b for b in at.button if b.label == "Test connection"]:
        button.click().run()
        assert not at.exception
    assert len(at.success) == 4
    assert len(at.dataframe) == 1


def test_board_spends_only_after_the_confirmation_that_shows_the_total(app_env, monkeypatch) -> None:
    monkeypatch.setenv("LAMBDA_API_URL", "http://127.0.0.1:9")  # priced as the real provider; never called here
    novela = _novela(app_env)
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    assert "Hacienda" in texts(at)
    next(b for b in at.button if b.label.startswith("Rest of episode")).click().run()
    assert not at.exception
    assert "Total to reserve $3.60" in texts(at)  # 3 scenes x veo-3.1-fast 8 s with audio at $0.15/s
    with app_env.db.session() as session:
        assert {t.status for t in video_repo.episode_takes(session, novela.id, 1)} == {"planned"}
    next(b for b in at.button if b.label == "Confirm and generate").click().run()
    assert not at.exception
    with app_env.db.session() as session:
        assert {t.status for t in video_repo.episode_takes(session, novela.id, 1)} == {"reserved"}
        assert novela_repo.get(session, novela.id).reserved_cost == Decimal("3.60")


def test_library_filters_and_searches(app_env) -> None:
    with app_env.db.session() as session:
        for i in range(30):
            session.add(
                MediaItem(
                    s3_key=f"videos/clip-{i}.mp4",
                    media_type="video" if i % 3 else "image",
                    title=f"Clip {i}" + (" storm" if i == 7 else ""),
                    file_size_bytes=1000 + i,
                )
            )
    at = open_page("pages/library.py")
    assert "30 items" in texts(at)
    at.text_input[0].input("storm").run()
    assert "1 item" in texts(at)
    with app_env.db.session() as session:
        assert media_repo.search(session, MediaFilter(media_type="image"))[1] == 10


def test_board_agents_draft_the_next_scene_and_nothing_is_spent_until_confirmed(app_env) -> None:
    novela = _novela(app_env, default_model_id="local-preview", default_duration=2, default_resolution="480p")
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    next(b for b in at.button if b.label == "Agents: next scene").click().run()
    assert not at.exception
    assert "Proposal:" in texts(at)
    with app_env.db.session() as session:
        first = video_repo.episode_takes(session, novela.id, 1)[0]
    assert first.status == "planned" and first.validated_by_agent == "integrator"
    next(b for b in at.button if b.label.startswith("Review and generate")).click().run()
    next(b for b in at.button if b.label == "Confirm and generate").click().run()
    assert not at.exception
    with app_env.db.session() as session:
        assert video_repo.get(session, first.id).status == "reserved"


def test_board_pauses_and_deletes_a_novela_asking_about_its_media(app_env) -> None:
    novela = _novela(app_env)
    with app_env.db.session() as session:
        session.add(MediaItem(s3_key="videos/kept.mp4", media_type="video", novela_id=novela.id, title="kept"))
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    next(b for b in at.button if b.label == "Paused").click().run()
    assert service.get(app_env.db, novela.id).status == "paused"
    next(b for b in at.button if b.label == "Delete this novela…").click().run()
    assert "It has 1 media file(s) in the library:" in [r.label for r in at.radio]
    next(b for b in at.button if b.label == "Delete for good").click().run()
    assert not at.exception
    with app_env.db.session() as session:
        assert novela_repo.count(session) == 0
        (item,) = media_repo.search(session, MediaFilter())[0]
    assert item.title == "kept" and item.novela_id is None


def test_library_deletes_file_thumbnail_and_row_after_confirmation(app_env) -> None:
    storage = app_env.storage
    storage.put_bytes("videos/doomed.mp4", b"video", "video/mp4")
    storage.put_bytes("thumbnails/videos/doomed.jpg", b"jpeg", "image/jpeg")
    with app_env.db.session() as session:
        session.add(
            MediaItem(
                s3_key="videos/doomed.mp4",
                thumbnail_key="thumbnails/videos/doomed.jpg",
                media_type="video",
                title="doomed",
            )
        )
    at = open_page("pages/library.py")
    next(b for b in at.button if b.label == "Delete").click().run()
    assert storage.exists("videos/doomed.mp4")  # nothing happens before the confirmation
    next(b for b in at.button if b.label == "Delete for good").click().run()
    assert not at.exception
    assert not storage.exists("videos/doomed.mp4") and not storage.exists("thumbnails/videos/doomed.jpg")
    with app_env.db.session() as session:
        assert media_repo.search(session, MediaFilter())[1] == 0


def test_a_link_to_a_novela_made_a_moment_ago_opens_it_not_another(app_env) -> None:
    _novela(app_env, title="First")
    at = open_page("pages/board.py")  # caches the list of novelas
    second = _novela(app_env, title="Made in another tab")
    at.query_params["novela"] = str(second.id)
    at.run()
    assert "Made in another tab" in [t.value for t in at.title]
    at.query_params["novela"] = "999999"
    at.run()
    assert any("Novela 999999 does not exist" in w.value for w in at.warning)
