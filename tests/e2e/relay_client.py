"""A test client that speaks to the insured regions as a treating region would, over the real
broker, as the regions' own broker users: the messages, identities and queues are the real ones.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from shared.envelope import RelayEnvelope
from shared.messaging import Broker, Brokers, RelayClient
from shared.messaging.topology import region_user, user_of, with_credentials
from shared.regions import POOLS

DEFAULT_AMQP_URL = "amqp://relay:relay@127.0.0.1:5672/relay_test"


REGION_PASSWORD = os.environ.get("RELAY_E2E_REGION_PASSWORD", "relay")


def region_broker(admdvs: str) -> Broker:
    """The broker as region ``admdvs``'s user, on the e2e vhost."""
    url = os.environ.get("RELAY_E2E_AMQP_URL", DEFAULT_AMQP_URL)
    return Broker(
        with_credentials(url, region_user(admdvs), REGION_PASSWORD),
        prefetch=16,
        publish_timeout_s=5,
        platform_user=user_of(url),
    )


class TreatingRegionDouble:
    def __init__(self, regions: tuple[str, ...] = POOLS) -> None:
        self._brokers = Brokers({admdvs: region_broker(admdvs) for admdvs in regions})
        self._relay = RelayClient(self._brokers, "e2e_treating")
        self._relay.on_late_reply = self._keep_late
        self._seq = 0
        self.late: list[RelayEnvelope] = []
        """Replies that came when nobody waited for them (the outbox relay's, for one)."""

    async def _keep_late(self, reply: RelayEnvelope) -> None:
        self.late.append(reply)

    def request(
        self, infno: str, *, treating: str, insured: str, payload: dict[str, Any], msgid: str
    ) -> RelayEnvelope:
        """A request addressed as this double sends them, without sending it."""
        return self._relay.new_request(
            msgid=msgid,
            infno=infno,
            sender_admdvs=treating,
            mdtrtarea_admvs=treating,
            insuplc_admdvs=insured,
            fixmedins_code=msgid[:12],
            payload=payload,
            deadline_s=10.0,
        )

    async def start(self) -> None:
        await self._brokers.connect()
        await self._relay.start()

    async def close(self) -> None:
        await self._brokers.close()

    def msgid(self, fixmedins_code: str) -> str:
        self._seq = (self._seq + 1) % 10000
        return f"{fixmedins_code}{datetime.now():%Y%m%d%H%M%S}{self._seq:04d}"

    async def send(
        self,
        infno: str,
        *,
        treating: str,
        insured: str,
        payload: dict[str, Any],
        fixmedins_code: str | None = None,
        msgid: str | None = None,
        deadline_s: float = 10.0,
        as_region: str | None = None,
    ) -> RelayEnvelope:
        """``as_region``: the identity to send with, when it is not ``treating`` (a forgery)."""
        code = fixmedins_code or f"H{treating}00077"
        envelope = self._relay.new_request(
            msgid=msgid or self.msgid(code),
            infno=infno,
            sender_admdvs=as_region or treating,
            mdtrtarea_admvs=treating,
            insuplc_admdvs=insured,
            fixmedins_code=code,
            payload=payload,
            deadline_s=deadline_s,
        )
        return await self._relay.request(envelope)
