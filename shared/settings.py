"""Settings common to the three services; each service subclasses it with its own env prefix."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.topology import region_of_user, region_user, user_of, with_credentials

DEV_OPERATOR_TOKEN = "dev-operator-token"
DEV_OPERATOR_PII_TOKEN = "dev-operator-pii-token"
"""Development defaults (loopback), like the dev relay and hospital secrets: a deployment sets
its own ``<PREFIX>OPERATOR_TOKEN`` and ``<PREFIX>OPERATOR_PII_TOKEN``."""


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    amqp_url: str = Field(
        default="amqp://relay:relay@127.0.0.1:5672/relay",
        description="the broker and vhost; the hub connects as this URL's user, a region "
        "service as each served region's own user (region_<admdvs>) on the same broker",
    )
    amqp_region_password: str = Field(
        default="relay",
        description="password of the served regions' broker users (development default)",
    )
    amqp_region_passwords: dict[str, str] = Field(
        default_factory=dict,
        description='per region, overriding amqp_region_password: {"110000": "…"}',
    )
    http_host: str = "127.0.0.1"
    http_port: int
    log_level: str = "INFO"
    regions: str = Field(default="all", description="comma-separated admdvs served, or 'all'")
    relay_secret: str = Field(
        default="dev-relay-secret",
        description="keys the national person index's certificate hashes",
    )
    operator_token: str = Field(
        default=DEV_OPERATOR_TOKEN,
        min_length=1,
        description="bearer token of the operator (admin) APIs; personal data comes masked",
    )
    operator_pii_token: str = Field(
        default=DEV_OPERATOR_PII_TOKEN,
        description="bearer token of operators who may also ask for personal data unmasked "
        "(?unmasked=true); empty: nobody may",
    )
    db_pool_size: int = 10
    prefetch: int = 32
    publish_timeout_s: float = 5.0
    amqp_replicated: bool = Field(
        default=False,
        description="the broker is a cluster: reply queues are quorum queues, which outlive "
        "the loss of a node (request queues and the journal are replicated either way)",
    )

    def region_amqp_url(self, admdvs: str) -> str:
        """The broker as this region's user: RabbitMQ then vouches for what it sends."""
        password = self.amqp_region_passwords.get(admdvs, self.amqp_region_password)
        return with_credentials(self.amqp_url, region_user(admdvs), password)

    @model_validator(mode="after")
    def _amqp_url_is_the_platforms(self) -> Self:
        """Its user is the platform's, whose messages every receiver trusts as the hub's: a
        region's user there would let that region speak for the platform."""
        user = user_of(self.amqp_url)
        if region_of_user(user) is not None:
            raise ValueError(
                f"amqp_url names the region user {user}: it must name the platform's user "
                "(a region service connects as its regions' users by itself)"
            )
        return self

    @model_validator(mode="after")
    def _pii_right_is_separate(self) -> Self:
        """The right to see personal data is a second right, never the operator token itself."""
        if self.operator_pii_token and self.operator_pii_token == self.operator_token:
            raise ValueError("operator_pii_token must differ from operator_token")
        return self
