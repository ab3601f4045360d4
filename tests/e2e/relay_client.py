"""A test client that speaks to the hub as a treating region would, over the real broker.

Used until the treating region builds settlements from fee lines itself (the treating-region
issue); the messages, signatures and queues are the real ones.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from shared.envelope import RelayEnvelope
from shared.messaging import Broker, RelayClient

DEFAULT_AMQP_URL = "amqp://relay:relay@127.0.0.1:5672/relay_test"


class TreatingRegionDouble:
    def __init__(self) -> None:
        self._broker = Broker(
            os.environ.get("RELAY_E2E_AMQP_URL", DEFAULT_AMQP_URL),
            relay_secret=os.environ.get("RELAY_E2E_RELAY_SECRET", "dev-relay-secret"),
            prefetch=16,
            publish_timeout_s=5,
        )
        self._relay = RelayClient(self._broker, "e2e_treating")
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
        await self._broker.connect()
        await self._relay.start()

    async def close(self) -> None:
        await self._broker.close()

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
    ) -> RelayEnvelope:
        code = fixmedins_code or f"H{treating}00077"
        envelope = self._relay.new_request(
            msgid=msgid or self.msgid(code),
            infno=infno,
            sender_admdvs=treating,
            mdtrtarea_admvs=treating,
            insuplc_admdvs=insured,
            fixmedins_code=code,
            payload=payload,
            deadline_s=deadline_s,
        )
        return await self._relay.request(envelope)
