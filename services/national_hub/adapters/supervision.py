"""The supervision store (plain asyncpg, as the books'): co-investigation requests and batches,
audit deductions, and the deductions booked into ``book_entry`` (kind ``deduction``)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from services.national_hub.domain.books import AMOUNTS, FUNDS
from shared import clock

Conn: TypeAlias = asyncpg.Pool | asyncpg.Connection


async def settlement(conn: Conn, setl_id: str) -> dict[str, Any] | None:
    """The booked settlement ``setl_id`` with ``cancelled`` (a cancel mirror of it stands, not
    voided), ``deducted`` (what deductions hold of its funds now, net of those a cancel undid)
    and ``left_<fund>`` (what each fund paid less what deductions took from it)."""
    row = await conn.fetchrow(
        f"""
        SELECT e.*,
               EXISTS (SELECT 1 FROM book_entry c
                        WHERE c.init_setl_id = e.setl_id AND c.kind = 'cancel'
                          AND NOT EXISTS (SELECT 1 FROM book_entry v
                                           WHERE v.book_id = c.setl_id || '/void'))
                 AS cancelled,
               -coalesce(d.fund_pay_sumamt, 0) AS deducted,
               {", ".join(f"e.{f} + coalesce(d.{f}, 0) AS left_{f}" for f in FUNDS)}
          FROM book_entry e
          LEFT JOIN LATERAL (
               SELECT sum(fund_pay_sumamt) AS fund_pay_sumamt,
                      {", ".join(f"sum({f}) AS {f}" for f in FUNDS)}
                 FROM book_entry WHERE setl_id = e.setl_id AND kind = 'deduction'
          ) d ON true
         WHERE e.book_id = $1 AND e.kind = 'settlement'
        """,
        setl_id,
    )
    return dict(row) if row else None


async def lock_settlement(conn: asyncpg.Connection, setl_id: str) -> None:
    """One deduction of a settlement at a time (a co-investigation answer, an audit deduction,
    a decision), so that together they never take more than its funds paid."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('deduct:' || $1::text))", setl_id)


_DEDUCT = f"""
    INSERT INTO book_entry (book_id, setl_id, kind, day, mdtrtarea_admvs, insuplc_admdvs, payer,
                            payee, route, fixmedins_code, psn_no, mdtrt_id, msgid, infno,
                            insutype, clr_type, init_setl_id, {", ".join(AMOUNTS)}, booked_at)
    SELECT $1, s.setl_id, 'deduction', $2, s.mdtrtarea_admvs, s.insuplc_admdvs, s.payer, s.payee,
           s.route, s.fixmedins_code, s.psn_no, s.mdtrt_id, s.msgid, s.infno, s.insutype,
           s.clr_type, s.setl_id, {", ".join(f"${i}" for i in range(5, 5 + len(AMOUNTS)))}, $3
      FROM book_entry s
     WHERE s.book_id = $4 AND s.kind = 'settlement'
    ON CONFLICT (book_id) DO NOTHING
"""
"""A deduction on the settlement's own parties, institution and person: ``$1`` its book id,
``$2`` its day, ``$3`` the booking time, ``$4`` the settlement, then its amounts."""


async def book_deduction(
    conn: asyncpg.Connection,
    book_id: str,
    setl_id: str,
    day: date,
    amounts: tuple[Decimal, ...],
) -> None:
    """The deduction booked once under ``book_id``."""
    await conn.execute(_DEDUCT, book_id, day, clock.now(), setl_id, *amounts)


# ---------------------------------------------------------------- co-investigation


def _json(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    for key in ("request", "problems"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


async def request_of(conn: Conn, request_id: int) -> dict[str, Any] | None:
    return _json(await conn.fetchrow("SELECT * FROM coinvestigation WHERE id = $1", request_id))


async def request_for(conn: Conn, setl_id: str) -> dict[str, Any] | None:
    return _json(await conn.fetchrow("SELECT * FROM coinvestigation WHERE setl_id = $1", setl_id))


async def add_request(conn: asyncpg.Connection, values: dict[str, Any]) -> int | None:
    """The new request's id, or None when the settlement already has one."""
    values = {**values, "request": json.dumps(values["request"], ensure_ascii=False),
              "problems": json.dumps(values["problems"], ensure_ascii=False),
              "updated_at": clock.now()}  # fmt: skip
    names = list(values)
    found: int | None = await conn.fetchval(
        f"""INSERT INTO coinvestigation ({", ".join(names)})
            VALUES ({", ".join(f"${i}" for i in range(1, len(names) + 1))})
            ON CONFLICT (setl_id) DO NOTHING RETURNING id""",
        *values.values(),
    )
    return found


async def update_request(conn: asyncpg.Connection, request_id: int, **values: Any) -> None:
    for key in ("request", "problems"):
        if key in values:
            values[key] = json.dumps(values[key], ensure_ascii=False)
    values["updated_at"] = clock.now()
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, 2))
    await conn.execute(
        f"UPDATE coinvestigation SET {sets} WHERE id = $1", request_id, *values.values()
    )


async def lock_request(conn: asyncpg.Connection, request_id: int) -> dict[str, Any] | None:
    return _json(
        await conn.fetchrow("SELECT * FROM coinvestigation WHERE id = $1 FOR UPDATE", request_id)
    )


async def requests(
    conn: Conn,
    *,
    period: str | None = None,
    insuplc_admdvs: str | None = None,
    mdtrtarea_admvs: str | None = None,
    state: str | None = None,
    limit: int | None = 500,
) -> list[dict[str, Any]]:
    clauses: list[str] = []
    args: list[object] = []
    for column, value in (
        ("period", period),
        ("insuplc_admdvs", insuplc_admdvs),
        ("mdtrtarea_admvs", mdtrtarea_admvs),
        ("state", state),
    ):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    args.append(limit)
    rows = await conn.fetch(
        f"SELECT * FROM coinvestigation {where} ORDER BY id LIMIT ${len(args)}::bigint", *args
    )
    return [r for r in (_json(row) for row in rows) if r is not None]


async def batch(conn: Conn, period: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM coinvestigation_batch WHERE period = $1", period)
    return dict(row) if row else None


async def batches(conn: Conn) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM coinvestigation_batch ORDER BY period")
    return [dict(r) for r in rows]


async def unpublished_periods(conn: Conn) -> set[str]:
    rows = await conn.fetch(
        """SELECT DISTINCT period FROM coinvestigation c
            WHERE NOT EXISTS (SELECT 1 FROM coinvestigation_batch b WHERE b.period = c.period)"""
    )
    return {r["period"] for r in rows}


async def publish(conn: asyncpg.Connection, period: str) -> None:
    await conn.execute(
        """INSERT INTO coinvestigation_batch (period, published_at, requests)
           SELECT $1::text, $2, count(*) FROM coinvestigation WHERE period = $1::text
           ON CONFLICT (period) DO NOTHING""",
        period,
        clock.now(),
    )


async def overdue(conn: Conn, today: date) -> list[dict[str, Any]]:
    """Requests past a deadline, locked (one being answered, completed or confirmed right now
    is left to the next pass): an unanswered intra-region one of a published batch at its
    answer deadline,
    an incomplete one past its five days, an answer left unconfirmed past its five working
    days."""
    rows = await conn.fetch(
        """SELECT c.* FROM coinvestigation c
            WHERE (c.state = 'pending' AND c.route = 'intra' AND c.answer_due <= $1
                   AND EXISTS (SELECT 1 FROM coinvestigation_batch b WHERE b.period = c.period))
               OR (c.state = 'incomplete' AND c.completion_due < $1)
               OR (c.state = 'answered' AND c.confirmation_due < $1)
            ORDER BY c.id
              FOR UPDATE SKIP LOCKED""",
        today,
    )
    return [r for r in (_json(row) for row in rows) if r is not None]


# ---------------------------------------------------------------- audit deductions


async def audit_of(conn: Conn, setl_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM audit_deduction WHERE setl_id = $1", setl_id)
    return dict(row) if row else None


async def audit_by_id(conn: Conn, deduction_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM audit_deduction WHERE id = $1", deduction_id)
    return dict(row) if row else None


async def add_audit(conn: asyncpg.Connection, values: dict[str, Any]) -> int:
    names = list(values)
    found: int = await conn.fetchval(
        f"""INSERT INTO audit_deduction ({", ".join(names)})
            VALUES ({", ".join(f"${i}" for i in range(1, len(names) + 1))}) RETURNING id""",
        *values.values(),
    )
    return found


async def decide_audit(
    conn: asyncpg.Connection, deduction_id: int, state: str, on: date, book_id: str | None
) -> None:
    await conn.execute(
        "UPDATE audit_deduction SET state = $2, decided_on = $3, book_id = $4 WHERE id = $1",
        deduction_id,
        state,
        on,
        book_id,
    )


async def audits(conn: Conn, limit: int = 500) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM audit_deduction ORDER BY id LIMIT $1", limit)
    return [dict(r) for r in rows]


# ---------------------------------------------------------------- two-way benefits


async def persons_settled(conn: Conn, begins: date, ends: date) -> list[dict[str, Any]]:
    """Settlements of the window that stand (not cancelled, or their cancel voided), of persons
    who settled both in their own pool and elsewhere in it."""
    rows = await conn.fetch(
        """
        WITH standing AS (
            SELECT e.psn_no, e.insuplc_admdvs, e.mdtrtarea_admvs, e.day, e.setl_id,
                   e.fixmedins_code
              FROM book_entry e
             WHERE e.kind = 'settlement' AND e.day BETWEEN $1 AND $2
               AND NOT EXISTS (
                   SELECT 1 FROM book_entry c
                    WHERE c.init_setl_id = e.setl_id AND c.kind = 'cancel'
                      AND NOT EXISTS (SELECT 1 FROM book_entry v
                                       WHERE v.book_id = c.setl_id || '/void'))
        ), both_places AS (
            SELECT psn_no FROM standing
             GROUP BY psn_no
            HAVING bool_or(mdtrtarea_admvs = insuplc_admdvs)
               AND bool_or(mdtrtarea_admvs <> insuplc_admdvs)
        )
        SELECT s.* FROM standing s JOIN both_places USING (psn_no)
         ORDER BY s.psn_no, s.day, s.setl_id
        """,
        begins,
        ends,
    )
    return [dict(r) for r in rows]
