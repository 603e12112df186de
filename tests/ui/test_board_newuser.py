"""The processing board as a new user meets it (issue 14): canceled scenes, a restart, costs that need a word,
the whole episode to play."""

from __future__ import annotations

from decimal import Decimal

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import open_page, texts
from tests.ui.test_deleted_takes import _novela, _takes, finish
from vsl.db import video_repo
from vsl.db.models import MediaItem, utcnow
from vsl.jobs import actions
from vsl.jobs.actions import Target
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.runtime import Runtime


def _button(at: AppTest, start: str):
    return next(b for b in at.button if b.label.startswith(start))


def _reserve(runtime: Runtime, video_ids: list[int]) -> None:
    quote = actions.quote(runtime.db, runtime.registry, [Target(i) for i in video_ids])
    actions.confirm(runtime.db, runtime.registry, quote)


def test_a_canceled_scene_counts_with_the_ones_to_generate_and_with_retry(app_env) -> None:
    novela = _novela(app_env)
    first, _ = _takes(app_env, novela.id)
    _reserve(app_env, [first.id])
    actions.cancel(app_env.db, app_env.registry, first.id)
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    assert _button(at, "Rest of episode").label == "Rest of episode (2)"
    assert _button(at, "Retry failed").label == "Retry failed (1)"
    _button(at, "Rest of episode").click().run()
    assert not at.exception
    assert "Generate the remaining 2 scene(s) of episode 1" in texts(at)  # scene 1 again as a new take, and scene 2
    _button(at, "Confirm and generate").click().run()
    statuses = [(t.scene_number, t.take, t.status) for t in _takes(app_env, novela.id)]
    assert statuses == [(1, 1, "canceled"), (1, 2, "reserved"), (2, 1, "reserved")]


def test_assembling_too_early_says_what_to_do(app_env) -> None:
    novela = _novela(app_env)
    finish(app_env, _takes(app_env, novela.id)[0])
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    _button(at, "Assemble").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "Scenes 2 of episode 1 have no finished take yet. Generate them, or assemble with the missing scenes skipped "
        "or shown as placeholder cards. “Rest of episode (1)” makes them."
    ]


def test_after_a_restart_the_board_says_which_takes_it_resumes(app_env) -> None:
    novela = _novela(app_env)
    first, _ = _takes(app_env, novela.id)
    _reserve(app_env, [first.id])  # reserved by the server that was killed
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    (notice,) = [i.value for i in at.info if "restarted" in i.value]
    assert "will resume (once a worker runs: `make worker`) the takes that were in flight: " in notice
    assert "E1 S1 take 1 (waiting to submit)." in notice
    assert any(p.text == "0% · resuming after the restart" for p in at.get("progress"))
    _button(at, "Next scene").click().run()  # a take reserved now, by this server, is no resumed one
    _button(at, "Confirm and generate").click().run()
    (notice,) = [i.value for i in at.info if "restarted" in i.value]
    assert "E1 S2" not in notice


def test_a_board_without_a_restart_says_nothing_of_one(app_env) -> None:
    novela = _novela(app_env)
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    assert "restarted" not in texts(at)


def test_the_spend_chart_waits_for_money_and_the_estimate_says_why_it_differs(app_env) -> None:
    novela = _novela(app_env)
    finish(app_env, _takes(app_env, novela.id)[0])  # a $0 take from the local preview
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    assert not at.get("plotly_chart")  # no flat $0 line
    assert "of the estimate is the GPT-5 agents' writing (nothing while the agents run offline)." in texts(at)
    estimate = next(m for m in at.metric if m.label == "Plan estimate")
    assert estimate.value == "$0.04"  # 2 scenes x $0.01875 of GPT-5 at the default token counts, video $0
    assert "GPT-5" in (estimate.help or "")


def test_a_stand_in_model_explains_its_estimate(app_env) -> None:
    data = NovelaInput(
        title="Veo", episodes=1, scenes_per_episode=1, default_model_id="veo-3.1-fast", default_duration=8
    )
    paid = service.create(app_env.db, data)
    at = open_page("pages/board.py", {"novela": str(paid.id)})
    page = texts(at)
    assert "prices the videos at Veo 3.1 Fast's rate; with no video provider configured the free local preview" in page


def test_the_spend_chart_shows_once_something_cost_money(app_env) -> None:
    novela = _novela(app_env)
    first = _takes(app_env, novela.id)[0]
    finish(app_env, first)
    with app_env.db.write() as session:
        row = video_repo.get(session, first.id)
        row.actual_cost, row.completed_at = Decimal("0.40"), utcnow()
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    assert len(at.get("plotly_chart")) == 1


def test_the_assembled_episode_plays_on_the_board(app_env) -> None:
    novela = _novela(app_env)
    app_env.storage.put_bytes("episodes/novela-1/episode-001.mp4", b"video", "video/mp4")
    with app_env.db.write() as session:
        session.add(
            MediaItem(
                s3_key="episodes/novela-1/episode-001.mp4",
                media_type="video",
                source="assembled",
                novela_id=novela.id,
                episode_number=1,
                duration_seconds=Decimal("4"),
                description="Takes: S1 take 1, S2 take 1",
            )
        )
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    (player,) = [e for e in at.expander if e.label.startswith("Play the whole episode")]
    assert player.label == "Play the whole episode 1 (4 s)"
    assert len(player.get("video")) == 1


def test_a_chained_scene_says_it_starts_when_the_previous_one_is_done(app_env) -> None:
    novela = _novela(app_env)
    _, second = _takes(app_env, novela.id)
    with app_env.db.write() as session:
        row = video_repo.get(session, second.id)
        row.scene_details = {**row.scene_details, "chain": True}
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    _button(at, "Rest of episode").click().run()  # one click for both: the chained scene waits for scene 1
    _button(at, "Confirm and generate").click().run()
    assert not at.exception
    shown = [p.text for p in at.get("progress")]
    assert "0% · chained: starts when the previous scene is done" in shown and len(shown) == 2


def test_a_take_links_its_page_at_the_provider(app_env) -> None:
    novela = _novela(app_env)
    first, second = _takes(app_env, novela.id)
    with app_env.db.write() as session:
        for take, page in ((first, "https://replicate.com/p/abc123"), (second, "javascript:alert(1)")):
            row = video_repo.get(session, take.id)
            row.provider, row.status = "replicate", "running"
            row.scene_details = {**row.scene_details, "provider_page": page}
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    links = [(b.proto.label, b.proto.url) for b in at.get("link_button")]
    assert links == [("Open at Replicate", "https://replicate.com/p/abc123")]  # only a web address is a link
