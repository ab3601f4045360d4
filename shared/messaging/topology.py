"""The RabbitMQ topology of the relay (design §4), declared idempotently by every process.

::

    region ──▶ [hub.ingress] topic ──▶ queue hub.ingress (quorum) ──▶ hub
    hub    ──▶ [hub.egress]  topic ──▶ queue insured.<admdvs> (quorum)   ──▶ insured region
                                   ──▶ queue treating.<admdvs> (quorum)  ──▶ treating region
                                   ──▶ queue reply.<process> (exclusive) ──▶ the process waiting
               unroutable on hub.egress ──▶ [hub.unrouted] fanout ──▶ queue hub.unrouted (quorum)
    rejected or over the delivery limit ──▶ [hub.dead] fanout ──▶ queue hub.dead (quorum)

Replies go to the process that waits for them; if it died, its reply queue is gone and the reply
lands in ``hub.unrouted`` where the hub records it — never lost.
"""

from __future__ import annotations

import uuid
from typing import Any

HUB_INGRESS = "hub.ingress"
HUB_EGRESS = "hub.egress"
HUB_UNROUTED = "hub.unrouted"
HUB_DEAD = "hub.dead"
DELIVERY_LIMIT = 5


def insured_queue(admdvs: str) -> str:
    return f"insured.{admdvs}"


def treating_queue(admdvs: str) -> str:
    return f"treating.{admdvs}"


def reply_queue(service: str) -> str:
    """A fresh name per process: replies are addressed to the process, not to its region."""
    return f"reply.{service}.{uuid.uuid4().hex[:12]}"


def ingress_routing_key(kind: str, sender_admdvs: str) -> str:
    return f"{kind}.{sender_admdvs}"


def quorum_arguments() -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": HUB_DEAD,
        "x-delivery-limit": DELIVERY_LIMIT,
    }
