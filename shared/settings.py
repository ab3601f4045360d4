"""Settings common to the three services; each service subclasses it with its own env prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    amqp_url: str = "amqp://relay:relay@127.0.0.1:5672/relay"
    http_host: str = "127.0.0.1"
    http_port: int
    log_level: str = "INFO"
    regions: str = Field(default="all", description="comma-separated admdvs served, or 'all'")
    relay_secret: str = Field(
        default="dev-relay-secret",
        description="signs relay messages; each region's key is derived from it",
    )
    db_pool_size: int = 10
    prefetch: int = 32
    publish_timeout_s: float = 5.0
