"""The RabbitMQ topology of the relay (design §4): the broker routes, the hub journals.

::

    region ──▶ [relay] topic ──#──▶ stream hub.journal            (the hub's copy of everything)
                         └──#──▶ [relay.route] topic, alternate exchange hub.unrouted
                                   insured.<admdvs>  ──▶ queue insured.<admdvs> (quorum) ──▶ insured
                                   treating.<admdvs> ──▶ queue treating.<admdvs> (quorum)
                                   reply.<admdvs>.<process> ──▶ queue of the process that waits
                                   hub.resolve, hub.index ──▶ queue hub.requests (quorum) ──▶ hub
               routed nowhere on relay.route ──▶ [hub.unrouted] fanout ──▶ queue hub.unrouted
         expired, rejected, over the delivery limit ──▶ [hub.dead] fanout ──▶ queue hub.dead
                                                                        ──▶ queue hub.dead.log

The journal sits on ``relay`` and the queues on ``relay.route`` because an alternate exchange
only takes what its own exchange routed nowhere: with the stream bound ``#`` beside the queues,
every message would count as routed and an unknown region would never reach ``hub.unrouted``.

The hub declares it all at start (it owns which regions exist); a region's processes only
declare their reply queues. A region's RabbitMQ user (``region_<admdvs>``) may publish on
``relay`` only the keys below and read only its own queues, and the broker checks the
``user_id`` a message carries. The permissions are a first fence, not the proof: a region may
configure names under its own ``reply.<admdvs>.`` prefix, exchanges included, and so route its
messages around the topic rules; what a receiver trusts is the broker-checked sender
(``sender_of``), never a routing key.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from shared.regions import PLATFORM

RELAY = "relay"
RELAY_ROUTE = "relay.route"
HUB_UNROUTED = "hub.unrouted"
HUB_DEAD = "hub.dead"
HUB_DEAD_LOG = "hub.dead.log"
"""The hub's copy of every dead letter, to record; ``hub.dead`` keeps them for inspection."""
HUB_JOURNAL = "hub.journal"
HUB_REQUESTS = "hub.requests"
DELIVERY_LIMIT = 5

RESOLVE_KEY = "hub.resolve"
"""A 1101 sent without its insured region: the hub finds it in the person index."""
INDEX_KEY = "hub.index"
"""An insured region's enrolment events, for the national person index."""

REPLY_QUEUE_IDLE_S = 120
"""A reply queue whose process is gone is deleted after this long without a consumer."""
REPLY_TTL_S = 60
"""A reply nobody took in this long goes to ``hub.dead`` and is recorded there as late."""

_REGION_USER = re.compile(r"^region_(\d{6})$")


def insured_key(admdvs: str) -> str:
    """Routing key and queue name of the requests to an insured region."""
    return f"insured.{admdvs}"


def treating_key(admdvs: str) -> str:
    return f"treating.{admdvs}"


def request_key(insuplc_admdvs: str) -> str:
    """Where a request goes: its insured region, or the hub when the region is to be found."""
    return insured_key(insuplc_admdvs) if insuplc_admdvs else RESOLVE_KEY


def reply_queue(admdvs: str, process: str) -> str:
    """A fresh name per process and identity: replies are addressed to the process that waits."""
    return f"reply.{admdvs}.{process}.{uuid.uuid4().hex[:12]}"


def region_user(admdvs: str) -> str:
    return f"region_{admdvs}"


def region_of_user(user_id: str | None) -> str | None:
    """The region a region user (``region_<admdvs>``) speaks for; None for any other name."""
    match = _REGION_USER.match(user_id or "")
    return match.group(1) if match else None


def sender_of(user_id: str | None, platform_user: str | None) -> str | None:
    """Who sent a message, as the broker checked it: a region's code, ``PLATFORM`` for the
    platform's user, None when it cannot be told. RabbitMQ checks ``user_id`` only when it is
    set, so a message without one (or with a user that is neither) is unverified: every
    receiver refuses it."""
    if user_id and platform_user and user_id == platform_user:
        return PLATFORM
    return region_of_user(user_id)


def reply_to_is_of(reply_to: str | None, region: str | None) -> bool:
    """A ``reply_to`` names a reply queue of ``region`` (``reply.<region>.…``): the only place
    an answer may go, so that nobody can have the relay publish into someone else's queue."""
    return bool(reply_to and region and reply_to.startswith(f"reply.{region}."))


def region_permissions(admdvs: str) -> dict[str, str]:
    """What a region's broker user may do on the vhost: configure its reply queues; write the
    ``relay`` exchange and its reply queues (to bind them); read ``relay.route`` (to bind) and
    its own request and reply queues. The platform's user (the hub) may do everything."""
    reply = rf"reply\.{admdvs}\..+"
    return {
        "configure": rf"^{reply}$",
        "write": rf"^(relay|{reply})$",
        "read": rf"^(relay\.route|insured\.{admdvs}|treating\.{admdvs}|{reply})$",
    }


def region_topic_permissions(admdvs: str) -> list[dict[str, str]]:
    """Which routing keys a region may publish on ``relay`` (requests to any insured region,
    replies, the hub's resolve and index) and bind on ``relay.route`` (its own reply keys only):
    a region can neither send events to a treating region nor listen to another's traffic."""
    return [
        {
            "exchange": RELAY,
            "write": r"^(insured\.[0-9]{6}|reply\..+|hub\.(resolve|index))$",
            "read": "^$",
        },
        {"exchange": RELAY_ROUTE, "write": "^$", "read": rf"^reply\.{admdvs}\..+$"},
    ]


REQUEST_QUEUE_TTL_S = 600
"""A backstop: a request expires at its deadline, but a queue expires messages only at its head,
so none may wait longer than this behind an older one."""


def policies() -> list[dict[str, Any]]:
    """The operator's policies: set by the platform, so that a region needs no right on
    ``hub.dead`` for its reply queues' expired replies to reach the hub (recorded as late)."""
    return [
        {
            "name": "reply-queues",
            "pattern": r"^reply\.",
            "apply-to": "queues",
            "definition": {"dead-letter-exchange": HUB_DEAD},
            "priority": 0,
        },
        {
            "name": "request-queues",
            "pattern": r"^(insured|treating)\.",
            "apply-to": "queues",
            "definition": {"message-ttl": REQUEST_QUEUE_TTL_S * 1000},
            "priority": 0,
        },
    ]


def quorum_arguments() -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": HUB_DEAD,
        "x-delivery-limit": DELIVERY_LIMIT,
    }


def reply_queue_arguments(*, replicated: bool = False) -> dict[str, Any]:
    """Durable and not exclusive: a reply sent while the waiting process reconnects waits for
    it. When the process is gone for good, what nobody takes expires and the queue deletes
    itself; the operator's ``reply-queues`` policy dead-letters the expired replies to the hub,
    which records them as late (a region has no right on ``hub.dead`` to name it here).

    ``replicated`` (a broker cluster): a quorum queue. A classic queue lives on one node, and
    when that node is lost its process can neither declare it again nor be answered (measured
    with ``deploy/local/cluster_probe.py``); a quorum queue moves to another node and its
    consumer goes on. On a single node a classic queue outlives a restart just as well, and a
    restart recovers it faster than one Raft group per waiting process."""
    arguments: dict[str, Any] = {
        "x-expires": REPLY_QUEUE_IDLE_S * 1000,
        "x-message-ttl": REPLY_TTL_S * 1000,
    }
    if replicated:
        arguments["x-queue-type"] = "quorum"
    return arguments


def journal_arguments(max_bytes: int) -> dict[str, Any]:
    return {"x-queue-type": "stream", "x-max-length-bytes": max_bytes}


def user_of(url: str) -> str:
    return unquote(urlsplit(url).username or "guest")


def with_credentials(url: str, user: str, password: str) -> str:
    """The same broker and vhost, as another user (credentials escaped for the URL)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return parts._replace(netloc=f"{credentials}@{host}{port}").geturl()
