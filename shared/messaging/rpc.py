"""Request/reply over the hub with a deadline, keyed by relay_id (design §4)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aio_pika.abc import AbstractIncomingMessage

from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging import topology
from shared.messaging.broker import Broker

log = logging.getLogger(__name__)

LateReplyHandler = Callable[[RelayEnvelope], Awaitable[None]]


class ReplyTimeout(Exception):
    """No reply before the deadline: the outcome is unknown (E5002)."""


class RelayClient:
    """Sends requests to the hub and routes each reply to the coroutine that waits for it."""

    def __init__(self, broker: Broker, service: str) -> None:
        self._broker = broker
        self._reply_to = topology.reply_queue(service)
        self._waiting: dict[str, asyncio.Future[RelayEnvelope]] = {}
        self.on_late_reply: LateReplyHandler | None = None
        """Called with a reply nobody waits for any more (its deadline passed)."""

    @property
    def reply_to(self) -> str:
        return self._reply_to

    async def start(self) -> None:
        queue = await self._broker.declare_reply_queue(self._reply_to)
        await self._broker.consume(queue, self._on_reply)

    def new_request(
        self,
        *,
        msgid: str,
        infno: str,
        sender_admdvs: str,
        mdtrtarea_admvs: str,
        insuplc_admdvs: str,
        fixmedins_code: str | None,
        payload: dict[str, object],
        deadline_s: float,
    ) -> RelayEnvelope:
        return RelayEnvelope(
            msgid=msgid,
            infno=infno,
            kind=MessageKind.REQUEST,
            sender_admdvs=sender_admdvs,
            mdtrtarea_admvs=mdtrtarea_admvs,
            insuplc_admdvs=insuplc_admdvs,
            fixmedins_code=fixmedins_code,
            deadline=datetime.now(UTC) + timedelta(seconds=deadline_s),
            reply_to=self._reply_to,
            payload=dict(payload),
        ).with_hop("treating_region")

    async def request(self, envelope: RelayEnvelope) -> RelayEnvelope:
        """Publish to the hub and wait until the envelope's deadline for the reply."""
        future: asyncio.Future[RelayEnvelope] = asyncio.get_running_loop().create_future()
        self._waiting[envelope.relay_id] = future
        try:
            await self._broker.publish(
                topology.HUB_INGRESS,
                topology.ingress_routing_key(envelope.kind, envelope.sender_admdvs),
                envelope,
            )
            remaining = (envelope.deadline - datetime.now(UTC)).total_seconds()
            try:
                return await asyncio.wait_for(future, timeout=max(remaining, 0.0))
            except TimeoutError as exc:
                raise ReplyTimeout(envelope.relay_id) from exc
        finally:
            self._waiting.pop(envelope.relay_id, None)

    async def _on_reply(self, envelope: RelayEnvelope, _message: AbstractIncomingMessage) -> None:
        future = self._waiting.get(envelope.relay_id)
        if future is not None and not future.done():
            future.set_result(envelope)
            return
        log.warning("late reply for %s (%s)", envelope.msgid, envelope.infno)
        if self.on_late_reply is not None:
            await self.on_late_reply(envelope)
