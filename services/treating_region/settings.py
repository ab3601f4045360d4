from __future__ import annotations

import functools

from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_OPERATOR_TOKEN, CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="TREATING_REGION_", extra="ignore")

    database_url: str = "postgresql+asyncpg://treating:treating@127.0.0.1:5432/treating_region"
    http_port: int = 8001
    reply_deadline_s: float = 10.0
    max_body_bytes: int = 2_000_000
    hospital_secret: str = "dev-hospital-secret"
    """Institutions' signing tokens derive from it (shared.auth.institution_token)."""
    require_signature: bool = True
    hub_url: str = "http://127.0.0.1:8002"
    """The hub's admin API: an institution's clearing rows (3260) and their confirmation (3261)."""
    hub_operator_token: str = DEV_OPERATOR_TOKEN
    """The operator token the hub's admin API takes (development default)."""
    monitoring_thresholds_file: str = ""
    """The monitoring thresholds (JSON, 第五十九条); empty: the ones shipped in the catalogue."""
    require_sign_in: bool = False
    """Refuse calls without the ``sign_no`` of an open 9001 sign-in (E9010). Off by default:
    the sign_no is recorded on each message either way."""


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
