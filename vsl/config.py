"""Settings from the environment (and `.env` when present), read in one place.

Each outside part has two modes: *embedded* (works on a fresh machine with nothing configured) and *real*
(switched on by its environment variable). `Settings.modes()` tells the UI which is which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# the agents' model when OPENAI_MODEL is not set: the reasons are in the README (Configuration)
DEFAULT_OPENAI_MODEL = "gpt-5.4"
SECRET_NAMES = ("OPENAI_API_KEY", "REPLICATE_API_TOKEN", "LAMBDA_API_KEY", "AWS_SECRET_ACCESS_KEY")


def _env(name: str, default: str = "", source: dict[str, str] | None = None) -> str:
    value = (source or os.environ).get(name)
    return default if value is None or value.strip() == "" else value.strip()


def _bool(value: str) -> bool:
    return value.lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    db_schema: str
    media_dir: Path
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_endpoint_url: str = ""
    aws_region: str = "us-east-1"
    lambda_api_url: str = ""
    lambda_api_key: str = field(default="", repr=False)
    replicate_api_token: str = field(default="", repr=False)
    replicate_base_url: str = "https://api.replicate.com"  # the host; a value ending in /v1 works too
    replicate_svd_version: str = ""  # Stability's SVD is a community model: Replicate needs its version hash
    openai_api_key: str = field(default="", repr=False)
    openai_model: str = DEFAULT_OPENAI_MODEL
    openai_base_url: str = ""
    openai_timeout_s: float = 120.0
    embedded_worker: bool = True
    worker_concurrency: int = 4
    poll_min_s: float = 3.0
    poll_max_s: float = 30.0
    worker_lease_s: float = 90.0
    lambda_requests_per_min: float = 6000.0  # status calls to the Lambda, per worker process (ADR 0007)

    def modes(self) -> dict[str, str]:
        """Which mode each outside part is in, for the UI banner and the health page."""
        return {
            "database": "PostgreSQL" if self.is_postgres else "SQLite (embedded)",
            "storage": f"S3 bucket {self.s3_bucket}" if self.s3_bucket else "local folder (embedded)",
            "provider": self.provider_mode,
            "agents": f"OpenAI {self.openai_model}" if self.openai_api_key else "offline drafting (embedded)",
        }

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def provider_mode(self) -> str:
        if self.lambda_api_url:
            return "VSL Lambda API"
        if self.replicate_api_token:
            return "Replicate direct"
        return "local preview renderer (embedded)"

    def secrets(self) -> list[str]:
        """Every configured secret value, so that logs and messages can be scrubbed of them."""
        return [s for s in (self.openai_api_key, self.replicate_api_token, self.lambda_api_key) if s]


def environment() -> dict[str, str]:
    """The process environment over `.env` in the project root: where every setting is read from."""
    file_values = {k: v for k, v in dotenv_values(PROJECT_ROOT / ".env").items() if v is not None}
    return {**file_values, **os.environ}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from `env` (default: the process environment over `.env` in the project root)."""
    if env is None:
        env = environment()
    default_db = f"sqlite:///{PROJECT_ROOT / 'data' / 'vsl.db'}"
    media_dir = Path(_env("MEDIA_DIR", str(PROJECT_ROOT / "data" / "media"), env))
    return Settings(
        database_url=_env("DATABASE_URL", default_db, env),
        db_schema=_env("DB_SCHEMA", "vsl_frontend", env),
        media_dir=media_dir if media_dir.is_absolute() else PROJECT_ROOT / media_dir,
        s3_bucket=_env("S3_BUCKET", "", env),
        s3_prefix=_env("S3_PREFIX", "", env).strip("/"),
        s3_endpoint_url=_env("S3_ENDPOINT_URL", "", env),
        aws_region=_env("AWS_REGION", "us-east-1", env),
        lambda_api_url=_env("LAMBDA_API_URL", "", env).rstrip("/"),
        lambda_api_key=_env("LAMBDA_API_KEY", "", env),
        replicate_api_token=_env("REPLICATE_API_TOKEN", "", env),
        replicate_base_url=_env("REPLICATE_BASE_URL", "https://api.replicate.com", env).rstrip("/"),
        replicate_svd_version=_env("REPLICATE_SVD_VERSION", "", env),
        openai_api_key=_env("OPENAI_API_KEY", "", env),
        openai_model=_env("OPENAI_MODEL", DEFAULT_OPENAI_MODEL, env),
        openai_base_url=_env("OPENAI_BASE_URL", "", env),
        openai_timeout_s=float(_env("OPENAI_TIMEOUT_S", "120", env)),
        embedded_worker=_bool(_env("EMBEDDED_WORKER", "true", env)),
        worker_concurrency=max(1, int(_env("WORKER_CONCURRENCY", "4", env))),
        poll_min_s=float(_env("POLL_MIN_S", "3", env)),
        poll_max_s=float(_env("POLL_MAX_S", "30", env)),
        worker_lease_s=float(_env("WORKER_LEASE_S", "90", env)),
        lambda_requests_per_min=float(_env("LAMBDA_REQUESTS_PER_MIN", "6000", env)),
    )
