from __future__ import annotations

import functools

from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="NATIONAL_HUB_", extra="ignore")

    database_url: str = "postgresql+asyncpg://hub:hub@127.0.0.1:5432/national_hub"
    http_port: int = 8002


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
