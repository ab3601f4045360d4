"""A process's broker identities: one connection per region it serves, or the platform's one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from shared.messaging.broker import Broker
from shared.regions import PLATFORM

__all__ = ["PLATFORM", "Brokers"]


class Brokers:
    """A region's messages are sent and read only with that region's broker user (design §4),
    so a process serving several regions holds a connection for each."""

    def __init__(self, brokers: dict[str, Broker]) -> None:
        if not brokers:
            raise ValueError("a process needs at least one broker identity")
        self._brokers = dict(brokers)

    def of(self, admdvs: str) -> Broker:
        broker = self._brokers.get(admdvs)
        if broker is None:
            raise LookupError(f"this process holds no broker identity for {admdvs}")
        return broker

    def items(self) -> Iterator[tuple[str, Broker]]:
        return iter(self._brokers.items())

    @property
    def is_connected(self) -> bool:
        return all(b.is_connected for b in self._brokers.values())

    async def connect(self, *, declare: Callable[[Broker], Awaitable[None]] | None = None) -> None:
        """Connect every identity not yet connected (a retried start keeps what it made)."""
        for broker in self._brokers.values():
            if not broker.is_connected:
                await broker.connect(declare=declare)

    async def close(self) -> None:
        for broker in self._brokers.values():
            await broker.close()
