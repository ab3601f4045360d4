"""The insured region's two outboxes (design §4, style 14).

* ``owed_reply``: the reply owed for a settle, cancel or 2601 whose effect committed (written by
  the ledger in the effect's own statement, ``adapters/ledger.py``); removed once the broker
  confirms the reply, and re-sent by the relay in ``service_layer/owed_replies.py`` if not.
* ``outbox``: messages to the hub, such as enrolment events, published by
  ``shared.messaging.outbox``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.insured_region.adapters.ledger import OwedReply
from services.insured_region.adapters.orm import OutboxRow
from shared.envelope import RelayEnvelope
from shared.messaging.outbox import TO_HUB


async def mark_replies_sent(pool: asyncpg.Pool, relay_ids: list[str]) -> None:
    """The broker confirmed these replies: nothing is owed for them any more."""
    await pool.execute("DELETE FROM owed_reply WHERE relay_id = ANY($1::text[])", relay_ids)


async def replies_pending(
    pool: asyncpg.Pool, older_than_s: float, regions: Sequence[str], limit: int = 200
) -> list[OwedReply]:
    """Replies owed for longer than ``older_than_s`` (their process died before it sent them),
    of the regions this process answers for: another process serves the others' pools."""
    rows = await pool.fetch(
        """SELECT relay_id, msgid, request::text AS request FROM owed_reply
            WHERE created_at < $1 AND request->>'insuplc_admdvs' = ANY($3::text[])
            ORDER BY created_at LIMIT $2""",
        datetime.now(UTC) - timedelta(seconds=older_than_s),
        limit,
        list(regions),
    )
    return [OwedReply(r["relay_id"], r["msgid"], orjson.loads(r["request"])) for r in rows]


async def send_to_hub(
    session: AsyncSession, events: Sequence[RelayEnvelope], *, grace_s: float = 0.0
) -> list[str]:
    """Inside the write's transaction: the events go to the hub if and only if it commits.

    ``grace_s`` keeps the relay off the rows for that long, for a caller that publishes them
    itself right after its commit. Returns the relay ids, for ``shared.messaging.outbox.forget``.
    """
    if not events:
        return []
    now = datetime.now(UTC)
    await session.execute(
        insert(OutboxRow),
        [
            {
                "relay_id": e.relay_id,
                "exchange": TO_HUB[0],
                "routing_key": TO_HUB[1],
                "envelope": e.model_dump(mode="json"),
                "created_at": now,
                "due_at": now + timedelta(seconds=grace_s),
            }
            for e in events
        ],
    )
    return [e.relay_id for e in events]
