"""The hub's composition root: runtime and topology, its consumers, the journal reader and the
books' keeper."""

from __future__ import annotations

import asyncio

from services.national_hub.adapters.journal import JournalReader
from services.national_hub.entrypoints import consumer
from services.national_hub.service_layer.books import Keeper, Sources
from services.national_hub.service_layer.relay import Hub
from services.national_hub.settings import Settings
from shared.messaging import PLATFORM, Broker
from shared.regions import POOLS
from shared.runtime import Runtime, open_runtime


async def build(settings: Settings) -> Runtime:
    async def declare(broker: Broker) -> None:
        await broker.declare_topology(POOLS, journal_max_bytes=settings.journal_max_bytes)

    runtime = await open_runtime(settings, platform=True, declare=declare)
    broker = runtime.brokers.of(PLATFORM)
    await consumer.consume(broker, Hub(broker, runtime.pool, settings.relay_secret))
    journal = JournalReader(settings.amqp_url, runtime.pool)
    runtime.background.append(asyncio.create_task(journal.run_forever()))
    keeper = Keeper(
        runtime.pool,
        runtime.brokers,
        interval_s=settings.books_interval_s,
        auto_clearing=settings.auto_clearing,
        configured=settings.prepayment_quotas,
        minimum=settings.prepayment_minimum_quota,
        sources=Sources(settings.treating_url, settings.insured_url, settings.peer_operator_token),
    )
    runtime.background.append(asyncio.create_task(keeper.run_forever()))
    return runtime
