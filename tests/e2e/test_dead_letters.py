"""Poison messages go to the dead-letter exchange with the reason, never silently away."""

from __future__ import annotations

import asyncio
import os
import uuid

import aio_pika
import pytest

from shared.messaging import topology
from tests.e2e.relay_client import DEFAULT_AMQP_URL

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("exchange", "routing_key", "queue"),
    [
        pytest.param(topology.RELAY, "insured.650100", "insured.650100", id="insured"),
        pytest.param(topology.RELAY, topology.RESOLVE_KEY, topology.HUB_REQUESTS, id="hub"),
    ],
)
@pytest.mark.usefixtures("stack")  # the services consume, and reject, the poison
async def test_an_unreadable_message_is_dead_lettered_with_its_reason(
    exchange: str, routing_key: str, queue: str
) -> None:
    message_id = uuid.uuid4().hex
    connection = await aio_pika.connect(os.environ.get("RELAY_E2E_AMQP_URL", DEFAULT_AMQP_URL))
    try:
        channel = await connection.channel()
        dead = await channel.get_queue(topology.HUB_DEAD, ensure=False)
        await dead.purge()  # the test vhost's earlier dead letters are of no interest here
        target = await channel.get_exchange(exchange, ensure=False)
        await target.publish(
            aio_pika.Message(
                b"{not json",
                message_id=message_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )
        found = None
        for _ in range(100):
            got = await dead.get(fail=False, no_ack=False)
            if got is None:
                await asyncio.sleep(0.1)
                continue
            await got.ack()
            if got.message_id == message_id:
                found = got
                break
        assert found is not None, "the poison message never reached hub.dead"
        headers = dict(found.headers or {})
        assert headers.get("x-first-death-reason") == "rejected"
        assert headers.get("x-first-death-queue") == queue
        assert found.body == b"{not json"
    finally:
        await connection.close()
