"""The insured region's composition root."""

from __future__ import annotations

from collections.abc import Mapping

from services.insured_region.domain.policy import RegionPolicy
from services.insured_region.entrypoints.consumer import InsuredConsumer
from services.insured_region.settings import Settings
from shared.runtime import Runtime, open_runtime


async def build(settings: Settings, policies: Mapping[str, RegionPolicy]) -> Runtime:
    runtime = await open_runtime(settings)
    await InsuredConsumer(runtime, policies).start()
    return runtime
