from __future__ import annotations

import functools

from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_OPERATOR_TOKEN, CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="INSURED_REGION_", extra="ignore")

    database_url: str = "postgresql+asyncpg://insured:insured@127.0.0.1:5432/insured_region"
    http_port: int = 8003
    treating_url: str = "http://127.0.0.1:8001"
    """The treating region's admin API: self-paid visits for manual reimbursement (零星报销)."""
    treating_operator_token: str = DEV_OPERATOR_TOKEN
    """The operator token the treating region's admin API takes (development default)."""


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
