"""The monitoring store: a month's figures read from the ledger (settlements standing, their fee
lines' three fees), and the warnings raised, each once (plain asyncpg, as the ledger's reads)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from services.treating_region.adapters.ledger import BUSINESS_DAY
from services.treating_region.domain.monitoring import THREE_FEES, Figures, Warning
from shared import clock

_FIGURES = f"""
    WITH s AS (
        SELECT s.setl_id, s.fixmedins_code, s.insuplc_admdvs, s.mdtrtarea_admvs,
               s.medfee_sumamt, s.fund_pay_sumamt
          FROM settlement s
         WHERE s.refd_setl_flag = '0' AND to_char({BUSINESS_DAY}, 'YYYYMM') = $1
           AND NOT EXISTS (SELECT 1 FROM settlement c
                            WHERE c.init_setl_id = s.setl_id AND c.refd_setl_flag = '1')
    ), f AS (
        SELECT l.setl_id,
               {
    ", ".join(
        f"coalesce(sum(l.det_item_fee_sumamt) FILTER (WHERE l.med_chrgitm_type = "
        f"ANY(ARRAY{list(codes)})), 0) AS {name}"
        for name, codes in THREE_FEES.items()
    )
}
          FROM fee_line l JOIN s USING (setl_id)
         WHERE l.status = 'active'
         GROUP BY l.setl_id
    )
    SELECT s.fixmedins_code, s.insuplc_admdvs, s.mdtrtarea_admvs, count(*) AS visits,
           sum(s.medfee_sumamt) AS medfee, sum(s.fund_pay_sumamt) AS fund,
           {", ".join(f"coalesce(sum(f.{name}), 0) AS {name}" for name in THREE_FEES)}
      FROM s LEFT JOIN f USING (setl_id)
     GROUP BY 1, 2, 3
"""
"""Settlements of the month that stand (a cancel or a 2601 mirror takes one out), per
institution and region pair, with the three fees of their fee lines."""


async def figures(pool: asyncpg.Pool, month: str) -> dict[tuple[str, str, str], Figures]:
    rows = await pool.fetch(_FIGURES, month)
    return {
        (r["fixmedins_code"], r["insuplc_admdvs"], r["mdtrtarea_admvs"]): Figures(
            int(r["visits"]),
            Decimal(r["medfee"]),
            Decimal(r["fund"]),
            Decimal(r["drugs"]),
            Decimal(r["materials"]),
            Decimal(r["exams"]),
        )
        for r in rows
    }


async def record(pool: asyncpg.Pool, month: str, found: list[Warning]) -> list[dict[str, Any]]:
    """The warnings not raised before (one per month, subject and indicator)."""
    if not found:
        return []
    rows = await pool.fetch(
        """
        INSERT INTO monitoring_warning (month, scope, subject, indicator, value, threshold,
                                        message, raised_at)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[],
                                 $6::numeric[], $7::text[], $8::timestamptz[])
        ON CONFLICT (month, scope, subject, indicator) DO NOTHING
        RETURNING *
        """,
        month,
        [w.subject.scope for w in found],
        [w.subject.key for w in found],
        [w.indicator for w in found],
        [w.value for w in found],
        [w.threshold for w in found],
        [w.message for w in found],
        [clock.now()] * len(found),
    )
    return [dict(r) for r in rows]


async def raised(pool: asyncpg.Pool, month: str | None = None) -> list[dict[str, Any]]:
    if month is None:
        rows = await pool.fetch("SELECT * FROM monitoring_warning ORDER BY month, id")
    else:
        rows = await pool.fetch(
            "SELECT * FROM monitoring_warning WHERE month = $1 ORDER BY id", month
        )
    return [dict(r) for r in rows]
