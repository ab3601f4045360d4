from __future__ import annotations

import functools

from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="INSURED_REGION_", extra="ignore")

    database_url: str = "postgresql+asyncpg://insured:insured@127.0.0.1:5432/insured_region"
    http_port: int = 8003


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
