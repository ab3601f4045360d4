"""The treating region's composition root: data files, runtime, reply queue, gateway."""

from __future__ import annotations

from collections.abc import Mapping

from services.treating_region.adapters.hub_books import HubBooks
from services.treating_region.domain.catalogue import CatalogueEntry, Institution
from services.treating_region.service_layer.conformance import Conformance
from services.treating_region.service_layer.context import TreatingContext
from services.treating_region.service_layer.gateway import Gateway
from services.treating_region.settings import Settings
from shared.messaging import RelayClient
from shared.runtime import Runtime, open_runtime


async def build(
    settings: Settings,
    catalogues: Mapping[str, Mapping[str, CatalogueEntry]],
    institutions: Mapping[str, Institution],
) -> tuple[Runtime, Gateway]:
    runtime = await open_runtime(settings)
    relay = RelayClient(runtime.brokers, "treating_region")
    ctx = TreatingContext(
        pool=runtime.pool,
        relay=relay,
        catalogues=catalogues,
        institutions=institutions,
        deadline_s=settings.reply_deadline_s,
        hub_books=HubBooks(settings.hub_url, settings.hub_operator_token),
    )
    gateway = Gateway(
        ctx,
        runtime.regions,
        require_sign_in=settings.require_sign_in,
        conformance=Conformance(runtime.pool),
    )
    relay.on_late_reply = gateway.on_late_reply
    await relay.start()
    return runtime, gateway
