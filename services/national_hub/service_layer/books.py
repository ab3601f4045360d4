"""What the hub does with its books (design §8): the daily three-way reconciliation, the monthly
clearing and its confirmations, the prepayment gauges and their warnings (sent to the regions
through the outbox), and the keeper that runs all three on the business clock.

The calculations are the domain's (``domain/reconciliation``, ``clearing``, ``prepayment``); this
module fetches, locks and stores around them. Each clearing is generated once, in one
transaction that takes its entries and records it, so asking again answers the same.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import asyncpg
import httpx
from pydantic import ValidationError

from services.national_hub.adapters import books, held_answers, journal
from services.national_hub.domain import clearing, prepayment, reconciliation
from services.national_hub.domain.clearing import Statement
from services.national_hub.domain.prepayment import Gauge, Level
from services.national_hub.domain.reconciliation import DayReport, Held
from services.national_hub.service_layer import supervision
from shared import clock
from shared.envelope import MessageKind, RelayEnvelope
from shared.errors import E6002, E6003, E6004, E6005, E6008, RelayError
from shared.messaging import outbox, topology
from shared.messaging.brokers import PLATFORM, Brokers
from shared.operator_access import operator_headers
from shared.regions import POOLS, province_of
from shared.statement import DayStatement, StatementRow
from shared.web import StatusError

log = logging.getLogger(__name__)

_LOCK = 0x626F6F6B  # "book": one clearing or gauge check at a time, across hub processes


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the hub reads the regions' daily statements."""

    treating_url: str
    insured_url: str
    operator_token: str


# ---------------------------------------------------------------- reconciliation


async def _statement(http: httpx.AsyncClient, url: str, day: date, token: str) -> DayStatement:
    try:
        response = await http.get(
            f"{url}/admin/ledger/{day.isoformat()}", headers=operator_headers(token)
        )
        response.raise_for_status()
        return DayStatement.model_validate_json(response.content)
    except (httpx.HTTPError, ValidationError) as exc:
        raise StatusError(E6002, detail=f"{url}：{type(exc).__name__}", status_code=503) from exc


def _stated(row: StatementRow) -> Held:
    return Held(
        row.setl_id, row.msgid, row.mdtrtarea_admvs, row.insuplc_admdvs, row.medfee_sumamt,
        row.fund_pay_sumamt, row.acct_pay, row.funds(),
    )  # fmt: skip


def _booked(row: dict[str, Any]) -> Held:
    return Held(
        row["setl_id"], row["msgid"], row["mdtrtarea_admvs"], row["insuplc_admdvs"],
        row["medfee_sumamt"], row["fund_pay_sumamt"], row["acct_pay"],
        tuple(row[name] for name in reconciliation.FUNDS),
    )  # fmt: skip


async def reconcile_day(
    pool: asyncpg.Pool, http: httpx.AsyncClient, sources: Sources, day: date
) -> DayReport:
    """The day's report: the two regions' statements fetched, the books read, compared."""
    treating, insured = await asyncio.gather(
        _statement(http, sources.treating_url, day, sources.operator_token),
        _statement(http, sources.insured_url, day, sources.operator_token),
    )
    # the treating region's statement is its word that it sent these requests and what they
    # settled: an answer the journal holds without its request's copy is booked on it, where
    # the statement lists exactly what the answer books, before the books are read
    listed = {r.setl_id: _stated(r) for r in treating.settlements}
    refunds = frozenset(r.setl_id for r in treating.settlements if r.refd_setl_flag == "1")
    repaired = await journal.repair(
        pool,
        [(r.msgid, r.insuplc_admdvs) for r in treating.settlements],
        partial(reconciliation.vouches, day, listed, refunds),
    )
    hub = await books.held_on(pool, day)
    report = reconciliation.reconcile(
        day,
        [_stated(r) for r in treating.settlements],
        [_booked(r) for r in hub],
        [_stated(r) for r in insured.settlements],
        frozenset(treating.open_msgids),
    )
    held = await held_answers.unreleased(pool)
    return replace(report, repaired=tuple(repaired), held=held)


def report_json(report: DayReport) -> dict[str, Any]:
    def totals(t: reconciliation.Totals) -> dict[str, Any]:
        return {
            "count": t.count,
            "medfee_sumamt": str(t.medfee_sumamt),
            "fund_pay_sumamt": str(t.fund_pay_sumamt),
            "acct_pay": str(t.acct_pay),
        }

    return {
        "day": report.day.isoformat(),
        "balanced": report.balanced,
        "repaired": list(report.repaired),
        "held_answers": report.held,
        "pairs": [
            {
                "mdtrtarea_admvs": p.mdtrtarea_admvs,
                "insuplc_admdvs": p.insuplc_admdvs,
                "balanced": p.balanced,
                "treating": totals(p.treating),
                "hub": totals(p.hub),
                "insured": totals(p.insured),
            }
            for p in report.pairs
        ],
        "breaks": [
            {
                "setl_id": b.setl_id,
                "msgid": b.msgid,
                "category": b.category.value,
                "detail": b.detail,
                "resolution": b.resolution,
            }
            for b in report.breaks
        ],
    }


# ---------------------------------------------------------------- clearing


async def generate(pool: asyncpg.Pool, month: str, today: date) -> Statement:
    """Month ``month``'s clearing: generated once (its entries taken and the month recorded in
    one transaction); asked again, the same statement.

    Raises:
        RelayError: E6003 when the month is not over, or an earlier month with entries has not
            been cleared (months clear in order: its entries are not this month's to take).
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        if await books.clearing(conn, month) is None:
            why = clearing.may_generate(month, today)
            if why:
                raise RelayError(E6003, detail=why)
            latest = await books.latest_cleared(conn)
            if latest is not None and latest > month:
                # its late entries go into the next month to be cleared, marked (第五十条)
                raise RelayError(E6003, detail=f"{latest} 已清分，{month} 不能在其后补做清分")
            earlier = sorted(m for m in await books.uncleared_months(conn) if m < month)
            pending = [m for m in earlier if await books.clearing(conn, m) is None]
            if pending:
                raise RelayError(E6003, detail=f"{pending[0]} 尚未清分：请按月份顺序清分")
            taken = await books.take_into(conn, month, clearing.last_day(month))
            await conn.execute(
                "INSERT INTO clearing (month, generated_at, entries) VALUES ($1, $2, $3)",
                month,
                clock.now(),
                taken,
            )
            log.info("clearing %s generated: %d entries", month, taken)
    return await statement_of(pool, month)


async def statement_of(pool: asyncpg.Pool, month: str) -> Statement:
    if await books.clearing(pool, month) is None:
        raise RelayError(E6004, detail=month)
    items = [
        clearing.Item(r["payer"], r["payee"], r["route"], r["fund_pay_sumamt"], r["acct_pay"],
                      r["marked"])
        for r in await books.clearing_items(pool, month)
    ]  # fmt: skip
    return clearing.statement(month, items)


def month_named(text: str) -> str:
    """A clearing month as an operator writes it (``202601``, ``2026-01``); E6003 otherwise."""
    try:
        return clearing.parse_month(text)
    except ValueError as exc:
        raise RelayError(E6003, detail=f"清分月份有误：{exc}") from None


SIDES = ("treating", "insured")


async def confirm(pool: asyncpg.Pool, month: str, party: str, side: str) -> dict[str, Any]:
    """A side's confirmation of its lines in the month (the treating side of what it receives,
    the insured side of what it pays); confirming again answers the first confirmation."""
    found = await statement_of(pool, month)
    lines = [ln for ln in found.lines if (ln.payee if side == "treating" else ln.payer) == party]
    if side not in SIDES or not lines:
        raise RelayError(E6005, detail=f"确认方 {party}（{side}）在 {month} 清分中没有明细")
    row = await pool.fetchrow(
        """INSERT INTO clearing_confirmation (month, party, side, confirmed_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (month, party, side) DO UPDATE SET month = EXCLUDED.month
           RETURNING confirmed_at, (xmax = 0) AS new""",
        month,
        party,
        side,
        clock.now(),
    )
    assert row is not None
    return {
        "month": month,
        "party": party,
        "side": side,
        "confirmed_at": row["confirmed_at"].isoformat(),
        "lines": len(lines),
        "amount": str(sum((ln.amount for ln in lines), Decimal("0.00"))),
        "repeated": not row["new"],
    }


async def institution_rows(pool: asyncpg.Pool, month: str, fixmedins_code: str) -> dict[str, Any]:
    """3260: the institution's rows in the month's clearing, their count and what they move."""
    if await books.clearing(pool, month) is None:
        raise RelayError(E6004, detail=month)
    rows = await books.institution_items(pool, month, fixmedins_code)
    confirmed = await pool.fetchrow(
        """SELECT confirmed_at FROM clearing_institution_confirmation
            WHERE month = $1 AND fixmedins_code = $2""",
        month,
        fixmedins_code,
    )
    return {
        "month": month,
        "fixmedins_code": fixmedins_code,
        "entries": len(rows),
        "amount": str(_moved(rows)),
        "confirmed_at": confirmed["confirmed_at"].isoformat() if confirmed else None,
        "rows": [
            {
                **{k: v for k, v in r.items() if k not in ("day", "marked")},
                "day": r["day"].isoformat(),
                "mark": "*" if r["marked"] else "",
                **{k: str(r[k]) for k in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")},
            }
            for r in rows
        ],
    }


def _moved(rows: list[dict[str, Any]]) -> Decimal:
    return sum((r["fund_pay_sumamt"] + r["acct_pay"] for r in rows), Decimal("0.00"))


async def confirm_institution(
    pool: asyncpg.Pool, month: str, fixmedins_code: str, entries: int, amount: Decimal
) -> dict[str, Any]:
    """3261: the institution confirms its rows, stating their count and amount; refused
    (E6008) when they are not what the clearing holds; a repeat answers the first."""
    found = await institution_rows(pool, month, fixmedins_code)
    held, moved = found["entries"], Decimal(found["amount"])
    if (entries, amount) != (held, moved):
        raise RelayError(
            E6008,
            detail=f"{month} 清算明细为 {held} 笔、{moved} 元，确认的是 {entries} 笔、{amount} 元",
        )
    row = await pool.fetchrow(
        """INSERT INTO clearing_institution_confirmation
               (month, fixmedins_code, entries, amount, confirmed_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (month, fixmedins_code) DO UPDATE SET month = EXCLUDED.month
           RETURNING confirmed_at, (xmax = 0) AS new""",
        month,
        fixmedins_code,
        entries,
        amount,
        clock.now(),
    )
    assert row is not None
    return {
        "month": month,
        "fixmedins_code": fixmedins_code,
        "entries": entries,
        "amount": str(amount),
        "confirmed_at": row["confirmed_at"].isoformat(),
        "repeated": not row["new"],
    }


def statement_json(found: Statement) -> dict[str, Any]:
    def line(ln: clearing.Line) -> dict[str, Any]:
        return {
            "payer": ln.payer,
            "payee": ln.payee,
            "route": ln.route,
            "marked": ln.marked,
            "mark": "*" if ln.marked else "",
            "entries": ln.entries,
            "fund_pay_sumamt": str(ln.fund_pay_sumamt),
            "acct_pay": str(ln.acct_pay),
            "amount": str(ln.amount),
        }

    return {
        "month": found.month,
        "entries": found.entries,
        "total": str(found.total),
        "lines": [line(ln) for ln in found.lines],
        "notices": [
            {
                "party": n.party,
                "pays": [line(ln) for ln in n.pays],
                "receives": [line(ln) for ln in n.receives],
                "net": str(n.net),
            }
            for n in found.notices
        ],
    }


async def overview(pool: asyncpg.Pool, today: date) -> dict[str, Any]:
    rows = await pool.fetch("SELECT * FROM clearing ORDER BY month")
    uncleared = await books.uncleared_months(pool)
    return {
        "today": today.isoformat(),
        "cleared": [
            {
                "month": r["month"],
                "generated_at": r["generated_at"].isoformat(),
                "entries": r["entries"],
            }
            for r in rows
        ],
        "uncleared_months": sorted(uncleared),
        "warnings": clearing.overdue(uncleared, today),
    }


# ---------------------------------------------------------------- prepayment


def provinces() -> list[str]:
    return sorted({province_of(p) for p in POOLS})


async def gauges(
    conn: asyncpg.Pool | asyncpg.Connection,
    today: date,
    *,
    configured: dict[str, Decimal],
    minimum: Decimal,
) -> list[Gauge]:
    usage = await books.prepayment_usage(conn)
    spent = await books.spent_in(conn, today.year - 1)
    configured = {**configured, **await books.set_quotas(conn)}  # the office's word wins
    return [
        Gauge(
            province,
            prepayment.quota_of(
                spent.get(province) or Decimal(0),
                configured=configured.get(province),
                minimum=minimum,
            ),
            usage.get(province) or Decimal("0.00"),
        )
        for province in provinces()
    ]


async def check_prepayment(
    pool: asyncpg.Pool, today: date, *, configured: dict[str, Decimal], minimum: Decimal
) -> list[prepayment.Warning]:
    """Raise the warnings whose level changed since the last one said (one at a time)."""
    raised = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        last = await books.last_levels(conn)
        for gauge in await gauges(conn, today, configured=configured, minimum=minimum):
            await books.note_day(conn, gauge.province, today, gauge.usage, gauge.quota, gauge.ratio)
            warning = prepayment.warning_for(gauge, Level(last.get(gauge.province, "normal")))
            if warning is None:
                continue
            raised_at = clock.now()
            event_id = await conn.fetchval(
                """INSERT INTO prepayment_event
                       (province, level, usage, quota, ratio, topup_requested, raised_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
                gauge.province,
                warning.level.value,
                gauge.usage,
                gauge.quota,
                gauge.ratio,
                warning.topup_requested,
                raised_at,
            )
            for envelope in warning_events(event_id, warning, raised_at):
                await outbox.owe(conn, envelope, topology.insured_key(envelope.insuplc_admdvs))
            log.warning(
                "prepayment %s: %s at %s%% of %s%s",
                gauge.province,
                warning.level.value,
                gauge.ratio * 100,
                gauge.quota,
                " — emergency top-up requested" if warning.topup_requested else "",
            )
            raised.append(warning)
    return raised


WARNING_INFNO = "PREPAY"
"""The event a region receives when its province's prepayment level changes."""
EVENT_LIFETIME = timedelta(days=1)


def warning_events(
    event_id: int, warning: prepayment.Warning, raised_at: datetime
) -> list[RelayEnvelope]:
    """The warning as an event to each pool of the province, sent by the platform (design §8:
    a region receives its warnings; the outbox sends them once the event is recorded)."""
    gauge = warning.gauge
    body = {
        "prepayment": {
            "event_id": event_id,
            "province": gauge.province,
            "level": warning.level.value,
            "usage": str(gauge.usage),
            "quota": str(gauge.quota),
            "ratio": str(gauge.ratio),
            "topup_requested": warning.topup_requested,
            "raised_at": raised_at.isoformat(),
        }
    }
    return [
        RelayEnvelope(
            msgid=f"PREPAY{event_id}-{pool}",
            infno=WARNING_INFNO,
            kind=MessageKind.EVENT,
            sender_admdvs=PLATFORM,
            mdtrtarea_admvs=PLATFORM,
            insuplc_admdvs=pool,
            deadline=datetime.now(UTC) + EVENT_LIFETIME,
            payload=body,
        )
        for pool in POOLS
        if province_of(pool) == gauge.province
    ]


RECONCILE_RETRY_S = 60.0
"""After a region's statement could not be read, the keeper's next try (real seconds)."""
RECONCILE_LIMIT_S = 20.0
"""The most a round of the keeper's reconciliation may take, whatever a region does."""
RECONCILE_DAYS_PER_ROUND = 7


class Keeper:
    """The hub's books on the business clock: the prepayment gauges checked, each month's
    clearing generated once its declaration closed (the 20th of the next month), and every
    business day reconciled once it is over — which books the answers the journal held without
    their request's copy (design §4, "How the books mend it") without waiting for anyone to ask."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        brokers: Brokers,
        *,
        interval_s: float,
        auto_clearing: bool,
        configured: dict[str, Decimal],
        minimum: Decimal,
        sources: Sources | None = None,
    ) -> None:
        self._pool = pool
        self._brokers = brokers
        self._interval_s = interval_s
        self._auto_clearing = auto_clearing
        self._configured = configured
        self._minimum = minimum
        self._sources = sources
        self._reconciled: date | None = None
        """The last day the keeper reconciled in turn (a process's own: after a restart it
        starts again from the day before yesterday; a repair twice books nothing twice)."""
        self._held_tried: dict[date, datetime] = {}
        """A day of held answers reconciled, with the latest of them it was reconciled for."""
        self._next_try = 0.0

    async def run_forever(self) -> None:
        while True:
            try:
                await self.once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("books keeper: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(self._interval_s)

    async def once(self) -> None:
        today = clock.today()
        if self._auto_clearing:
            latest = await books.latest_cleared(self._pool) or ""
            for month in sorted(await books.uncleared_months(self._pool)):
                # a late entry of a month already past goes into the next one to be cleared
                if month > latest and clearing.due_automatically(month, today):
                    await generate(self._pool, month, today)
        await check_prepayment(
            self._pool, today, configured=self._configured, minimum=self._minimum
        )
        await outbox.drain(self._pool, self._brokers)  # the warnings, to their regions
        await supervision.keep(self._pool, today)  # co-investigation batches and deadlines
        await self._reconcile_days(today)

    async def _reconcile_days(self, today: date) -> None:
        """Every day since the last one reconciled, up to yesterday, and that last one again
        (for what a late reply added to the treating region's statement after it); and every
        day that held answers settle on, once more after each new one is held (the journal may
        read an answer days late, or the process may have restarted since). A few days a
        round, however fast the business clock runs, the days in turn first (replies nobody
        asked for cannot hold them up); only a round that leaves nothing undone expires what
        waited ``HELD_DAYS``, so no answer whose day is past expires before that day was tried.
        A region whose statement cannot be read, or a round that stalls before its first day,
        pauses the rounds a minute; a round never takes more than ``RECONCILE_LIMIT_S``."""
        if self._sources is None or time.monotonic() < self._next_try:
            return
        first = self._reconciled or today - timedelta(days=2)
        in_turn = [first + timedelta(days=n) for n in range((today - first).days)]
        if in_turn == [self._reconciled]:
            in_turn = []  # done for today
        held = {
            day: newest
            for day, newest in (await held_answers.waiting_days(self._pool)).items()
            if day < today and (day not in self._held_tried or self._held_tried[day] < newest)
        }
        plan = in_turn + sorted(held.keys() - set(in_turn))
        if not plan:
            return
        done = 0
        try:
            async with asyncio.timeout(RECONCILE_LIMIT_S):
                async with httpx.AsyncClient(
                    timeout=RECONCILE_LIMIT_S / 2, trust_env=False
                ) as http:
                    for day in plan[:RECONCILE_DAYS_PER_ROUND]:
                        report = await reconcile_day(self._pool, http, self._sources, day)
                        done += 1
                        if day in held:
                            self._held_tried[day] = held[day]
                        if day in in_turn:
                            self._reconciled = day
                        log.info(
                            "books keeper: %s reconciled: balanced %s, %d break(s), "
                            "%d repaired, %d held",
                            day, report.balanced, len(report.breaks), len(report.repaired),
                            report.held,
                        )  # fmt: skip
            if done == len(plan):
                expired = await held_answers.expire(self._pool, clock.now())
                if expired:
                    log.warning("books keeper: %d held answer(s) expired unbooked", expired)
        except (StatusError, TimeoutError) as exc:
            if isinstance(exc, StatusError) or not done:  # a slow round that moved goes on
                self._next_try = time.monotonic() + RECONCILE_RETRY_S
            log.info(
                "books keeper: reconciliation stopped after %d day(s): %s %s",
                done, type(exc).__name__, getattr(exc, "detail", ""),
            )  # fmt: skip
