"""The board's automatic-review toggle (AppTest): it says what a review costs here, opts the novela in, and the
scene card shows the verdict once the reviewer has been round."""

from __future__ import annotations

from tests.cast.conftest import LocalStack, isabel_scene, render
from tests.jobs.test_pipeline_local import FAST
from tests.ui.conftest import app_env, open_page, texts  # noqa: F401  (app_env is a fixture)
from vsl.db.models import Novela, Review
from vsl.jobs.worker import Worker
from vsl.ui.auto_review import note


def test_opting_in_on_the_board_reviews_the_next_take_and_the_card_says_so(app_env) -> None:  # noqa: F811
    stack = LocalStack(app_env.registry, app_env.storage, Worker(app_env.db, app_env.registry, app_env.storage, FAST))
    novela_id, take_id = isabel_scene(app_env.db, stack)
    at = open_page("pages/board.py", {"novela": str(novela_id)})
    (toggle,) = [t for t in at.toggle if t.label.startswith("Review each new take automatically")]
    assert toggle.label.endswith("(offline colour measure, $0: set OPENAI_API_KEY for GPT-5's review)")
    assert toggle.value is False

    toggle.set_value(True).run()

    assert not at.exception, at.exception
    with app_env.db.session() as session:
        assert session.get(Novela, novela_id).auto_review_since is not None  # type: ignore[union-attr]
    assert "are reviewed once each: 0 so far, $0.00" in texts(at)

    render(app_env.db, stack, take_id)
    stack.worker.close()
    (result,) = app_env.reviewer.sweep()
    board = open_page("pages/board.py", {"novela": str(novela_id)})
    assert f"continuity {result.status} {result.score}/100 \\(colour measure\\)" in texts(board)  # shown as text
    assert "1 so far, $0.00" in texts(board)


def test_a_model_that_cannot_be_priced_is_said_instead_of_a_toggle(app_env, monkeypatch) -> None:  # noqa: F811
    stack = LocalStack(app_env.registry, app_env.storage, app_env.worker)
    novela_id, _ = isabel_scene(app_env.db, stack)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-4o")

    at = open_page("pages/board.py", {"novela": str(novela_id)})

    assert not [t for t in at.toggle if t.label.startswith("Review each new take automatically")]
    assert "Automatic review cannot be priced, so it reviews nothing" in texts(at)
    assert "gpt-4o" in texts(at)


def test_the_card_says_why_a_review_was_skipped_and_where_a_failure_is_explained() -> None:
    skipped = Review(method="gpt-5", status="skipped", error="No one in this scene has a reference image.")
    failed = Review(method="gpt-5", status="failed", error="a long answer from GPT-5")
    assert note(skipped) == "review skipped: No one in this scene has a reference image."
    assert note(failed) == "review failed (the Cast page says why)"
    assert note(Review(method="gpt-5", status="reviewing")) == "reviewing (GPT-5)…"
