"""Messaging on aio-pika: topology, a confirmed publisher, consumers, request/reply."""

from shared.messaging.broker import Broker, TransientError, signature_of
from shared.messaging.rpc import RelayClient, ReplyTimeout

__all__ = ["Broker", "RelayClient", "ReplyTimeout", "TransientError", "signature_of"]
