"""The insured region's composition root."""

from __future__ import annotations

from services.insured_region.entrypoints.consumer import InsuredConsumer
from services.insured_region.settings import Settings
from shared.runtime import Runtime, open_runtime


async def build(settings: Settings) -> Runtime:
    runtime = await open_runtime(settings)
    await InsuredConsumer(runtime).start()
    return runtime
