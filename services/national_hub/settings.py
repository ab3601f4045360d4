from __future__ import annotations

import functools

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="NATIONAL_HUB_", extra="ignore")

    database_url: str = "postgresql+asyncpg://hub:hub@127.0.0.1:5432/national_hub"
    http_port: int = 8002
    journal_max_bytes: int = Field(
        default=2_000_000_000,
        description="retention of the hub.journal stream; the log is rebuilt from what it holds",
    )


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
