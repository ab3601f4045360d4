from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.harness import Stack, start_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    running = start_stack()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client
