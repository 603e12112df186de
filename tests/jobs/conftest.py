"""Fixtures for job tests: storage, provider registry, a novela with planned scenes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from vsl.config import Settings, load_settings
from vsl.db.engine import Database
from vsl.db.models import Novela
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.providers.registry import ProviderRegistry
from vsl.storage.local import LocalStorage


def job_settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"MEDIA_DIR": str(tmp_path / "media"), "DATABASE_URL": "sqlite://", **env})


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


@pytest.fixture
def local_registry(tmp_path: Path):
    registry = ProviderRegistry(job_settings(tmp_path))
    yield registry
    registry.close()


@pytest.fixture
def paid_registry(tmp_path: Path):
    """Routes paid models to a Lambda API that nothing answers: for tests that only reserve money."""
    registry = ProviderRegistry(job_settings(tmp_path, LAMBDA_API_URL="http://127.0.0.1:9"))
    yield registry
    registry.close()


def make_novela(
    db: Database,
    *,
    model: str = "local-preview",
    duration: int = 2,
    resolution: str = "480p",
    episodes: int = 1,
    scenes: int = 2,
    budget: Decimal | None = None,
) -> Novela:
    data = NovelaInput(
        title="Test novela",
        premise="A storm, a letter, a secret.",
        episodes=episodes,
        scenes_per_episode=scenes,
        default_model_id=model,
        default_duration=duration,
        default_resolution=resolution,
        budget=budget,
        master_seed=7,
    )
    drafts = {
        (1, s): {"title": f"Scene {s}", "prompt": f"Scene {s}: rain on the windows."} for s in range(1, scenes + 1)
    }
    return service.create(db, data, drafts)
