"""Cast fixtures: a novela with a cast, PNG bytes, and the stacks of the job tests."""

from __future__ import annotations

import io

from PIL import Image

from tests.jobs.conftest import local_registry, paid_registry  # noqa: F401  (fixtures shared with the job tests)
from tests.jobs.test_pipeline_local import local_stack_fixture  # noqa: F401
from vsl.cast import service
from vsl.db.engine import Database


def png(width: int = 256, height: int = 256, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def add_cast(db: Database, novela_id: int, *names: str) -> dict[str, int]:
    """Characters named `names`, each with a look "<name>'s look: ..."; returns name → asset id."""
    return {
        name: service.create_asset(db, novela_id, "character", name, f"{name} look: grey coat, age 40").id
        for name in names
    }
