"""'Test connection' for each outside part: one cheap call each, answered with a sentence."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from openai import OpenAI, OpenAIError
from sqlalchemy import text

from vsl.agents.profiles import agent_models, profile
from vsl.catalog.gpt5 import gpt_model
from vsl.config import Settings
from vsl.db.engine import Database
from vsl.media.ffmpeg import ffmpeg_exe
from vsl.providers.base import ProviderError, ProviderNotFound
from vsl.providers.registry import PROVIDER_LABELS, ProviderRegistry
from vsl.storage.base import Storage, StorageError


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str


def check_database(db: Database) -> Check:
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error is a failed check, shown to the user
        return Check(False, f"The {db.backend} database did not answer: {exc.__class__.__name__}: {exc}")
    return Check(True, f"The {db.backend} database answers.")


def check_storage(storage: Storage) -> Check:
    key = f"health/{uuid.uuid4().hex}.txt"
    try:
        storage.put_bytes(key, b"ok", "text/plain")
        storage.delete(key)
    except StorageError as exc:
        return Check(False, f"Storage ({storage.mode}) cannot be written: {exc}")
    return Check(True, f"Storage ({storage.mode}) can be written and deleted.")


def check_provider(registry: ProviderRegistry, name: str) -> Check:
    """Ask the provider for a job that cannot exist: 'not found' proves it is reachable and accepts our key."""
    label = PROVIDER_LABELS.get(name, name)
    if name == "local":
        return Check(True, f"The {label} is ready (ffmpeg at {ffmpeg_exe()}).")
    try:
        registry.get(name).status(f"vsl-health-{uuid.uuid4().hex[:8]}")
    except ProviderNotFound:
        return Check(True, f"The {label} answers and accepts the credentials.")
    except ProviderError as exc:
        return Check(False, str(exc))
    return Check(True, f"The {label} answers.")


def check_llm(settings: Settings, env: Mapping[str, str] | None = None) -> Check:
    """Look each agent's model up (free): proves the key works, the models are available to it, and names their
    prices. `env` holds the AGENT_* settings (default: the environment)."""
    if not settings.openai_api_key:
        return Check(True, "No OPENAI_API_KEY: the agents draft offline from templates and the story bible.")
    try:
        models = agent_models(env, settings.openai_model)
        for name in models:
            profile(name, env, settings.openai_model)  # the family and each effort, as the team checks them
    except ValueError as exc:  # UnsupportedLlmModel is one
        return Check(False, str(exc))
    client = OpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url or None, timeout=15, max_retries=1
    )
    lines = []
    for model in dict.fromkeys(models.values()):
        try:
            client.models.retrieve(model)
        except OpenAIError as exc:
            return Check(
                False,
                f"OpenAI did not accept the check for {model}: "
                f"{exc.__class__.__name__}: {scrub(str(exc), settings.secrets())}",
            )
        users = ", ".join(name.replace("_", " ") for name, used in models.items() if used == model)
        lines.append(f"{model} ({users}): {gpt_model(model).price_line()}")
    return Check(True, "OpenAI answers and each agent's model is available to this key. " + " · ".join(lines))


def scrub(text: str, secrets: list[str]) -> str:
    """Remove secret values from a message before it is shown or stored."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
