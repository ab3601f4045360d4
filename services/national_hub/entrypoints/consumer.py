"""The hub's consumer edge: a delivered message becomes an envelope plus what its headers say.

The broker has already parsed the body (a poison body is dead-lettered there); here the claimed
sender's signature is checked with the broker's own region keys, so the service layer sees no
broker type and decides on ``signature_ok`` alone (``routing.decide``).
"""

from __future__ import annotations

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from services.national_hub.service_layer.relay import HubRelay
from shared.envelope import RelayEnvelope
from shared.messaging import Broker


async def consume(
    broker: Broker, relay: HubRelay, *, ingress: AbstractQueue, unrouted: AbstractQueue
) -> None:
    async def on_ingress(envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
        await relay.on_ingress(envelope, broker.sender_of(message))

    async def on_unrouted(envelope: RelayEnvelope, _message: AbstractIncomingMessage) -> None:
        await relay.on_unrouted(envelope)

    await broker.consume(ingress, on_ingress)
    await broker.consume(unrouted, on_unrouted)
