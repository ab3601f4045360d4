"""The institution's side of reconciliation: its settlements over a period (from the ledger) and
its reconciliation files (plain asyncpg)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.treating_region.adapters.ledger import BUSINESS_DAY
from shared import clock

_HELD = f"""
    SELECT setl_id, mdtrt_id, psn_no, msgid, medfee_sumamt, fund_pay_sumamt, acct_pay,
           refd_setl_flag
      FROM settlement
     WHERE fixmedins_code = $1 AND {BUSINESS_DAY} BETWEEN $2 AND $3
       AND ($4::text IS NULL OR insuplc_admdvs = $4)
       AND ($5::text IS NULL OR setlinfo->>'insutype' = $5)
       AND ($6::text IS NULL OR setlinfo->>'clr_type' = $6)
     ORDER BY setl_id
"""


async def held(
    pool: asyncpg.Pool,
    *,
    fixmedins_code: str,
    begins: date,
    ends: date,
    insuplc_admdvs: str | None,
    insutype: str | None,
    clr_type: str | None,
) -> list[dict[str, Any]]:
    """The institution's settlements and refunds (mirrors) on the business days of the period."""
    rows = await pool.fetch(_HELD, fixmedins_code, begins, ends, insuplc_admdvs, insutype, clr_type)
    return [dict(r) for r in rows]


async def keep_file(
    pool: asyncpg.Pool, *, fixmedins_code: str, kind: str, filename: str, content: bytes
) -> str:
    """Keep a file for the institution; its query number (文件查询号)."""
    number = uuid.uuid4().hex
    await pool.execute(
        """INSERT INTO statement_file (file_qury_no, fixmedins_code, kind, filename, content,
                                       created_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        number,
        fixmedins_code,
        kind,
        filename,
        content,
        clock.now(),
    )
    return number


async def file_of(
    pool: asyncpg.Pool, file_qury_no: str, fixmedins_code: str
) -> asyncpg.Record | None:
    """The institution's file under that number (another's is as good as absent)."""
    return await pool.fetchrow(
        "SELECT * FROM statement_file WHERE file_qury_no = $1 AND fixmedins_code = $2",
        file_qury_no,
        fixmedins_code,
    )
