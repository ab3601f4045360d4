"""What the platform tells the region (design §8): kept once per event, read by operators."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from shared import clock


async def keep(
    pool: asyncpg.Pool, *, relay_id: str, admdvs: str, infno: str, payload: dict[str, Any]
) -> bool:
    """True when new; a redelivered event is the row already kept."""
    status: str = await pool.execute(
        """INSERT INTO platform_notice (relay_id, admdvs, infno, payload, received_at)
           VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (relay_id) DO NOTHING""",
        relay_id,
        admdvs,
        infno,
        orjson.dumps(payload).decode(),
        clock.now(),
    )
    return status.endswith(" 1")


async def listing(pool: asyncpg.Pool, admdvs: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT relay_id, admdvs, infno, payload::text AS payload, received_at
             FROM platform_notice WHERE $1::text IS NULL OR admdvs = $1
            ORDER BY received_at, relay_id LIMIT $2""",
        admdvs,
        limit,
    )
    return [
        {
            **dict(r),
            "payload": orjson.loads(r["payload"]),
            "received_at": r["received_at"].isoformat(),
        }
        for r in rows
    ]
