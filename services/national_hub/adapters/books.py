"""The books' store: bookings written in the journal's transaction (plain asyncpg, grouped like
the log's rows), and the reads the clearing, the prepayment gauges and the reconciliation use.

The only writer of ``book_entry`` rows is ``book``; ``cleared_month`` is set only by the
clearing (``services.national_hub.service_layer.books``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from services.national_hub.domain.books import AMOUNTS, Booking, EntryKind, Void, clearing_party
from shared import clock

log = logging.getLogger(__name__)

_COLUMNS = (
    ("book_id", "text"),
    ("setl_id", "text"),
    ("kind", "text"),
    ("day", "date"),
    ("mdtrtarea_admvs", "text"),
    ("insuplc_admdvs", "text"),
    ("payer", "text"),
    ("payee", "text"),
    ("route", "text"),
    ("fixmedins_code", "text"),
    ("psn_no", "text"),
    ("mdtrt_id", "text"),
    ("msgid", "text"),
    ("infno", "text"),
    ("insutype", "text"),
    ("clr_type", "text"),
    ("init_setl_id", "text"),
    *((name, "numeric") for name in AMOUNTS),
    ("booked_at", "timestamptz"),
)
_BOOK = f"""
    INSERT INTO book_entry ({", ".join(name for name, _ in _COLUMNS)})
    SELECT * FROM unnest({", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_COLUMNS, 1))})
    ON CONFLICT (book_id) DO NOTHING
    RETURNING book_id
"""


def _row(b: Booking) -> tuple[Any, ...]:
    party = clearing_party(b.mdtrtarea_admvs, b.insuplc_admdvs)
    return (
        b.book_id,
        b.setl_id,
        b.kind.value,
        b.day,
        b.mdtrtarea_admvs,
        b.insuplc_admdvs,
        party.payer if party else None,
        party.payee if party else None,
        party.route if party else None,
        b.fixmedins_code,
        b.psn_no,
        b.mdtrt_id,
        b.msgid,
        b.infno,
        b.insutype,
        b.clr_type,
        b.init_setl_id,
        *b.amounts,
        clock.now(),
    )


async def book(conn: asyncpg.Connection, bookings: Sequence[Booking | Void]) -> int:
    """Book what is not booked yet (settlements and mirrors first, then voids of mirrors, so a
    batch holding a cancel and its 2601 books both); the number of new entries."""
    entries = [_row(b) for b in bookings if isinstance(b, Booking)]
    voids = [b for b in bookings if isinstance(b, Void)]
    refunded = sorted({b.init_setl_id for b in bookings if isinstance(b, Booking)
                       and b.kind is EntryKind.CANCEL and b.init_setl_id})  # fmt: skip
    for setl_id in refunded:  # as the supervision's deductions do, in one order: no deadlock
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('deduct:' || $1::text))", setl_id)
    new = 0
    if entries:
        columns = [list(values) for values in zip(*entries, strict=True)]
        booked = [r["book_id"] for r in await conn.fetch(_BOOK, *columns)]
        new += len(booked)
        if refunded and booked:
            await conn.execute(_UNDEDUCT, booked, clock.now())
    if voids:
        done = await conn.fetch(
            _VOID_SQL,
            [v.setl_id for v in voids],
            [v.msgid for v in voids],
            clock.now(),
            [v.omsgid for v in voids],
            [v.mdtrtarea_admvs for v in voids],
            [v.insuplc_admdvs for v in voids],
        )
        new += len(done)
        if done:
            await conn.execute(_REDEDUCT, [r["book_id"] for r in done], clock.now())
        if len(done) < len(voids):
            log.info("books: %d void(s) booked before, or of no mirror", len(voids) - len(done))
    return new


async def booked_ids(conn: asyncpg.Connection, book_ids: Sequence[str]) -> set[str]:
    """Which of these entries the books hold."""
    if not book_ids:
        return set()
    rows = await conn.fetch(
        "SELECT book_id FROM book_entry WHERE book_id = ANY($1::text[])", sorted(set(book_ids))
    )
    return {r["book_id"] for r in rows}


_VOID_SQL = f"""
    INSERT INTO book_entry ({", ".join(name for name, _ in _COLUMNS)})
    SELECT m.setl_id || '/void', m.setl_id, 'void', m.day, m.mdtrtarea_admvs, m.insuplc_admdvs,
           m.payer, m.payee, m.route, m.fixmedins_code, m.psn_no, m.mdtrt_id, v.msgid, '2601',
           m.insutype, m.clr_type, m.init_setl_id, {", ".join(f"-m.{name}" for name in AMOUNTS)},
           $3
      FROM unnest($1::text[], $2::text[], $4::text[], $5::text[], $6::text[])
           AS v(setl_id, msgid, omsgid, mdtrtarea_admvs, insuplc_admdvs)
      JOIN book_entry m ON m.book_id = v.setl_id AND m.kind = 'cancel' AND m.msgid = v.omsgid
                       AND m.mdtrtarea_admvs = v.mdtrtarea_admvs
                       AND m.insuplc_admdvs = v.insuplc_admdvs
    ON CONFLICT (book_id) DO NOTHING
    RETURNING book_id
"""
"""The void takes the mirror's day — the day every side filed the mirror under — and its
amounts negated; only the mirror of the cancel the 2601 names, between the same two regions (a
region cannot void another's refund); a mirror the books do not hold has nothing to void."""


_DEDUCTION_COLUMNS = ", ".join(name for name, _ in _COLUMNS)

_UNDEDUCT = f"""
    INSERT INTO book_entry ({_DEDUCTION_COLUMNS})
    SELECT m.setl_id || '/' || split_part(d.book_id, '/', 2), d.setl_id, 'deduction',
           greatest(m.day, d.day),
           d.mdtrtarea_admvs, d.insuplc_admdvs, d.payer, d.payee, d.route, d.fixmedins_code,
           d.psn_no, d.mdtrt_id, m.msgid, m.infno, d.insutype, d.clr_type, d.init_setl_id,
           {", ".join(f"-d.{name}" for name in AMOUNTS)}, $2
      FROM book_entry m
      JOIN book_entry d ON d.book_id IN (m.init_setl_id || '/xc', m.init_setl_id || '/audit')
                       AND d.kind = 'deduction'
     WHERE m.book_id = ANY($1::text[]) AND m.kind = 'cancel'
    ON CONFLICT (book_id) DO NOTHING
"""
"""A cancel mirror ``m`` returns everything the funds paid; deductions already returned part of
it (第五十四条), so each is undone beside the mirror (``<mirror>/xc``, ``<mirror>/audit``, on the
mirror's day, or the deduction's when that is later: never cleared before what it undoes): the
settlement's entries then net to nothing, never to less."""

_REDEDUCT = f"""
    INSERT INTO book_entry ({_DEDUCTION_COLUMNS})
    SELECT r.book_id || '/v', r.setl_id, 'deduction', r.day, r.mdtrtarea_admvs, r.insuplc_admdvs,
           r.payer, r.payee, r.route, r.fixmedins_code, r.psn_no, r.mdtrt_id, r.msgid, r.infno,
           r.insutype, r.clr_type, r.init_setl_id,
           {", ".join(f"-r.{name}" for name in AMOUNTS)}, $2
      FROM unnest($1::text[]) AS v(book_id)
      JOIN book_entry r ON r.kind = 'deduction'
                       AND r.book_id IN (split_part(v.book_id, '/', 1) || '/xc',
                                         split_part(v.book_id, '/', 1) || '/audit')
    ON CONFLICT (book_id) DO NOTHING
"""
"""A mirror voided by its 2601 (``<mirror>/void``) stands the settlement again, and with it the
deductions the mirror had undone: each undoing is negated in turn (``<mirror>/xc/v``)."""


async def entries_of_day(pool: asyncpg.Pool, day: date) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT * FROM book_entry WHERE day = $1 ORDER BY book_id", day)
    return [dict(r) for r in rows]


async def held_on(pool: asyncpg.Pool, day: date) -> list[dict[str, Any]]:
    """The books' net per settlement of ``day``: a mirror and its void net to nothing and are
    left out (the regions' ledgers no longer hold the mirror either)."""
    rows = await pool.fetch(
        f"""
        SELECT setl_id, min(msgid) FILTER (WHERE kind <> 'void') AS msgid,
               min(mdtrtarea_admvs) AS mdtrtarea_admvs, min(insuplc_admdvs) AS insuplc_admdvs,
               {", ".join(f"sum({name}) AS {name}" for name in AMOUNTS)}
          FROM book_entry
         WHERE day = $1 AND kind <> 'deduction'
         GROUP BY setl_id
        HAVING bool_and(kind <> 'void')
         ORDER BY setl_id
        """,
        day,
    )
    return [dict(r) for r in rows]


async def find(
    pool: asyncpg.Pool,
    *,
    day: date | None = None,
    setl_id: str | None = None,
    msgid: str | None = None,
    month: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    clauses: list[str] = []
    args: list[object] = []
    for column, value in (("day", day), ("setl_id", setl_id), ("msgid", msgid)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if month is not None:
        args.append(month)
        clauses.append(f"to_char(day, 'YYYYMM') = ${len(args)}")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    args.append(limit)
    rows = await pool.fetch(
        f"SELECT * FROM book_entry {where} ORDER BY day, book_id LIMIT ${len(args)}", *args
    )
    return [dict(r) for r in rows]


# ---------------------------------------------------------------- clearing

_MARKED = "(to_char(e.day, 'YYYYMM') < $1 OR coalesce(o.cleared_month < $1, false)) AS marked"
"""Of an entry ``e`` in month $1's clearing (``o``: the settlement it undoes): marked when it
belongs to an earlier month (it came late), or undoes a settlement an earlier clearing already
took (第五十条)."""

_CLEARED = f"""
    SELECT e.payer, e.payee, e.route, e.fund_pay_sumamt, e.acct_pay,
           {_MARKED}
      FROM book_entry e
      LEFT JOIN book_entry o ON o.book_id = e.init_setl_id
     WHERE e.cleared_month = $1
"""
"""A month's items, each marked or not."""


async def clearing_items(conn: asyncpg.Pool | asyncpg.Connection, month: str) -> list[Any]:
    return list(await conn.fetch(_CLEARED, month))


async def clearing(conn: asyncpg.Pool | asyncpg.Connection, month: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM clearing WHERE month = $1", month)


async def latest_cleared(conn: asyncpg.Pool | asyncpg.Connection) -> str | None:
    month: str | None = await conn.fetchval("SELECT max(month) FROM clearing")
    return month


async def uncleared_months(conn: asyncpg.Pool | asyncpg.Connection) -> set[str]:
    """Months holding entries no clearing took yet (care in one's own pool is never cleared)."""
    rows = await conn.fetch(
        """SELECT DISTINCT to_char(day, 'YYYYMM') AS month FROM book_entry
            WHERE cleared_month IS NULL AND payer IS NOT NULL"""
    )
    return {r["month"] for r in rows}


async def take_into(conn: asyncpg.Connection, month: str, last_day: date) -> int:
    """Every uncleared entry up to the month's last day goes into ``month``'s clearing."""
    status = await conn.execute(
        """UPDATE book_entry SET cleared_month = $1
            WHERE cleared_month IS NULL AND payer IS NOT NULL AND day <= $2""",
        month,
        last_day,
    )
    return int(status.split()[-1])


async def confirmations(
    conn: asyncpg.Pool | asyncpg.Connection, month: str
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM clearing_confirmation WHERE month = $1 ORDER BY side, party", month
    )
    return [dict(r) for r in rows]


# ---------------------------------------------------------------- prepayment

_USAGE = """
    SELECT payer AS province, sum(fund_pay_sumamt + acct_pay) AS usage
      FROM book_entry
     WHERE cleared_month IS NULL AND payer IS NOT NULL AND route = 'cross'
     GROUP BY payer
"""
_SPENT = """
    SELECT payer AS province, sum(fund_pay_sumamt + acct_pay) AS spent
      FROM book_entry
     WHERE route = 'cross' AND day BETWEEN $1 AND $2
     GROUP BY payer
"""


async def prepayment_usage(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, Any]:
    """Per insured province: cross-province fund and account amounts settled, not yet cleared."""
    return {r["province"]: r["usage"] for r in await conn.fetch(_USAGE)}


async def spent_in(conn: asyncpg.Pool | asyncpg.Connection, year: int) -> dict[str, Any]:
    rows = await conn.fetch(_SPENT, date(year, 1, 1), date(year, 12, 31))
    return {r["province"]: r["spent"] for r in rows}


async def last_levels(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, str]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (province) province, level FROM prepayment_event
            ORDER BY province, id DESC"""
    )
    return {r["province"]: r["level"] for r in rows}


async def prepayment_events(
    conn: asyncpg.Pool | asyncpg.Connection, limit: int = 500
) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM prepayment_event ORDER BY id LIMIT $1", limit)
    return [dict(r) for r in rows]


async def set_quotas(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, Any]:
    return {r["province"]: r["quota"] for r in await conn.fetch("SELECT * FROM prepayment_quota")}


async def set_quota(pool: asyncpg.Pool, province: str, quota: Any) -> None:
    await pool.execute(
        """INSERT INTO prepayment_quota (province, quota, set_at) VALUES ($1, $2, $3)
           ON CONFLICT (province) DO UPDATE SET quota = EXCLUDED.quota, set_at = EXCLUDED.set_at""",
        province,
        quota,
        clock.now(),
    )


async def note_day(
    conn: asyncpg.Connection, province: str, day: date, usage: Any, quota: Any, ratio: Any
) -> None:
    """The day's gauge, as it stands now (the day's last check wins)."""
    await conn.execute(
        """INSERT INTO prepayment_day (province, day, usage, quota, ratio)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (province, day) DO UPDATE
              SET usage = EXCLUDED.usage, quota = EXCLUDED.quota, ratio = EXCLUDED.ratio""",
        province,
        day,
        usage,
        quota,
        ratio,
    )


async def prepayment_days(
    conn: asyncpg.Pool | asyncpg.Connection, begins: date, ends: date
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT * FROM prepayment_day WHERE day BETWEEN $1 AND $2 ORDER BY day, province""",
        begins,
        ends,
    )
    return [dict(r) for r in rows]


_INSTITUTION = f"""
    SELECT e.setl_id, e.kind, e.day, e.psn_no, e.mdtrt_id, e.msgid, e.insuplc_admdvs, e.payer,
           e.payee, e.medfee_sumamt, e.fund_pay_sumamt, e.acct_pay,
           {_MARKED}
      FROM book_entry e
      LEFT JOIN book_entry o ON o.book_id = e.init_setl_id
     WHERE e.cleared_month = $1 AND e.fixmedins_code = $2
     ORDER BY e.day, e.book_id
"""


async def institution_items(
    conn: asyncpg.Pool | asyncpg.Connection, month: str, fixmedins_code: str
) -> list[dict[str, Any]]:
    """An institution's rows in a month's clearing (3260), marked as the month's lines are."""
    return [dict(r) for r in await conn.fetch(_INSTITUTION, month, fixmedins_code)]
