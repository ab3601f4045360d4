"""One broker connection per process: declared topology, confirmed publishes, bounded consumers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from shared.envelope import RelayEnvelope
from shared.logging import msgid_var, relay_id_var
from shared.messaging import topology
from shared.messaging.signing import RegionKeys, SenderCheck

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-relay-sig"
SENDER_HEADER = "x-relay-sender"

EnvelopeHandler = Callable[[RelayEnvelope, AbstractIncomingMessage], Awaitable[None]]


class TransientError(Exception):
    """A database or broker hiccup: the message goes back to the queue (bounded by the limit)."""


class Broker:
    """Owns the connection, a publishing channel with confirms, and the consuming channel."""

    def __init__(self, url: str, *, relay_secret: str, prefetch: int, publish_timeout_s: float):
        self._url = url
        self._keys = RegionKeys(relay_secret)
        self._prefetch = prefetch
        self._publish_timeout_s = publish_timeout_s
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._consume_channel: AbstractChannel | None = None
        self.exchanges: dict[str, AbstractExchange] = {}

    async def connect(self) -> None:
        self.connection = await aio_pika.connect_robust(self._url)
        # confirms on, and an unroutable publish raises instead of vanishing (style gotcha 2)
        self._publish_channel = await self.connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._consume_channel = await self.connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self._prefetch)
        await self._declare_exchanges()

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    @property
    def is_connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def _declare_exchanges(self) -> None:
        channel = self._require(self._consume_channel)
        dead = await channel.declare_exchange(
            topology.HUB_DEAD, aio_pika.ExchangeType.FANOUT, durable=True
        )
        unrouted = await channel.declare_exchange(
            topology.HUB_UNROUTED, aio_pika.ExchangeType.FANOUT, durable=True
        )
        ingress = await channel.declare_exchange(
            topology.HUB_INGRESS, aio_pika.ExchangeType.TOPIC, durable=True
        )
        egress = await channel.declare_exchange(
            topology.HUB_EGRESS,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": topology.HUB_UNROUTED},
        )
        self.exchanges = {
            topology.HUB_DEAD: dead,
            topology.HUB_UNROUTED: unrouted,
            topology.HUB_INGRESS: ingress,
            topology.HUB_EGRESS: egress,
        }
        # the publishing channel needs its own exchange handles
        pub = self._require(self._publish_channel)
        for name in (topology.HUB_INGRESS, topology.HUB_EGRESS):
            self.exchanges[f"pub:{name}"] = await pub.get_exchange(name, ensure=False)

    async def declare_quorum_queue(
        self, name: str, *, exchange: str, routing_keys: Iterable[str]
    ) -> AbstractQueue:
        channel = self._require(self._consume_channel)
        queue = await channel.declare_queue(
            name, durable=True, arguments=topology.quorum_arguments()
        )
        for key in routing_keys:
            await queue.bind(self.exchanges[exchange], routing_key=key)
        return queue

    async def declare_reply_queue(self, name: str) -> AbstractQueue:
        """A classic exclusive queue: quorum queues cannot be exclusive (design §4)."""
        channel = self._require(self._consume_channel)
        queue = await channel.declare_queue(name, exclusive=True, auto_delete=True)
        await queue.bind(self.exchanges[topology.HUB_EGRESS], routing_key=name)
        return queue

    async def declare_sink_queues(self) -> tuple[AbstractQueue, AbstractQueue]:
        """``hub.unrouted`` and ``hub.dead``: where nothing is lost."""
        channel = self._require(self._consume_channel)
        unrouted = await channel.declare_queue(
            topology.HUB_UNROUTED, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await unrouted.bind(self.exchanges[topology.HUB_UNROUTED])
        dead = await channel.declare_queue(
            topology.HUB_DEAD, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead.bind(self.exchanges[topology.HUB_DEAD])
        return unrouted, dead

    def sender_of(self, message: AbstractIncomingMessage) -> SenderCheck:
        """The claimed sender of a delivered message, checked against its signature here, at the
        consumer edge, with the same keys this process signs with."""
        claimed, signature = signature_of(message)
        return self._keys.check(message.body, claimed, signature)

    async def publish(self, exchange: str, routing_key: str, envelope: RelayEnvelope) -> None:
        """Persistent, identified, signed by the sender region, confirmed by the broker."""
        body = envelope.model_dump_json().encode()
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=envelope.relay_id,
            correlation_id=envelope.msgid,
            headers={
                "infno": envelope.infno,
                SENDER_HEADER: envelope.sender_admdvs,
                SIGNATURE_HEADER: self._keys.sign(envelope.sender_admdvs, body),
            },
        )
        await self.exchanges[f"pub:{exchange}"].publish(
            message, routing_key=routing_key, mandatory=True, timeout=self._publish_timeout_s
        )

    async def consume(self, queue: AbstractQueue, handler: EnvelopeHandler) -> None:
        async def on_message(message: AbstractIncomingMessage) -> None:
            # ack on a clean exit; a bug (unexpected exception) rejects to hub.dead
            async with message.process(requeue=False, ignore_processed=True):
                try:
                    envelope = RelayEnvelope.model_validate_json(message.body)
                except ValidationError:
                    log.warning("poison message %s on %s", message.message_id, queue.name)
                    await message.reject(requeue=False)
                    return
                relay_id_var.set(envelope.relay_id)
                msgid_var.set(envelope.msgid)
                try:
                    await handler(envelope, message)
                except TransientError as exc:
                    log.warning("transient failure, requeued: %s", exc)
                    await message.nack(requeue=True)

        await queue.consume(on_message)

    @staticmethod
    def _require(channel: AbstractChannel | None) -> AbstractChannel:
        if channel is None:
            raise RuntimeError("broker is not connected")
        return channel


def signature_of(message: AbstractIncomingMessage) -> tuple[str, str]:
    """(claimed sender region, signature) from a delivered message's headers."""
    headers: dict[str, Any] = dict(message.headers or {})
    return str(headers.get(SENDER_HEADER, "")), str(headers.get(SIGNATURE_HEADER, ""))
