"""Episode assembly from takes the real Worker rendered with the local preview: what is joined, how long it
runs, which take is used, and that assembling again replaces the earlier cut.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.jobs.conftest import make_novela
from tests.jobs.test_pipeline_local import (
    LocalStack,
    local_stack_fixture,  # noqa: F401 (the local_stack fixture)
    media_rows,
    run_until,
    take,
)
from vsl.db.engine import Database
from vsl.db.models import MediaItem
from vsl.jobs import actions
from vsl.jobs.actions import Target
from vsl.jobs.assembly import NotReady, assemble_episode, select_take
from vsl.jobs.worker import Worker
from vsl.media.ffmpeg import MediaProbe, probe
from vsl.providers.registry import ProviderRegistry
from vsl.sound.cut import TITLE_CARD_S
from vsl.storage.local import LocalStorage

TOLERANCE_S = Decimal("0.2")
TITLE_S = Decimal(str(TITLE_CARD_S))  # the opening title card comes before the scenes


def _generate(db: Database, registry: ProviderRegistry, worker: Worker, targets: list[Target]) -> None:
    run_until(worker, db, actions.confirm(db, registry, actions.quote(db, registry, targets)))


def _new_take(db: Database, video_id: int, **changes: Any) -> Target:
    return Target(video_id, "new_take", params={**take(db, video_id).model_parameters, **changes})


def _episode_file(storage: LocalStorage, item: MediaItem, tmp_path: Path) -> MediaProbe:
    return probe(storage.download_to(item.s3_key, tmp_path / "episode.mp4"))


def _assembled(db: Database, novela_id: int) -> list[MediaItem]:
    return [m for m in media_rows(db, novela_id) if m.source == "assembled"]


def test_episode_assembles_the_chosen_takes_and_reassembly_replaces_the_cut(
    db: Database, local_stack: LocalStack, tmp_path: Path
) -> None:
    registry, storage, worker = local_stack.registry, local_stack.storage, local_stack.worker
    novela_id = make_novela(db, duration=2, resolution="480p", scenes=2).id
    scene1, scene2 = (t.video_id for t in actions.targets_rest_of_episode(db, novela_id, 1))

    with pytest.raises(NotReady, match="Scenes 1, 2 of episode 1"):
        assemble_episode(db, storage, novela_id, 1)
    _generate(db, registry, worker, [Target(scene1)])
    with pytest.raises(NotReady, match="Scenes 2 of episode 1"):
        assemble_episode(db, storage, novela_id, 1)

    # scene 2 in portrait, and a shorter second take of scene 1 (the newest take is used unless one is chosen)
    _generate(
        db,
        registry,
        worker,
        [_new_take(db, scene2, aspect_ratio="9:16"), _new_take(db, scene1, duration=1)],
    )
    first = assemble_episode(db, storage, novela_id, 1)

    cut = _episode_file(storage, first, tmp_path)
    assert (cut.codec, cut.width, cut.height) == ("h264", 854, 480)  # the portrait take is letterboxed
    assert abs(cut.duration_s - 3 - TITLE_S) <= TOLERANCE_S and abs(first.duration_seconds - 3 - TITLE_S) <= TOLERANCE_S
    assert (first.source, first.episode_number, first.media_type) == ("assembled", 1, "video")
    assert first.description == "Takes: S1 take 2, S2 take 2"
    assert storage.get_bytes(first.thumbnail_key).startswith(b"\xff\xd8\xff")

    select_take(db, scene1)  # the user prefers the first, longer take of scene 1
    again = assemble_episode(db, storage, novela_id, 1)

    assert again.id == first.id and again.s3_key == first.s3_key
    assert [m.id for m in _assembled(db, novela_id)] == [first.id]
    assert again.description == "Takes: S1 take 1, S2 take 2"
    assert abs(_episode_file(storage, again, tmp_path).duration_s - 4 - TITLE_S) <= TOLERANCE_S
    assert abs(again.duration_seconds - 4 - TITLE_S) <= TOLERANCE_S


def test_only_a_finished_take_can_be_chosen(sqlite_db: Database) -> None:
    novela_id = make_novela(sqlite_db, scenes=1).id
    (planned,) = actions.targets_rest_of_episode(sqlite_db, novela_id, 1)

    with pytest.raises(NotReady, match="Only a finished take"):
        select_take(sqlite_db, planned.video_id)
