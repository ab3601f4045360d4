from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.e2e.harness import Stack, start_stack
from tests.e2e.relay_client import TreatingRegionDouble


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    running = start_stack()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
async def ahttp() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
async def treating_double(stack: Stack) -> AsyncIterator[TreatingRegionDouble]:
    """Speaks to the stack's hub; it needs the stack up (its queues and the hub's)."""
    assert stack.hub_url
    double = TreatingRegionDouble()
    await double.start()
    try:
        yield double
    finally:
        await double.close()
