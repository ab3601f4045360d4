"""A region cannot speak as another, nor read another's messages (design §4): the broker checks
``user_id`` against the connection's user, and the region users' permissions allow only their
own keys and queues. Checked on the real broker with a raw client, as a rogue region would try.

Each refusal has its control beside it, the same thing done rightly on the same connection, so
that a test passing cannot mean the broker refused everything."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aio_pika
import aiormq
import pytest
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging import topology
from tests.e2e.relay_client import DEFAULT_AMQP_URL, REGION_PASSWORD

pytestmark = pytest.mark.e2e

ROGUE = "120000"
VICTIM = "110000"


@pytest.fixture
async def rogue() -> AsyncIterator[AbstractRobustConnection]:
    url = os.environ.get("RELAY_E2E_AMQP_URL", DEFAULT_AMQP_URL)
    connection = await aio_pika.connect_robust(
        topology.with_credentials(url, topology.region_user(ROGUE), REGION_PASSWORD)
    )
    try:
        yield connection
    finally:
        await connection.close()


async def _ack(message: AbstractIncomingMessage) -> None:
    await message.ack()


async def _own_reply_queue(channel: AbstractChannel) -> aio_pika.abc.AbstractQueue:
    """A reply queue of the rogue region's own, bound under its own name (allowed)."""
    name = topology.reply_queue(ROGUE, "identity-test")
    queue = await channel.declare_queue(
        name, durable=True, arguments=topology.reply_queue_arguments()
    )
    route = await channel.get_exchange(topology.RELAY_ROUTE, ensure=False)
    await queue.bind(route, routing_key=name)
    return queue


def _message(user_id: str) -> aio_pika.Message:
    return aio_pika.Message(b"{}", message_id=uuid.uuid4().hex, user_id=user_id)


@pytest.mark.usefixtures("stack")  # the hub has declared the topology
async def test_a_region_cannot_publish_as_another(rogue: AbstractRobustConnection) -> None:
    channel = await rogue.channel(publisher_confirms=True)
    queue = await _own_reply_queue(channel)
    relay = await channel.get_exchange(topology.RELAY, ensure=False)
    # control: as itself, to its own reply queue, the message is confirmed and arrives
    await relay.publish(_message(topology.region_user(ROGUE)), routing_key=queue.name)
    got = await queue.get(timeout=5)
    assert got.user_id == topology.region_user(ROGUE)
    await got.ack()
    with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed, match="user_id"):
        await relay.publish(_message(topology.region_user(VICTIM)), routing_key=queue.name)


@pytest.mark.usefixtures("stack")
async def test_a_region_may_publish_only_the_keys_it_is_allowed(
    rogue: AbstractRobustConnection,
) -> None:
    channel = await rogue.channel(publisher_confirms=True)
    queue = await _own_reply_queue(channel)
    relay = await channel.get_exchange(topology.RELAY, ensure=False)
    await relay.publish(_message(topology.region_user(ROGUE)), routing_key=queue.name)
    await (await queue.get(timeout=5)).ack()
    # events to a treating region are the platform's to send, never a region's
    with pytest.raises(aiormq.exceptions.ChannelAccessRefused, match="treating"):
        await relay.publish(
            _message(topology.region_user(ROGUE)), routing_key=topology.treating_key(VICTIM)
        )


@pytest.mark.usefixtures("stack")
async def test_a_region_cannot_read_another_regions_queue(
    rogue: AbstractRobustConnection,
) -> None:
    channel = await rogue.channel()
    own = await _own_reply_queue(channel)
    tag = await own.consume(_ack)
    await own.cancel(tag)  # control: its own queue it may read
    victims = await channel.get_queue(topology.insured_key(VICTIM), ensure=True)
    with pytest.raises(aiormq.exceptions.ChannelAccessRefused, match=VICTIM):
        await victims.consume(_ack)


@pytest.mark.usefixtures("stack")
async def test_a_region_cannot_bind_its_queue_to_another_regions_traffic(
    rogue: AbstractRobustConnection,
) -> None:
    channel = await rogue.channel()
    queue = await _own_reply_queue(channel)  # control: bound under its own name
    route = await channel.get_exchange(topology.RELAY_ROUTE, ensure=False)
    with pytest.raises(aiormq.exceptions.ChannelAccessRefused, match=VICTIM):
        await queue.bind(route, routing_key=topology.insured_key(VICTIM))


async def _next(queue: AbstractQueue, *, within_s: float) -> AbstractIncomingMessage:
    """The next message on ``queue`` (a basic.get does not wait: poll it)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        got = await queue.get(fail=False)
        if got is not None:
            await got.ack()
            return got
        assert asyncio.get_running_loop().time() < deadline, f"nothing on {queue.name}"
        await asyncio.sleep(0.1)


def _request_1101(reply_to: str, *, mdtrtarea: str) -> bytes:
    return (
        RelayEnvelope(
            msgid=f"H{mdtrtarea}{uuid.uuid4().hex[:20]}",
            infno="1101",
            kind=MessageKind.REQUEST,
            sender_admdvs=mdtrtarea,
            mdtrtarea_admvs=mdtrtarea,
            insuplc_admdvs="650100",
            deadline=datetime.now(UTC) + timedelta(seconds=10),
            reply_to=reply_to,
            payload={"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "110101199001011234"}},
        )
        .model_dump_json()
        .encode()
    )


@pytest.mark.usefixtures("stack")  # the insured region 650100 consumes
async def test_a_request_the_broker_did_not_vouch_for_is_neither_answered_nor_done(
    rogue: AbstractRobustConnection,
) -> None:
    """RabbitMQ checks ``user_id`` only when it is set: a message without one is unverified,
    and the insured region refuses it (E5004) without answering anyone."""
    channel = await rogue.channel(publisher_confirms=True)
    queue = await _own_reply_queue(channel)
    relay = await channel.get_exchange(topology.RELAY, ensure=False)
    key = topology.insured_key("650100")
    # control: as itself, claiming to be itself, it is answered (the person is unknown: E1001)
    body = _request_1101(queue.name, mdtrtarea=ROGUE)
    await relay.publish(
        aio_pika.Message(body, user_id=topology.region_user(ROGUE)), routing_key=key
    )
    answer = RelayEnvelope.model_validate_json((await _next(queue, within_s=10)).body)
    assert answer.kind == MessageKind.REPLY
    assert answer.err_code == "E1001"
    # without user_id, claiming another region: refused, and its reply queue hears nothing
    forged = _request_1101(queue.name, mdtrtarea=VICTIM)
    await relay.publish(aio_pika.Message(forged), routing_key=key)
    await asyncio.sleep(3.0)
    assert await queue.get(fail=False) is None
