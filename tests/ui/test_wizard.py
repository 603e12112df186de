"""The step-by-step wizard in AppTest: a full run stores a novela; invalid input shows errors and stores nothing."""

from __future__ import annotations

from decimal import Decimal

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import open_page, texts
from vsl.db import novela_repo, video_repo
from vsl.money import usd
from vsl.novelas.estimate import plan_estimate
from vsl.ui import wizard


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _text_input(at: AppTest, label: str):
    return next(t for t in at.text_input if t.label == label)


def _next(at: AppTest) -> None:
    _button(at, "Next →").click().run()
    assert not at.exception


def test_a_full_manual_run_stores_the_novela(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _text_input(at, "Title").input("Hacienda de Sombras").run()
    next(t for t in at.text_area if t.label.startswith("Premise (one line")).input("A letter reopens a secret.").run()
    _next(at)
    next(b for b in at.button if b.key == "wiz_model_wan-2.5-t2v").click().run()
    _next(at)  # model settings: the defaults are valid
    _next(at)  # episodes and scenes
    _text_input(at, "Budget in USD (empty = no budget)").input("25").run()
    _next(at)
    _next(at)  # no characters
    page = texts(at)
    assert "Whole novela" in page  # the cost preview
    _next(at)
    _button(at, "Create novela").click().run()
    assert not at.exception
    with app_env.db.session() as session:
        (card,) = novela_repo.cards(session)
        takes = video_repo.episode_takes(session, card.novela.id, 1)
    novela = card.novela
    assert (novela.title, novela.default_model_id, novela.budget) == ("Hacienda de Sombras", "wan-2.5-t2v", Decimal(25))
    assert (novela.target_episodes, novela.scenes_per_episode, len(takes)) == (3, 4, 4)


def test_back_keeps_the_values(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _text_input(at, "Title").input("Kept").run()
    _next(at)
    _button(at, "← Back").click().run()
    assert _text_input(at, "Title").value == "Kept"


def test_invalid_input_shows_errors_inline_and_stores_nothing(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _text_input(at, "Title").input("   ").run()
    _next(at)
    assert "Title is required." in [e.value for e in at.error]
    assert any(t.label == "Title" for t in at.text_input)  # still on step 1
    _text_input(at, "Title").input("Fine").run()
    _next(at)
    _next(at)
    _next(at)
    _text_input(at, "Budget in USD (empty = no budget)").input("lots").run()
    _next(at)
    assert any("Enter the budget as a number of US dollars" in e.value for e in at.error)
    with app_env.db.session() as session:
        assert novela_repo.count(session) == 0


def test_the_cost_preview_counts_a_portrait_per_character_as_the_stored_estimate_does(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _text_input(at, "Title").input("Retratos").run()
    _next(at)
    next(b for b in at.button if b.key == "wiz_model_wan-2.5-t2v").click().run()
    for _ in range(3):  # model settings, episodes and scenes, to the characters
        _next(at)
    for name in ("Isabel", "Mateo"):
        _text_input(at, "Name").input(name)
        _button(at, "Add character").click().run()
    _next(at)
    expected = plan_estimate(wizard.to_input(at.session_state["wiz"]))
    assert expected.cast["portraits"] == Decimal("0.006")  # 2 portraits x $0.003 (FLUX.1 [schnell])
    page = texts(at)
    assert f"Whole novela {usd(expected.total)}" in page
    assert "The whole novela includes 2 portraits ($0.01), one per reference character, with FLUX.1 [schnell]." in page
    _next(at)
    _button(at, "Create novela").click().run()
    with app_env.db.session() as session:
        (card,) = novela_repo.cards(session)
    assert card.novela.estimated_cost == expected.total
