"""One broker identity per connection: confirmed publishes that ride out a reconnect, consumers
that resume, and the topology the hub declares (design §4)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from shared.envelope import MessageKind, RelayEnvelope
from shared.logging import msgid_var, relay_id_var
from shared.messaging import topology

log = logging.getLogger(__name__)

EnvelopeHandler = Callable[[RelayEnvelope, AbstractIncomingMessage], Awaitable[None]]

RECONNECT_INTERVAL_S = 0.5
"""aio-pika's default is 5 s: a whole reply deadline for a broker that is back in one."""
_RETRY_PAUSE_S = 0.05

_LINK_DOWN: tuple[type[BaseException], ...] = (
    aio_pika.exceptions.AMQPConnectionError,
    aio_pika.exceptions.ChannelInvalidStateError,
    aiormq.exceptions.ChannelClosed,
    ConnectionError,
    RuntimeError,  # aio-pika's "channel closed" on a robust channel that is reopening
)


class TransientError(Exception):
    """A database or broker hiccup: the message goes back to the queue (bounded by the limit)."""


class TopologyMissing(Exception):
    """The ``relay`` exchange is not declared yet: the hub, which owns it, has not started."""


class NotPublished(Exception):
    """The broker never confirmed the message before the deadline.

    ``maybe_sent`` is False when no attempt reached an open connection (nothing happened: safe
    to repeat, E5003), True when one may have (the receiver may have it: outcome unknown)."""

    def __init__(self, detail: str, *, maybe_sent: bool) -> None:
        super().__init__(detail)
        self.maybe_sent = maybe_sent


class Broker:
    """One connection as one user (a region's, or the platform's): a publishing channel with
    confirms and a consuming channel. RabbitMQ stamps and checks ``user_id`` against the user,
    so a receiver knows who sent a message (``sender_of``)."""

    def __init__(
        self,
        url: str,
        *,
        prefetch: int,
        publish_timeout_s: float,
        platform_user: str | None = None,
        replicated: bool = False,
    ) -> None:
        self._url = url
        self.user = topology.user_of(url)
        self.platform_user = platform_user or (
            self.user if topology.region_of_user(self.user) is None else None
        )
        """The platform's broker user (the hub's): a message it sent is the platform's."""
        self._replicated = replicated
        self._prefetch = prefetch
        self._publish_timeout_s = publish_timeout_s
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._consume_channel: AbstractChannel | None = None
        self._relay: AbstractExchange | None = None

    async def connect(self, *, declare: Callable[[Broker], Awaitable[None]] | None = None) -> None:
        """Connect; ``declare`` (the hub's) declares the topology, otherwise it must exist."""
        connection = await aio_pika.connect_robust(
            self._url, reconnect_interval=RECONNECT_INTERVAL_S, fail_fast=True
        )
        try:
            self.connection = connection
            self._publish_channel = await connection.channel(publisher_confirms=True)
            self._consume_channel = await connection.channel()
            await self._consume_channel.set_qos(prefetch_count=self._prefetch)
            if declare is not None:
                await declare(self)
            try:
                self._relay = await self._publish_channel.get_exchange(topology.RELAY, ensure=True)
            except aiormq.exceptions.ChannelNotFoundEntity as exc:
                raise TopologyMissing(topology.RELAY) from exc
        except BaseException:
            self.connection = None
            await connection.close()
            raise

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    @property
    def is_connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    @property
    def consume_channel(self) -> AbstractChannel:
        return _require(self._consume_channel)

    # ------------------------------------------------------------------ topology (the hub's)

    async def declare_topology(self, pools: Iterable[str], *, journal_max_bytes: int) -> None:
        """Every exchange, sink, region queue and the journal: idempotent, the hub's at start."""
        channel = self.consume_channel
        declare = channel.declare_exchange
        dead = await declare(topology.HUB_DEAD, aio_pika.ExchangeType.FANOUT, durable=True)
        unrouted = await declare(topology.HUB_UNROUTED, aio_pika.ExchangeType.FANOUT, durable=True)
        relay = await declare(topology.RELAY, aio_pika.ExchangeType.TOPIC, durable=True)
        route = await declare(
            topology.RELAY_ROUTE,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": topology.HUB_UNROUTED},
        )
        await route.bind(relay, routing_key="#")
        sinks = (
            (topology.HUB_UNROUTED, unrouted),
            (topology.HUB_DEAD, dead),
            (topology.HUB_DEAD_LOG, dead),
        )
        for name, exchange in sinks:
            sink = await channel.declare_queue(
                name, durable=True, arguments={"x-queue-type": "quorum"}
            )
            await sink.bind(exchange)
        journal = await channel.declare_queue(
            topology.HUB_JOURNAL,
            durable=True,
            arguments=topology.journal_arguments(journal_max_bytes),
        )
        await journal.bind(relay, routing_key="#")
        # every pool's queues exist even while its service is down: requests wait, durable
        keys = [topology.RESOLVE_KEY, topology.INDEX_KEY]
        await self._quorum(topology.HUB_REQUESTS, route, keys)
        for admdvs in pools:
            for key in (topology.insured_key(admdvs), topology.treating_key(admdvs)):
                await self._quorum(key, route, [key])

    async def _quorum(
        self, name: str, exchange: AbstractExchange, routing_keys: Iterable[str]
    ) -> AbstractQueue:
        queue = await self.consume_channel.declare_queue(
            name, durable=True, arguments=topology.quorum_arguments()
        )
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        return queue

    async def queue(self, name: str) -> AbstractQueue:
        """A queue the hub declared, to consume: declared passively (a region may not declare
        it), which is also how the robust channel finds it again after a reconnect."""
        return await self.consume_channel.get_queue(name, ensure=True)

    async def declare_reply_queue(self, name: str) -> AbstractQueue:
        """This process's reply queue, bound on ``relay.route`` under its own name."""
        channel = self.consume_channel
        queue = await channel.declare_queue(
            name,
            durable=True,
            arguments=topology.reply_queue_arguments(replicated=self._replicated),
        )
        route = await channel.get_exchange(topology.RELAY_ROUTE, ensure=False)
        await queue.bind(route, routing_key=name)
        return queue

    # ------------------------------------------------------------------ publish and consume

    async def publish(
        self, routing_key: str, envelope: RelayEnvelope, *, until: datetime | None = None
    ) -> None:
        """Persistent, identified, confirmed; retried with the same message id across a lost
        connection until ``until`` (default: the publish timeout). A request expires in the
        broker at its deadline (dead-lettered to the hub, which records it)."""
        deadline = until or datetime.now(UTC) + timedelta(seconds=self._publish_timeout_s)
        message = self._message(envelope)
        maybe_sent = False
        while True:
            remaining = (deadline - datetime.now(UTC)).total_seconds()
            if remaining <= 0:
                raise NotPublished(
                    f"{routing_key}: not confirmed before the deadline", maybe_sent=maybe_sent
                )
            if not self.is_connected or self._relay is None:
                await asyncio.sleep(_RETRY_PAUSE_S)
                continue
            try:
                # the whole attempt within the deadline: a robust channel may wait for its
                # connection before aiormq's own timeout starts
                async with asyncio.timeout(remaining):
                    await self._relay.publish(message, routing_key=routing_key)
                return
            except aio_pika.exceptions.DeliveryError as exc:
                # nacked: one of its queues refused it, another may have taken it (the journal,
                # or an earlier attempt): never "nothing happened"
                raise NotPublished(
                    f"{routing_key}: refused by the broker", maybe_sent=True
                ) from exc
            except TimeoutError:
                maybe_sent = True
            except _LINK_DOWN as exc:
                maybe_sent = maybe_sent or not isinstance(
                    exc, aio_pika.exceptions.ChannelInvalidStateError
                )
                log.info("publish to %s waits for the broker: %s", routing_key, exc)
                await asyncio.sleep(_RETRY_PAUSE_S)

    def _message(self, envelope: RelayEnvelope) -> aio_pika.Message:
        expiration = None
        if envelope.kind == MessageKind.REQUEST:
            # at least a moment: an expiration of 0 would drop it before a consumer could look
            left = (envelope.deadline - datetime.now(UTC)).total_seconds()
            expiration = timedelta(seconds=max(left, 0.1))
        return aio_pika.Message(
            envelope.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=envelope.relay_id,
            correlation_id=envelope.msgid,
            user_id=self.user,
            expiration=expiration,
            headers={"infno": envelope.infno},
        )

    def sender_of(self, message: AbstractIncomingMessage) -> str | None:
        """Who sent it, as RabbitMQ checked: a region, ``PLATFORM``, or None (unverified)."""
        return topology.sender_of(message.user_id, self.platform_user)

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


def _require(channel: AbstractChannel | None) -> AbstractChannel:
    if channel is None:
        raise RuntimeError("broker is not connected")
    return channel
