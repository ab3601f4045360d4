"""9001/9002 sign-ins (签到/签退): the ``sign_no`` an institution sends on later calls.

Plain asyncpg, one autocommitted statement each, like the message log.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

_SIGN_IN = """
    INSERT INTO sign_in (sign_no, fixmedins_code, opter_no, mac, ip, signed_in_at)
    VALUES ($1, $2, $3, $4, $5, $6)
"""
_SIGN_OUT = """
    UPDATE sign_in SET signed_out_at = $3
     WHERE sign_no = $1 AND fixmedins_code = $2 AND signed_out_at IS NULL
"""
_OPEN = """
    SELECT 1 FROM sign_in WHERE sign_no = $1 AND fixmedins_code = $2 AND signed_out_at IS NULL
"""


async def sign_in(
    pool: asyncpg.Pool,
    *,
    sign_no: str,
    fixmedins_code: str,
    opter_no: str,
    mac: str | None,
    ip: str | None,
    at: datetime,
) -> None:
    await pool.execute(_SIGN_IN, sign_no, fixmedins_code, opter_no, mac, ip, at)


async def sign_out(pool: asyncpg.Pool, *, sign_no: str, fixmedins_code: str, at: datetime) -> bool:
    """True if this institution's sign-in was open and is now closed."""
    result = await pool.execute(_SIGN_OUT, sign_no, fixmedins_code, at)
    return str(result).endswith(" 1")


async def is_open(pool: asyncpg.Pool, *, sign_no: str, fixmedins_code: str) -> bool:
    return await pool.fetchval(_OPEN, sign_no, fixmedins_code) is not None
