"""The Cast page (AppTest): add a cast member, markup refused and shown as text, candidates only after the
confirmation, pick one; the board's scene card says who is in the scene."""

from __future__ import annotations

from tests.jobs.conftest import make_novela
from tests.jobs.test_pipeline_local import FAST, run_until
from tests.ui.conftest import app_env, open_page, texts  # noqa: F401  (app_env is a fixture)
from vsl.cast import overview
from vsl.db import video_repo
from vsl.jobs.worker import Worker


def test_cast_page_adds_generates_and_picks(app_env) -> None:  # noqa: F811
    runtime = app_env
    novela = make_novela(runtime.db, scenes=1)
    with runtime.db.write() as session:
        (take,) = video_repo.episode_takes(session, novela.id, 1)
        take.script_prompt = "@Isabel reads the letter."
    at = open_page("pages/cast.py", {"novela": str(novela.id)})
    assert "No cast yet" in texts(at)

    form_name = next(t for t in at.text_input if t.label == "Name")
    form_name.input("<b>Bad</b>")
    next(b for b in at.button if b.label == "Add to the cast").click()
    at.run()
    assert "cannot be a name" in texts(at)

    next(t for t in at.text_input if t.label == "Name").input("Isabel")
    next(t for t in at.text_area if t.label == "Look").input("40, silver streak, red shawl")
    next(b for b in at.button if b.label == "Add to the cast").click()
    at.run()
    assert "@Isabel" in texts(at)

    next(b for b in at.button if b.label == "Generate candidates").click()
    at.run()
    assert not at.exception, at.exception
    assert "Total to reserve" in texts(at)  # the one confirmation dialog, nothing spent or queued yet
    (asset,) = overview.assets(runtime.db, novela.id)
    assert asset.images == [] and asset.in_flight == 2
    with runtime.db.session() as session:
        assert all(j.status == "planned" for j in video_repo.scene_takes(session, novela.id, 0, 0))
    next(b for b in at.button if b.label == "Confirm and generate").click()
    at.run()

    worker = Worker(runtime.db, runtime.registry, runtime.storage, FAST)
    with runtime.db.session() as session:
        ids = [j.id for j in video_repo.scene_takes(session, novela.id, 0, 0)]
    run_until(worker, runtime.db, ids)
    worker.close()
    at.run()
    next(b for b in at.button if b.label == "Use this").click()
    at.run()
    (asset,) = overview.assets(runtime.db, novela.id)
    assert [i.chosen for i in asset.images] == [True, False] and len(asset.images) == 2

    board = open_page("pages/board.py", {"novela": str(novela.id)})
    assert "With Isabel" in texts(board)
