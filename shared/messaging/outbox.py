"""The transactional outbox for messages a service must send after a write (design §4, style 14):
a region's enrolment events to the hub, the hub's prepayment warnings to the regions.

A service that uses it has a table ``outbox`` (its own migration)::

    relay_id     varchar(36) primary key   the envelope's relay id
    exchange     varchar(40)               where it was published (``relay``), for the record
    routing_key  varchar(100)              ditto; the relay takes both from the envelope
    envelope     jsonb                     the RelayEnvelope, published as it is
    created_at   timestamptz
    due_at       timestamptz, indexed      when the relay may take it (a lease once taken)

The row is written in the same transaction as the effect. Whoever committed may publish the
envelope at once and then ``forget`` the row; rows nobody published (the process died, the broker
was away) are taken by ``publish_due``, which leases them with ``FOR UPDATE SKIP LOCKED`` in a
statement of its own, so no transaction is open while the broker is asked, and several processes
share the work. Delivery is at least once: consumers of these messages are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import ValidationError

from shared.envelope import RelayEnvelope
from shared.messaging import topology
from shared.messaging.brokers import Brokers

log = logging.getLogger(__name__)

LEASE_S = 10.0
"""A taken row comes back after this long if its publish never got confirmed."""
BATCH = 100

_TAKE = """
    UPDATE outbox SET due_at = $3
     WHERE relay_id IN (SELECT relay_id FROM outbox
                         WHERE due_at <= $2 AND envelope->>'sender_admdvs' = ANY($4::text[])
                         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
    RETURNING relay_id, exchange, routing_key, envelope::text AS envelope, created_at
"""


TO_HUB = (topology.RELAY, topology.INDEX_KEY)
"""Exchange and routing key of the events a region sends to the hub (its person index)."""


async def _publish(brokers: Brokers, envelope: RelayEnvelope, routing_key: str = TO_HUB[1]) -> None:
    """As whoever sends it (a region, or the platform): the broker vouches for the sender."""
    await brokers.of(envelope.sender_admdvs).publish(routing_key, envelope)


async def owe(conn: asyncpg.Connection, envelope: RelayEnvelope, routing_key: str) -> None:
    """Inside the write's transaction (plain asyncpg): ``envelope`` goes to ``routing_key`` on
    the relay exchange if and only if the write commits; the relay sends it."""
    now = datetime.now(UTC)
    await conn.execute(
        """INSERT INTO outbox (relay_id, exchange, routing_key, envelope, created_at, due_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $5) ON CONFLICT (relay_id) DO NOTHING""",
        envelope.relay_id,
        topology.RELAY,
        routing_key,
        envelope.model_dump_json(),
        now,
    )


async def publish_now(pool: asyncpg.Pool, brokers: Brokers, envelopes: list[RelayEnvelope]) -> bool:
    """Right after the commit that owed them: publish to the hub, then forget the rows.

    False if one could not be published; its row stays for the relay, so this never fails the
    write that owed it.
    """
    sent: list[str] = []
    try:
        for envelope in envelopes:
            await _publish(brokers, envelope)
            sent.append(envelope.relay_id)
    except Exception as exc:
        log.warning("outbox: publish after commit failed, the relay will retry: %s", exc)
    try:
        await forget(pool, sent)
    except Exception as exc:  # sent twice later: the receiver is idempotent
        log.warning("outbox: could not forget %d sent rows: %s", len(sent), exc)
    return len(sent) == len(envelopes)


async def forget(pool: asyncpg.Pool, relay_ids: list[str]) -> None:
    """The broker confirmed these: nothing is owed any more."""
    if relay_ids:
        await pool.execute("DELETE FROM outbox WHERE relay_id = ANY($1::text[])", relay_ids)


async def publish_due(pool: asyncpg.Pool, brokers: Brokers, *, limit: int = BATCH) -> int:
    """Publish up to ``limit`` due rows, oldest first; the number confirmed.

    Stops at the first publish that fails (the broker is away: the rest would fail too); the
    rows it took come back when their lease ends. A row that is no envelope (a bug) is skipped
    and comes back too, so it stays visible in the log without holding the others up.
    """
    now = datetime.now(UTC)
    # only what this process can send as its own regions: another process serves the others
    regions = [admdvs for admdvs, _ in brokers.items()]
    rows = await pool.fetch(_TAKE, limit, now, now + timedelta(seconds=LEASE_S), regions)
    sent: list[str] = []
    try:
        for row in sorted(rows, key=lambda r: r["created_at"]):
            try:
                envelope = RelayEnvelope.model_validate_json(row["envelope"])
            except ValidationError:
                log.error("outbox: row %s is not an envelope, skipped", row["relay_id"])
                continue
            await _publish(brokers, envelope, row["routing_key"])
            sent.append(row["relay_id"])
    except Exception as exc:
        log.warning("outbox: %d of %d sent, the rest wait: %s", len(sent), len(rows), exc)
    finally:
        await forget(pool, sent)
    return len(sent)


async def drain(pool: asyncpg.Pool, brokers: Brokers) -> int:
    """Publish every due row (at start, before the service says it is healthy)."""
    total = 0
    while True:
        sent = await publish_due(pool, brokers)
        total += sent
        if sent < BATCH:
            return total


async def relay_forever(pool: asyncpg.Pool, brokers: Brokers, every_s: float) -> None:
    """The outbox relay loop of one process; the database or broker being away costs a round."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await drain(pool, brokers)
        except Exception as exc:
            log.warning("outbox relay round failed: %s", exc)
