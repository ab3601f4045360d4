"""The treating region's composition root: runtime, reply queue, gateway."""

from __future__ import annotations

from services.treating_region.service_layer.gateway import Gateway
from services.treating_region.settings import Settings
from shared.messaging import RelayClient
from shared.runtime import Runtime, open_runtime


async def build(settings: Settings) -> tuple[Runtime, Gateway]:
    runtime = await open_runtime(settings)
    relay = RelayClient(runtime.broker, "treating_region")
    gateway = Gateway(runtime.engine, relay, runtime.regions, settings.reply_deadline_s)
    relay.on_late_reply = gateway.on_late_reply
    await relay.start()
    return runtime, gateway
