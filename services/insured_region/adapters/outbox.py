"""The owed-reply outbox: rows written with the effect, removed when the reply is confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.insured_region.adapters.orm import OwedReply


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
