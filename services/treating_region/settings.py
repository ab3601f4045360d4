from __future__ import annotations

import functools

from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="TREATING_REGION_", extra="ignore")

    database_url: str = "postgresql+asyncpg://treating:treating@127.0.0.1:5432/treating_region"
    http_port: int = 8001
    reply_deadline_s: float = 10.0
    max_body_bytes: int = 2_000_000


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
