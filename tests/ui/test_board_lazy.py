"""The board's scene cards run their Regenerate popover and their dialogue only while open (issue 12: the live
grid reruns every card every 2 s), and a button pressed in them still acts."""

from __future__ import annotations

from tests.ui.conftest import open_page, texts
from tests.ui.test_deleted_takes import _novela, _takes, finish
from vsl.runtime import Runtime


def test_the_regenerate_popover_runs_only_while_open_and_its_button_still_prices_the_new_take(
    app_env: Runtime,
) -> None:
    novela = _novela(app_env)
    done = finish(app_env, _takes(app_env, novela.id)[0])
    at = open_page("pages/board.py", {"novela": str(novela.id)})
    assert not [b for b in at.button if b.label == "Price the new take"]  # closed: its widgets are not run

    at.session_state[f"regen_pop_{done}"] = True  # the user opens it
    at.run()
    next(b for b in at.button if b.label == "Price the new take").click().run()
    assert not at.exception, at.exception
    assert "New take of E1 S1 (the old one is kept)" in texts(at)  # the price to confirm
    assert at.session_state[f"regen_pop_{done}"] is False  # closed under the dialog
