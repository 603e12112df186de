"""The board's cost warnings (vsl/ui/cost_warnings.py) in Streamlit's AppTest: a take charged 2.7 times its
estimate is named, spending past the budget is said, and "Accept" lets the paused take go."""

from __future__ import annotations

from decimal import Decimal

from tests.ui.conftest import (
    app_env,  # noqa: F401 (the fixture, used by name)
    open_page,
    texts,
)
from vsl.db import novela_repo, video_repo
from vsl.jobs import budget, costs, transitions
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.runtime import Runtime


def _overspent_novela(runtime: Runtime) -> tuple[int, int]:
    """A novela whose first take was charged $3.24 against $1.20 and whose second waits, past a $4 budget."""
    data = NovelaInput(
        title="Hacienda",
        default_model_id="veo-3.1-fast",
        default_duration=8,
        default_resolution="720p",
        scenes_per_episode=2,
        budget=Decimal("4"),
    )
    novela_id = service.create(runtime.db, data).id
    with runtime.db.write() as session:
        novela = novela_repo.get(session, novela_id, lock=True)
        first, second = video_repo.episode_takes(session, novela_id, 1)
        for take in (first, second):
            budget.reserve(novela, take, Decimal("1.20"))
            transitions.move(session, take, "reserved")
        for target in ("submitting", "queued", "storing", "completed"):
            transitions.move(session, first, target)
        budget.settle(novela, first, Decimal("3.24"))
    return novela_id, second.id


def test_the_board_names_the_overcharge_and_lets_the_user_accept_overspending(app_env: Runtime) -> None:  # noqa: F811
    novela_id, waiting = _overspent_novela(app_env)

    at = open_page("pages/board.py", {"novela": str(novela_id)})

    page = texts(at).replace("\\", "")  # as read: without the markdown escapes
    assert "charged $3.24 against an estimate of $1.20 (2.70×)" in page
    assert "Spending has passed the budget: $3.24 spent and $1.20 reserved of $4.00" in page
    assert "1 take(s) wait and will not be submitted" in page
    next(b for b in at.button if b.label == "Accept and submit them").click().run()
    assert not at.exception
    with app_env.db.session() as session:
        assert costs.overspend_accepted(session, video_repo.get(session, waiting))  # type: ignore[arg-type]


def test_the_board_says_nothing_when_charges_match(app_env: Runtime) -> None:  # noqa: F811
    novela_id = service.create(app_env.db, NovelaInput(title="Calm", scenes_per_episode=1)).id

    page = texts(open_page("pages/board.py", {"novela": str(novela_id)}))

    assert "charged differently" not in page and "passed the budget" not in page
