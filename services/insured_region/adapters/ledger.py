"""The settlement ledger's store: the only way a settlement, its cancel mirror, the person-year's
accumulators, the account, the owed reply, tombstones and reversals are read and written.

One persistence technique, plain asyncpg statements on the unit of work's connection (the hot
path's: no ORM, no extra round trips). A settlement and its mirror are written by one statement
that also moves the accumulators, the account and the owed reply (the reply outbox), so they
commit together or not at all. Locks are always taken in one order — the msgid's, then the
person-year row, then the account row — by settle, cancel and reversal alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from services.insured_region.adapters import persons
from services.insured_region.domain.breakdown import Accumulators, Breakdown, FundPayment
from services.insured_region.domain.person import Person
from shared.money import format_amount

ACCUMULATOR_COLUMNS = (
    "inpatient_hifp", "inpatient_stays", "outpatient_hifp", "outpatient_deductible", "hifob",
    "hifmi", "burden", "maf",
)  # fmt: skip
MONEY_COLUMNS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OwedReply:
    """A reply owed for a request whose effect commits (the outbox row, design §4): the relay
    id, the msgid and the request envelope as JSON, so the outbox relay can answer it later."""

    relay_id: str
    msgid: str
    request: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settlement row (a cancel is its negative mirror: ``refd_setl_flag`` 1, pointing at the
    original by ``init_setl_id``). Field names are the columns."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    insutype: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    fixmedins_code: str
    medins_setl_id: str
    infno: str
    med_type: str
    request_hash: str
    setl_time: datetime
    year: int
    refd_setl_flag: str
    init_setl_id: str | None
    filing_category: str | None
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    act_pay_dedc: Decimal
    hifp_pay: Decimal
    pool_prop_selfpay: Decimal
    hifob_pay: Decimal
    hifmi_pay: Decimal
    cvlserv_pay: Decimal
    maf_pay: Decimal
    oth_pay: Decimal
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    balc: Decimal
    details: list[dict[str, Any]]
    trace: list[str]
    delta: dict[str, Any]
    created_at: datetime

    def mirror(self, *, setl_id: str, balc: Decimal, medins_setl_id: str, infno: str,
               request_hash: str, now: datetime) -> Settlement:  # fmt: skip
        """The cancel: every amount negated, pointing at this settlement (design §7)."""
        return replace(
            self,
            setl_id=setl_id,
            medins_setl_id=medins_setl_id,
            infno=infno,
            request_hash=request_hash,
            setl_time=now,
            created_at=now,
            refd_setl_flag="1",
            init_setl_id=self.setl_id,
            **{name: -getattr(self, name) for name in MONEY_COLUMNS if name != "balc"},
            balc=balc,
            details=[
                {
                    **d,
                    "inscp_scp_amt": format_amount(-Decimal(d["inscp_scp_amt"])),
                    "fund_payamt": format_amount(-Decimal(d["fund_payamt"])),
                }
                for d in self.details
            ],
            trace=[f"撤销结算 {self.setl_id}", *self.trace],
        )


SETTLEMENT_COLUMNS = tuple(f.name for f in fields(Settlement))
_JSON_COLUMNS = frozenset({"details", "trace", "delta"})
_SELECT_SETTLEMENT = ", ".join(
    f"{c}::text AS {c}" if c in _JSON_COLUMNS else c for c in SETTLEMENT_COLUMNS
)


def _settlement(row: asyncpg.Record) -> Settlement:
    return Settlement(
        **{c: orjson.loads(row[c]) if c in _JSON_COLUMNS else row[c] for c in SETTLEMENT_COLUMNS}
    )


def new_settlement(
    *, setl_id: str, mdtrt_id: str, b: Breakdown, meta: dict[str, Any], now: datetime
) -> Settlement:
    """The row a computed breakdown makes."""
    return Settlement(
        setl_id=setl_id,
        mdtrt_id=mdtrt_id,
        **meta,
        **{name: getattr(b, name) for name in MONEY_COLUMNS},
        pool_prop_selfpay=b.pool_prop_selfpay,
        details=[detail_json(d) for d in b.details],
        trace=list(b.trace),
        delta=acc_to_json(b.delta),
        setl_time=now,
        created_at=now,
    )


def detail_json(d: FundPayment) -> dict[str, Any]:
    return {
        "fund_pay_type": d.fund_pay_type,
        "fund_pay_type_name": d.fund_pay_type_name,
        "inscp_scp_amt": format_amount(d.inscp_scp_amt),
        "crt_payb_lmt_amt": format_amount(d.crt_payb_lmt_amt),
        "fund_payamt": format_amount(d.fund_payamt),
        "setl_proc_info": d.setl_proc_info,
    }


def acc_to_json(acc: Accumulators) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(acc):
        value = getattr(acc, f.name)
        if f.name == "chronic":
            out[f.name] = {k: format_amount(v) for k, v in value.items()}
        elif isinstance(value, Decimal):
            out[f.name] = format_amount(value)
        else:
            out[f.name] = value
    return out


def acc_from_json(data: dict[str, Any]) -> Accumulators:
    return Accumulators(
        year=int(data["year"]),
        inpatient_hifp=Decimal(data["inpatient_hifp"]),
        inpatient_stays=int(data["inpatient_stays"]),
        outpatient_hifp=Decimal(data["outpatient_hifp"]),
        outpatient_deductible=Decimal(data["outpatient_deductible"]),
        hifob=Decimal(data["hifob"]),
        hifmi=Decimal(data["hifmi"]),
        burden=Decimal(data["burden"]),
        maf=Decimal(data["maf"]),
        chronic={k: Decimal(v) for k, v in data["chronic"].items()},
    )


def ids_of(seq: int, pool: str, on: datetime) -> tuple[str, str]:
    """``S``/``A`` + 6-digit pool + YYMMDD + 7-digit sequence (docs/codes.md, Ids)."""
    stem = f"{pool}{on:%y%m%d}{seq % 10_000_000:07d}"
    return f"S{stem}", f"A{stem}"


class _Binds:
    """Numbered placeholders by name: ``b("psn_no")`` is ``$n``, the same n every time."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str, cast: str = "") -> str:
        if name not in self.names:
            self.names.append(name)
        return f"${self.names.index(name) + 1}{cast}"


def _write_statement(*, only_if_visit_unsettled: bool) -> tuple[str, tuple[str, ...]]:
    """One statement: the settlement row, its person-year, the account (when it moved) and the
    owed reply — every write after the first only if the row was written."""
    b = _Binds()
    values = ", ".join(b(c, "::jsonb" if c in _JSON_COLUMNS else "") for c in SETTLEMENT_COLUMNS)
    guard = ""
    if only_if_visit_unsettled:
        # its statement starts after the person-year lock, so it sees a settlement (or a
        # reinstated one) committed just before
        guard = f"""WHERE NOT EXISTS (
            SELECT 1 FROM settlement o
             WHERE o.mdtrt_id = {b("mdtrt_id", "::varchar")} AND o.psn_no = {b("psn_no")}::varchar
               AND o.refd_setl_flag = '0'
               AND NOT EXISTS (SELECT 1 FROM settlement c WHERE c.init_setl_id = o.setl_id))"""
    year_set = ", ".join(f"{c} = {b('acc_' + c)}" for c in ACCUMULATOR_COLUMNS)
    sql = f"""
    WITH s AS (
        INSERT INTO settlement ({", ".join(SETTLEMENT_COLUMNS)}) SELECT {values} {guard}
        RETURNING 1
    ), a AS (
        UPDATE accumulator
           SET {year_set}, chronic = {b("acc_chronic", "::jsonb")}, updated_at = {b("created_at")}
         WHERE psn_no = {b("psn_no")} AND year = {b("year")} AND EXISTS (SELECT 1 FROM s)
    ), o AS (
        INSERT INTO owed_reply (relay_id, msgid, request, created_at)
        SELECT {b("owed_relay_id", "::text")}, {b("owed_msgid")}, {b("owed_request", "::jsonb")},
               {b("created_at")}
         WHERE {b("owed_relay_id")}::text IS NOT NULL AND EXISTS (SELECT 1 FROM s)
    ), i AS (
        UPDATE insurance SET balc = {b("balc")}
         WHERE psn_no = {b("psn_no")} AND insutype = {b("insutype")}
           AND {b("account_moved", "::boolean")} AND EXISTS (SELECT 1 FROM s)
    )
    SELECT count(*) FROM s"""
    return sql, tuple(b.names)


_WRITE_SETTLEMENT = _write_statement(only_if_visit_unsettled=True)
_WRITE_MIRROR = _write_statement(only_if_visit_unsettled=False)

_YEAR_COLUMNS = ", ".join(ACCUMULATOR_COLUMNS)
_LOCKS = f"""
    WITH new_year AS (
        INSERT INTO accumulator (psn_no, year, {_YEAR_COLUMNS}, chronic, updated_at)
        SELECT $2::varchar, $3::int, {", ".join("0" for _ in ACCUMULATOR_COLUMNS)}, '{{}}'::jsonb,
               now()
         WHERE EXISTS (SELECT 1 FROM person WHERE psn_no = $2::varchar)
        ON CONFLICT DO NOTHING
    )
    SELECT pg_advisory_xact_lock(hashtext($1)),
           (SELECT 1 FROM person WHERE psn_no = $2::varchar FOR KEY SHARE)
"""
"""The msgid's lock, a share of the person's, and the person-year's row made on its first use
(all zeros: no different from no row), so the locking read after it always finds one."""
_ENTRY = persons.with_person(
    f"""SELECT EXISTS (SELECT 1 FROM settlement WHERE medins_setl_id = $1) AS settled,
              EXISTS (SELECT 1 FROM reversal_tombstone WHERE omsgid = $1) AS tombstone,
              nextval('settlement_seq') AS seq, y.*,
              (SELECT balc FROM insurance i
                WHERE i.psn_no = y.acc_psn_no AND i.insutype = $4::varchar FOR UPDATE) AS balc
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
              SELECT psn_no AS acc_psn_no, year, {", ".join(ACCUMULATOR_COLUMNS)},
                     chronic::text AS chronic
                FROM accumulator WHERE psn_no = $2::varchar AND year = $3::int FOR UPDATE
         ) AS y ON true""",
    2,
)
"""After the locks, one look: settled already? reversed before it came? the person with their
filings; and the person-year row locked, then the account row (the order every settlement and
cancel keeps: the account's sub-select is correlated with the year's row, so it runs after that
row is locked). Rows locked FOR UPDATE are read as they are after any wait; the rest cannot have
moved since the locks of ``_LOCKS``."""
_PERSON = persons.with_person("SELECT $1::varchar AS asked", 1)
_MAKE_YEAR = f"""
    INSERT INTO accumulator (psn_no, year, {", ".join(ACCUMULATOR_COLUMNS)}, chronic, updated_at)
    VALUES ($1, $2, {", ".join("0" for _ in ACCUMULATOR_COLUMNS)}, '{{}}'::jsonb, now())
    ON CONFLICT DO NOTHING"""
_YEAR = f"""SELECT year, {", ".join(ACCUMULATOR_COLUMNS)}, chronic::text AS chronic
              FROM accumulator WHERE psn_no = $1 AND year = $2"""


@dataclass(frozen=True, slots=True)
class Entry:
    """What a settle finds once its locks are held."""

    settled: bool
    tombstone: bool
    seq: int
    year: Accumulators | None
    """The person-year, locked; None only when the person is not known here."""
    balance: Decimal


def _accumulators(row: asyncpg.Record) -> Accumulators:
    chronic = orjson.loads(row["chronic"] or "{}")
    return Accumulators(
        year=row["year"],
        **{c: row[c] for c in ACCUMULATOR_COLUMNS},
        chronic={k: Decimal(v) for k, v in chronic.items()},
    )


class Ledger:
    """The ledger's statements on one connection, inside the unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    # ---- reads

    async def person(self, psn_no: str) -> Person | None:
        """The person with everything a settlement needs, in one round trip."""
        return persons.person_of(await self._conn.fetchrow(_PERSON, psn_no))

    async def by_msgid(self, msgid: str) -> Settlement | None:
        """The settlement or mirror stored under a hospital msgid (settle, cancel, 2601)."""
        row = await self._conn.fetchrow(
            f"SELECT {_SELECT_SETTLEMENT} FROM settlement WHERE medins_setl_id = $1", msgid
        )
        return _settlement(row) if row is not None else None

    async def by_setl_id(self, setl_id: str) -> Settlement | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SELECT_SETTLEMENT} FROM settlement WHERE setl_id = $1", setl_id
        )
        return _settlement(row) if row is not None else None

    async def cancellation_of(self, setl_id: str) -> Settlement | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SELECT_SETTLEMENT} FROM settlement WHERE init_setl_id = $1", setl_id
        )
        return _settlement(row) if row is not None else None

    async def year(self, psn_no: str, year: int) -> Accumulators:
        row = await self._conn.fetchrow(_YEAR, psn_no, year)
        return _accumulators(row) if row is not None else Accumulators(year=year)

    async def account(self, psn_no: str, insutype: str) -> Decimal:
        balance = await self._conn.fetchval(
            "SELECT balc FROM insurance WHERE psn_no = $1 AND insutype = $2", psn_no, insutype
        )
        return balance if balance is not None else Decimal("0.00")

    async def tombstoned(self, msgid: str) -> bool:
        """Was this msgid reversed before it came (a 2601 that found nothing to undo)?"""
        return bool(
            await self._conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM reversal_tombstone WHERE omsgid = $1)", msgid
            )
        )

    async def later_than(self, psn_no: str, year: int, after: datetime) -> bool:
        """Has anything been settled or cancelled for the person-year since ``after``?"""
        return bool(
            await self._conn.fetchval(
                """SELECT EXISTS (SELECT 1 FROM settlement
                                   WHERE psn_no = $1 AND year = $2 AND setl_time > $3)""",
                psn_no,
                year,
                after,
            )
        )

    async def standing_since(self, psn_no: str, since: datetime) -> bool:
        """Is a settlement made since ``since`` still standing (not cancelled)?"""
        return bool(
            await self._conn.fetchval(
                """SELECT EXISTS (
                       SELECT 1 FROM settlement s
                        WHERE s.psn_no = $1 AND s.refd_setl_flag = '0' AND s.setl_time >= $2
                          AND NOT EXISTS (SELECT 1 FROM settlement c
                                           WHERE c.init_setl_id = s.setl_id))""",
                psn_no,
                since,
            )
        )

    async def reversal(self, msgid: str) -> dict[str, Any] | None:
        """What the 2601 with this msgid answered (reversals of cancels, filings,
        registrations; a settlement's reversal is its mirror, found ``by_msgid``)."""
        answer = await self._conn.fetchval(
            "SELECT answer::text FROM reversal WHERE msgid = $1", msgid
        )
        return orjson.loads(answer) if answer is not None else None

    async def reversal_of(self, omsgid: str) -> dict[str, Any] | None:
        """What the reversal of ``omsgid`` answered, whichever msgid it came with."""
        answer = await self._conn.fetchval(
            "SELECT answer::text FROM reversal WHERE omsgid = $1 LIMIT 1", omsgid
        )
        return orjson.loads(answer) if answer is not None else None

    # ---- locks

    async def lock_msgid(self, msgid: str) -> None:
        """Settle, cancel and reversal of one msgid take turns: a tombstone and a settlement
        never both win."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", msgid)

    async def enter(
        self, msgid: str, psn_no: str, year: int, insutype: str
    ) -> tuple[Entry, Person | None]:
        """A settle's way in: the msgid's lock and a share of the person's (a filing cannot be
        taken back under this settlement), then one look that locks the person-year and the
        account — a statement of its own, so it sees what the locks waited for."""
        await self._conn.execute(_LOCKS, msgid, psn_no, year)
        row = await self._conn.fetchrow(_ENTRY, msgid, psn_no, year, insutype)
        entry = Entry(
            settled=bool(row["settled"]),
            tombstone=bool(row["tombstone"]),
            seq=int(row["seq"]),
            year=_accumulators(row) if row["acc_psn_no"] is not None else None,
            balance=row["balc"] if row["balc"] is not None else Decimal("0.00"),
        )
        return entry, persons.person_of(row)

    async def lock_year(self, psn_no: str, year: int) -> Accumulators:
        """The person-year, locked (made first if this is its first use)."""
        await self._conn.execute(_MAKE_YEAR, psn_no, year)
        row = await self._conn.fetchrow(_YEAR + " FOR UPDATE", psn_no, year)
        return _accumulators(row)

    async def lock_account(self, psn_no: str, insutype: str) -> Decimal:
        balance = await self._conn.fetchval(
            "SELECT balc FROM insurance WHERE psn_no = $1 AND insutype = $2 FOR UPDATE",
            psn_no,
            insutype,
        )
        return balance if balance is not None else Decimal("0.00")

    async def next_seq(self) -> int:
        return int(await self._conn.fetchval("SELECT nextval('settlement_seq')"))

    # ---- writes

    async def write(
        self,
        row: Settlement,
        *,
        year: Accumulators,
        account_moved: bool,
        owed: OwedReply | None,
        only_if_visit_unsettled: bool,
    ) -> bool:
        """The settlement (or mirror), its person-year, the account (``row.balc``, when it
        moved) and the owed reply: one statement. False if the visit already had a standing
        settlement (only asked with ``only_if_visit_unsettled``)."""
        sql, names = _WRITE_SETTLEMENT if only_if_visit_unsettled else _WRITE_MIRROR
        values: dict[str, Any] = {
            c: orjson.dumps(v).decode() if c in _JSON_COLUMNS else v for c, v in asdict(row).items()
        }
        values.update({f"acc_{c}": getattr(year, c) for c in ACCUMULATOR_COLUMNS})
        values["acc_chronic"] = orjson.dumps(
            {k: format_amount(v) for k, v in year.chronic.items()}
        ).decode()
        values["owed_relay_id"] = owed.relay_id if owed else None
        values["owed_msgid"] = owed.msgid if owed else None
        values["owed_request"] = orjson.dumps(owed.request).decode() if owed else None
        values["account_moved"] = account_moved
        assert year.year == row.year, "a settlement moves the person-year it belongs to"
        return bool(await self._conn.fetchval(sql, *(values[n] for n in names)))

    async def reinstate(self, mirror: Settlement, original: Settlement, year: Accumulators,
                        balance: Decimal) -> None:  # fmt: skip
        """Undo a cancel: the mirror goes, the person-year and the account carry the original
        again (``year`` and ``balance`` are the new values)."""
        values = acc_to_json(year)
        await self._conn.execute(
            f"""UPDATE accumulator
                   SET {", ".join(f"{c} = ${i + 3}" for i, c in enumerate(ACCUMULATOR_COLUMNS))},
                       chronic = ${len(ACCUMULATOR_COLUMNS) + 3}::jsonb, updated_at = now()
                 WHERE psn_no = $1 AND year = $2""",
            original.psn_no,
            original.year,
            *(getattr(year, c) for c in ACCUMULATOR_COLUMNS),
            orjson.dumps(values["chronic"]).decode(),
        )
        if original.acct_pay:
            await self._conn.execute(
                "UPDATE insurance SET balc = $3 WHERE psn_no = $1 AND insutype = $2",
                original.psn_no,
                original.insutype,
                balance,
            )
        await self._conn.execute("DELETE FROM settlement WHERE setl_id = $1", mirror.setl_id)

    async def add_tombstone(self, *, omsgid: str, oinfno: str, msgid: str) -> None:
        """The original's msgid is spent: when (if) it comes, it is refused (E4007)."""
        await self._conn.execute(
            """INSERT INTO reversal_tombstone (omsgid, oinfno, msgid, created_at)
               VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING""",
            omsgid,
            oinfno,
            msgid,
        )

    async def add_reversal(
        self, *, msgid: str, omsgid: str, oinfno: str, answer: dict[str, Any]
    ) -> None:
        await self._conn.execute(
            """INSERT INTO reversal (msgid, omsgid, oinfno, answer, created_at)
               VALUES ($1, $2, $3, $4::jsonb, now())""",
            msgid,
            omsgid,
            oinfno,
            orjson.dumps(answer).decode(),
        )

    async def owe_reply(self, owed: OwedReply | None) -> None:
        """Inside the effect's transaction: the reply is owed if and only if the effect
        commits (a settlement's and a mirror's own statement writes theirs)."""
        if owed is None:
            return
        await self._conn.execute(
            """INSERT INTO owed_reply (relay_id, msgid, request, created_at)
               VALUES ($1, $2, $3::jsonb, now())""",
            owed.relay_id,
            owed.msgid,
            orjson.dumps(owed.request).decode(),
        )


_DAY = """
    SELECT setl_id, medins_setl_id AS msgid, mdtrtarea_admvs, insuplc_admdvs, refd_setl_flag,
           medfee_sumamt, fund_pay_sumamt, acct_pay, hifp_pay, hifob_pay, hifmi_pay,
           cvlserv_pay, maf_pay, oth_pay
      FROM settlement
     WHERE (setl_time AT TIME ZONE 'UTC' + interval '8 hours')::date = $1
       AND infno <> 'LXBX'
     ORDER BY setl_id
"""
"""A settlement's day is its business day in China (``setl_time``). Manual claims (零星报销,
``infno`` LXBX) are paid to the person, never relayed nor cleared: not in the statement."""


async def manual_claims(pool: asyncpg.Pool, psn_no: str | None, limit: int) -> list[dict[str, Any]]:
    """Manual claims (零星报销) settled here, by person."""
    rows = await pool.fetch(
        """SELECT setl_id, psn_no, insutype, insuplc_admdvs, mdtrtarea_admvs, fixmedins_code,
                  medins_setl_id, med_type, filing_category, setl_time, medfee_sumamt,
                  fund_pay_sumamt, acct_pay, psn_cash_pay
             FROM settlement
            WHERE infno = 'LXBX' AND ($1::text IS NULL OR psn_no = $1)
            ORDER BY setl_time LIMIT $2""",
        psn_no,
        limit,
    )
    return [dict(r) for r in rows]


async def day_statement(pool: asyncpg.Pool, day: date) -> list[dict[str, Any]]:
    """The settlements (and cancel mirrors) this ledger files under ``day``."""
    return [dict(r) for r in await pool.fetch(_DAY, day)]
