"""Messaging on aio-pika: topology, a confirmed publisher, consumers, request/reply."""

from shared.messaging.broker import Broker, TransientError, signature_of
from shared.messaging.rpc import RelayClient, ReplyTimeout
from shared.messaging.signing import SenderCheck

__all__ = [
    "Broker",
    "RelayClient",
    "ReplyTimeout",
    "SenderCheck",
    "TransientError",
    "signature_of",
]
