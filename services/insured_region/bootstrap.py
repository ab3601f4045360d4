"""The insured region's composition root."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from services.insured_region.domain.policy import RegionPolicy
from services.insured_region.entrypoints.consumer import InsuredConsumer
from services.insured_region.settings import Settings
from shared.messaging import outbox
from shared.runtime import Runtime, open_runtime

log = logging.getLogger(__name__)

OUTBOX_RELAY_EVERY_S = 2.0


async def build(settings: Settings, policies: Mapping[str, RegionPolicy]) -> Runtime:
    runtime = await open_runtime(settings)
    await InsuredConsumer(runtime, policies).start()
    # what seed and index-sync queued while the service was down reaches the hub's person
    # index before the service says it is healthy (the hub starts first: make up)
    try:
        sent = await outbox.drain(runtime.pool, runtime.brokers)
    except Exception as exc:  # the relay loop tries again
        log.warning("outbox: start-up drain failed: %s", exc)
    else:
        if sent:
            log.info("outbox: %d queued messages sent to the hub at start", sent)
    runtime.background.append(
        asyncio.create_task(
            outbox.relay_forever(runtime.pool, runtime.brokers, OUTBOX_RELAY_EVERY_S)
        )
    )
    return runtime
