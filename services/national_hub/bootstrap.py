"""The hub's composition root: runtime, topology, consumers."""

from __future__ import annotations

from services.national_hub.entrypoints import consumer
from services.national_hub.service_layer.relay import HubRelay
from services.national_hub.settings import Settings
from shared.messaging import topology
from shared.regions import POOLS
from shared.runtime import Runtime, open_runtime


async def build(settings: Settings) -> Runtime:
    runtime = await open_runtime(settings)
    broker = runtime.broker
    relay = HubRelay(broker, runtime.pool, settings.relay_secret)
    unrouted, _dead = await broker.declare_sink_queues()
    # every pool's queues exist even while its service is down: requests wait, durable
    for admdvs in POOLS:
        await broker.declare_quorum_queue(
            topology.insured_queue(admdvs),
            exchange=topology.HUB_EGRESS,
            routing_keys=[topology.insured_queue(admdvs)],
        )
        await broker.declare_quorum_queue(
            topology.treating_queue(admdvs),
            exchange=topology.HUB_EGRESS,
            routing_keys=[topology.treating_queue(admdvs)],
        )
    ingress = await broker.declare_quorum_queue(
        topology.HUB_INGRESS, exchange=topology.HUB_INGRESS, routing_keys=["#"]
    )
    await consumer.consume(broker, relay, ingress=ingress, unrouted=unrouted)
    return runtime
