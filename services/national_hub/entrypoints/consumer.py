"""The hub's consumer edge: a delivered message becomes an envelope plus who sent it.

The broker has already parsed the body (a poison body is dead-lettered there) and checked the
publishing user (``user_id``); the service layer sees no broker type, only the sender region.
"""

from __future__ import annotations

from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from services.national_hub.service_layer.relay import Hub
from shared.envelope import RelayEnvelope
from shared.messaging import Broker, topology


def dead_reason(message: AbstractIncomingMessage) -> str:
    """Why RabbitMQ dead-lettered it (``expired``, ``rejected``, ``delivery_limit``…)."""
    headers: dict[str, Any] = dict(message.headers or {})
    reason = headers.get("x-first-death-reason")
    if reason is None:
        deaths = headers.get("x-death") or []
        reason = deaths[0].get("reason") if deaths and isinstance(deaths[0], dict) else None
    if isinstance(reason, bytes):
        reason = reason.decode()
    return str(reason or "dead")


async def consume(broker: Broker, hub: Hub) -> None:
    async def on_request(envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
        await hub.on_request(envelope, broker.sender_of(message))

    async def on_unrouted(envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
        await hub.on_unrouted(envelope, broker.sender_of(message))

    async def on_dead(envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
        await hub.on_dead(envelope, dead_reason(message))

    await broker.consume(await broker.queue(topology.HUB_REQUESTS), on_request)
    await broker.consume(await broker.queue(topology.HUB_UNROUTED), on_unrouted)
    await broker.consume(await broker.queue(topology.HUB_DEAD_LOG), on_dead)
