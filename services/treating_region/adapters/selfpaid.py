"""The store of self-paid visits uploaded for manual reimbursement (plain asyncpg)."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from shared import clock


def _row(record: asyncpg.Record | None) -> dict[str, Any] | None:
    if record is None:
        return None
    out = dict(record)
    for key in ("visit", "claim"):
        if isinstance(out.get(key), str):
            out[key] = orjson.loads(out[key])
    return out


async def add(pool: asyncpg.Pool, values: dict[str, Any]) -> dict[str, Any] | None:
    """The new visit, or None when the institution already uploaded this ``ipt_otp_no``."""
    values = {**values, "visit": orjson.dumps(values["visit"]).decode(), "uploaded_at": clock.now()}
    names = list(values)
    casts = {"visit": "::jsonb"}
    return _row(
        await pool.fetchrow(
            f"""INSERT INTO selfpaid_visit ({", ".join(names)})
                VALUES ({", ".join(f"${i}{casts.get(n, '')}" for i, n in enumerate(names, 1))})
                ON CONFLICT (fixmedins_code, ipt_otp_no) DO NOTHING RETURNING *""",
            *values.values(),
        )
    )


async def by_number(
    pool: asyncpg.Pool, fixmedins_code: str, ipt_otp_no: str
) -> dict[str, Any] | None:
    return _row(
        await pool.fetchrow(
            "SELECT * FROM selfpaid_visit WHERE fixmedins_code = $1 AND ipt_otp_no = $2",
            fixmedins_code,
            ipt_otp_no,
        )
    )


async def by_id(pool: asyncpg.Pool, visit_id: int) -> dict[str, Any] | None:
    return _row(await pool.fetchrow("SELECT * FROM selfpaid_visit WHERE id = $1", visit_id))


async def listing(
    pool: asyncpg.Pool, *, psn_no: str | None, fixmedins_code: str | None, limit: int
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT * FROM selfpaid_visit
            WHERE ($1::text IS NULL OR psn_no = $1) AND ($2::text IS NULL OR fixmedins_code = $2)
            ORDER BY id LIMIT $3""",
        psn_no,
        fixmedins_code,
        limit,
    )
    return [r for r in (_row(row) for row in rows) if r is not None]


async def record_claim(pool: asyncpg.Pool, visit_id: int, claim: dict[str, Any]) -> bool:
    """The insured region's claim on the visit, kept once; False when another claim is kept."""
    status = await pool.execute(
        """UPDATE selfpaid_visit SET claim = $2::jsonb, claimed_at = coalesce(claimed_at, $3)
            WHERE id = $1 AND (claim IS NULL OR claim = $2::jsonb)""",
        visit_id,
        orjson.dumps(claim).decode(),
        clock.now(),
    )
    return bool(status.split()[-1] == "1")
