"""Process settings, read from the environment (``TAILORWISE_*``) when asked.

Nothing is read at import time: callers build ``Settings()`` when they start.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "./tailorwise.duckdb"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TAILORWISE_", extra="forbid")

    db: str = DEFAULT_DB
    data_dir: str = "../shared/data"
