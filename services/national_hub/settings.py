from __future__ import annotations

import functools
from decimal import Decimal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_OPERATOR_TOKEN, CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="NATIONAL_HUB_", extra="ignore")

    database_url: str = "postgresql+asyncpg://hub:hub@127.0.0.1:5432/national_hub"
    http_port: int = 8002
    journal_max_bytes: int = Field(
        default=2_000_000_000,
        description="retention of the hub.journal stream; the log is rebuilt from what it holds",
    )
    treating_url: str = Field(
        default="http://127.0.0.1:8001",
        description="the treating region's service: its daily statement for the reconciliation",
    )
    insured_url: str = Field(
        default="http://127.0.0.1:8003",
        description="the insured region's service: its daily statement for the reconciliation",
    )
    peer_operator_token: str = Field(
        default=DEV_OPERATOR_TOKEN,
        description="the operator token the hub shows the regions' services to read statements",
    )
    prepayment_quotas: dict[str, Decimal] = Field(
        default_factory=dict,
        description="prepayment quota per insured province, overriding the computed one: "
        '{"110000": "5000000.00"}',
    )

    @field_validator("prepayment_quotas")
    @classmethod
    def _quotas_are_positive(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        wrong = [f"{k}={v}" for k, v in value.items() if v <= 0]
        if wrong:
            raise ValueError(f"prepayment quotas must be positive: {', '.join(wrong)}")
        return value

    prepayment_minimum_quota: Decimal = Field(
        default=Decimal("1000000.00"),
        gt=0,
        description="the quota of a province without last year's spending to go by",
    )
    books_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="how often (real seconds) the hub checks the prepayment gauges, "
        "generates the months whose declaration closed and reconciles each business day once it "
        "is over",
    )
    auto_clearing: bool = Field(
        default=True,
        description="generate month M's clearing from the 20th of M+1 by itself (第四十九条)",
    )


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
