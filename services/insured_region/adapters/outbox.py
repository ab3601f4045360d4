"""The insured region's outboxes: owed replies (removed when the reply is confirmed) and
messages to the hub, such as enrolment events (published by ``shared.messaging.outbox``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.insured_region.adapters.orm import OutboxRow, OwedReply
from shared.envelope import RelayEnvelope
from shared.messaging.outbox import to_hub


@dataclass(frozen=True, slots=True)
class Debt:
    """A reply owed: the request it answers (relay id, msgid, the envelope as JSON)."""

    relay_id: str
    msgid: str
    request: dict[str, Any]


async def owe(session: AsyncSession, debt: Debt | None) -> None:
    """Inside the effect's transaction: the reply is owed if and only if the effect commits."""
    if debt is None:
        return
    session.add(
        OwedReply(
            relay_id=debt.relay_id,
            msgid=debt.msgid,
            request=debt.request,
            created_at=datetime.now(UTC),
        )
    )
    await session.flush()


async def paid(pool: asyncpg.Pool, relay_ids: list[str]) -> None:
    await pool.execute("DELETE FROM owed_reply WHERE relay_id = ANY($1::text[])", relay_ids)


async def overdue(pool: asyncpg.Pool, older_than_s: float, limit: int = 200) -> list[Debt]:
    rows = await pool.fetch(
        """SELECT relay_id, msgid, request::text AS request FROM owed_reply
            WHERE created_at < $1 ORDER BY created_at LIMIT $2""",
        datetime.now(UTC) - timedelta(seconds=older_than_s),
        limit,
    )
    return [Debt(r["relay_id"], r["msgid"], orjson.loads(r["request"])) for r in rows]


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
                "exchange": to_hub(e)[0],
                "routing_key": to_hub(e)[1],
                "envelope": e.model_dump(mode="json"),
                "created_at": now,
                "due_at": now + timedelta(seconds=grace_s),
            }
            for e in events
        ],
    )
    return [e.relay_id for e in events]
