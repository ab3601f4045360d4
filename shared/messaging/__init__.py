"""Messaging on aio-pika: topology, confirmed publishers, consumers, request/reply."""

from shared.messaging.broker import Broker, NotPublished, TransientError
from shared.messaging.brokers import PLATFORM, Brokers
from shared.messaging.rpc import RelayClient, ReplyTimeout

__all__ = [
    "PLATFORM",
    "Broker",
    "Brokers",
    "NotPublished",
    "RelayClient",
    "ReplyTimeout",
    "TransientError",
]
