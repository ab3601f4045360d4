"""Settlements and accumulators: written together, under the person-year row lock."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.insured_region.adapters import persons
from services.insured_region.adapters.orm import (
    AccumulatorRow,
    InsuranceRow,
    ReversalRow,
    ReversalTombstone,
    SettlementRow,
)
from services.insured_region.domain.breakdown import Accumulators, Breakdown, FundPayment
from services.insured_region.domain.person import Person
from shared.errors import E4009, RelayError
from shared.money import format_amount

_MONEY_FIELDS = [
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc",
]  # fmt: skip


def _acc_from_row(row: AccumulatorRow) -> Accumulators:
    return Accumulators(
        year=row.year,
        inpatient_hifp=row.inpatient_hifp,
        inpatient_stays=row.inpatient_stays,
        outpatient_hifp=row.outpatient_hifp,
        outpatient_deductible=row.outpatient_deductible,
        hifob=row.hifob,
        hifmi=row.hifmi,
        burden=row.burden,
        maf=row.maf,
        chronic={k: Decimal(v) for k, v in (row.chronic or {}).items()},
    )


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


async def read_year(session: AsyncSession, psn_no: str, year: int) -> Accumulators:
    row = await session.get(AccumulatorRow, (psn_no, year))
    return _acc_from_row(row) if row is not None else Accumulators(year=year)


async def lock_year(session: AsyncSession, psn_no: str, year: int) -> Accumulators:
    """SELECT … FOR UPDATE on the person-year, creating it first if this is its first use."""
    await session.execute(
        insert(AccumulatorRow)
        .values(
            psn_no=psn_no,
            year=year,
            chronic={},
            updated_at=datetime.now(UTC),
            inpatient_hifp=0,
            inpatient_stays=0,
            outpatient_hifp=0,
            outpatient_deductible=0,
            hifob=0,
            hifmi=0,
            burden=0,
            maf=0,
        )
        .on_conflict_do_nothing()
    )
    row = await session.scalar(
        select(AccumulatorRow)
        .where(AccumulatorRow.psn_no == psn_no, AccumulatorRow.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return _acc_from_row(row)


async def save_year(session: AsyncSession, psn_no: str, acc: Accumulators) -> None:
    values = acc_to_json(acc)
    del values["year"]
    await session.execute(
        update(AccumulatorRow)
        .where(AccumulatorRow.psn_no == psn_no, AccumulatorRow.year == acc.year)
        .values(**values, updated_at=datetime.now(UTC))
    )


async def lock_account(session: AsyncSession, psn_no: str, insutype: str) -> Decimal:
    balance = await session.scalar(
        select(InsuranceRow.balc)
        .where(InsuranceRow.psn_no == psn_no, InsuranceRow.insutype == insutype)
        .with_for_update()
    )
    return balance if balance is not None else Decimal("0.00")


async def read_account(session: AsyncSession, psn_no: str, insutype: str) -> Decimal:
    balance = await session.scalar(
        select(InsuranceRow.balc).where(
            InsuranceRow.psn_no == psn_no, InsuranceRow.insutype == insutype
        )
    )
    return balance if balance is not None else Decimal("0.00")


async def set_account(session: AsyncSession, psn_no: str, insutype: str, balc: Decimal) -> None:
    await session.execute(
        update(InsuranceRow)
        .where(InsuranceRow.psn_no == psn_no, InsuranceRow.insutype == insutype)
        .values(balc=balc)
    )


async def mint_ids(session: AsyncSession, pool: str, on: datetime) -> tuple[str, str]:
    """``S``/``A`` + 6-digit pool + YYMMDD + 7-digit sequence (docs/codes.md, Ids)."""
    return ids_of(
        int(await session.scalar(text("SELECT nextval('settlement_seq')")) or 0), pool, on
    )


def detail_json(d: FundPayment, sign: int = 1) -> dict[str, Any]:
    return {
        "fund_pay_type": d.fund_pay_type,
        "fund_pay_type_name": d.fund_pay_type_name,
        "inscp_scp_amt": format_amount(sign * d.inscp_scp_amt),
        "crt_payb_lmt_amt": format_amount(d.crt_payb_lmt_amt),
        "fund_payamt": format_amount(sign * d.fund_payamt),
        "setl_proc_info": d.setl_proc_info,
    }


async def add(
    session: AsyncSession, *, setl_id: str, mdtrt_id: str, b: Breakdown, meta: dict[str, Any]
) -> SettlementRow:
    amounts = {name: getattr(b, name) for name in _MONEY_FIELDS}
    row = SettlementRow(
        setl_id=setl_id,
        mdtrt_id=mdtrt_id,
        **meta,
        **amounts,
        pool_prop_selfpay=b.pool_prop_selfpay,
        details=[detail_json(d) for d in b.details],
        trace=list(b.trace),
        delta=acc_to_json(b.delta),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return row


async def by_msgid(session: AsyncSession, msgid: str) -> SettlementRow | None:
    row: SettlementRow | None = await session.scalar(
        select(SettlementRow).where(SettlementRow.medins_setl_id == msgid)
    )
    return row


async def by_setl_id(session: AsyncSession, setl_id: str) -> SettlementRow | None:
    return await session.get(SettlementRow, setl_id)


async def cancellation_of(session: AsyncSession, setl_id: str) -> SettlementRow | None:
    row: SettlementRow | None = await session.scalar(
        select(SettlementRow).where(SettlementRow.init_setl_id == setl_id)
    )
    return row


async def add_mirror(
    session: AsyncSession,
    original: SettlementRow,
    *,
    setl_id: str,
    balc: Decimal,
    meta: dict[str, Any],
) -> SettlementRow:
    """The cancel: every amount negated, pointing at the original (refd_setl_flag=1)."""
    mirror = SettlementRow(
        setl_id=setl_id,
        mdtrt_id=original.mdtrt_id,
        psn_no=original.psn_no,
        insutype=original.insutype,
        insuplc_admdvs=original.insuplc_admdvs,
        mdtrtarea_admvs=original.mdtrtarea_admvs,
        fixmedins_code=original.fixmedins_code,
        med_type=original.med_type,
        year=original.year,
        refd_setl_flag="1",
        init_setl_id=original.setl_id,
        filing_category=original.filing_category,
        pool_prop_selfpay=original.pool_prop_selfpay,
        **{name: -getattr(original, name) for name in _MONEY_FIELDS if name != "balc"},
        balc=balc,
        details=[
            {
                **d,
                "inscp_scp_amt": format_amount(-Decimal(d["inscp_scp_amt"])),
                "fund_payamt": format_amount(-Decimal(d["fund_payamt"])),
            }
            for d in original.details
        ],
        trace=[f"撤销结算 {original.setl_id}", *original.trace],
        delta=original.delta,
        created_at=datetime.now(UTC),
        **meta,
    )
    session.add(mirror)
    await session.flush()
    return mirror


async def tombstone(session: AsyncSession, omsgid: str) -> bool:
    found = await session.get(ReversalTombstone, omsgid)
    return found is not None


async def add_tombstone(session: AsyncSession, *, omsgid: str, oinfno: str, msgid: str) -> None:
    await session.execute(
        insert(ReversalTombstone)
        .values(omsgid=omsgid, oinfno=oinfno, msgid=msgid, created_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )


async def lock_msgid(session: AsyncSession, msgid: str) -> None:
    """Settle and reversal of one msgid take turns: a tombstone and a settlement never both win."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:m))"), {"m": msgid})


async def later_than(session: AsyncSession, psn_no: str, year: int, after: datetime) -> bool:
    """Has anything been settled or cancelled for the person-year since ``after``?"""
    found = await session.scalar(
        select(SettlementRow.setl_id)
        .where(
            SettlementRow.psn_no == psn_no,
            SettlementRow.year == year,
            SettlementRow.setl_time > after,
        )
        .limit(1)
    )
    return found is not None


async def standing_since(session: AsyncSession, psn_no: str, since: datetime) -> bool:
    """Is a settlement made since ``since`` still standing (not cancelled)?"""
    cancelled = select(SettlementRow.init_setl_id).where(SettlementRow.init_setl_id.is_not(None))
    found = await session.scalar(
        select(SettlementRow.setl_id)
        .where(
            SettlementRow.psn_no == psn_no,
            SettlementRow.refd_setl_flag == "0",
            SettlementRow.setl_time >= since,
            SettlementRow.setl_id.not_in(cancelled),
        )
        .limit(1)
    )
    return found is not None


async def remove(session: AsyncSession, setl_id: str) -> None:
    await session.execute(delete(SettlementRow).where(SettlementRow.setl_id == setl_id))


async def reversal(session: AsyncSession, msgid: str) -> dict[str, Any] | None:
    row = await session.get(ReversalRow, msgid)
    return dict(row.answer) if row is not None else None


async def reversal_of(session: AsyncSession, omsgid: str) -> dict[str, Any] | None:
    """What the reversal of ``omsgid`` answered, whichever msgid it came with."""
    answer = await session.scalar(select(ReversalRow.answer).where(ReversalRow.omsgid == omsgid))
    return dict(answer) if answer is not None else None


async def add_reversal(
    session: AsyncSession, *, msgid: str, omsgid: str, oinfno: str, answer: dict[str, Any]
) -> None:
    session.add(
        ReversalRow(
            msgid=msgid, omsgid=omsgid, oinfno=oinfno, answer=answer, created_at=datetime.now(UTC)
        )
    )
    await session.flush()


# ------------------------------------------------------------------ the settle transaction, asyncpg
# The hot path (issue 6): the same statements as above, without the ORM's unit of work, and the
# four writes of a settlement (row, accumulators, account, owed reply) in one statement.

_ACC_COLUMNS = (
    "inpatient_hifp", "inpatient_stays", "outpatient_hifp", "outpatient_deductible", "hifob",
    "hifmi", "burden", "maf",
)  # fmt: skip
_SETTLEMENT_COLUMNS = tuple(c.name for c in SettlementRow.__table__.columns)
_JSON_COLUMNS = frozenset({"details", "trace", "delta"})


def _placeholders(names: tuple[str, ...], start: int) -> str:
    return ", ".join(
        f"${start + i}::jsonb" if n in _JSON_COLUMNS else f"${start + i}"
        for i, n in enumerate(names)
    )


_N = len(_SETTLEMENT_COLUMNS)
_ACC_AT = _N + 1
_WRITE = f"""
    WITH s AS (
        INSERT INTO settlement ({", ".join(_SETTLEMENT_COLUMNS)})
        SELECT {_placeholders(_SETTLEMENT_COLUMNS, 1)}
         WHERE NOT EXISTS (
            SELECT 1 FROM settlement o
             WHERE o.mdtrt_id = $2::varchar AND o.psn_no = $3::varchar AND o.refd_setl_flag = '0'
               AND NOT EXISTS (SELECT 1 FROM settlement c WHERE c.init_setl_id = o.setl_id))
        RETURNING 1
    ), a AS (
        UPDATE accumulator
           SET {", ".join(f"{c} = ${_ACC_AT + i}" for i, c in enumerate(_ACC_COLUMNS))},
               chronic = ${_ACC_AT + 8}::jsonb, updated_at = ${_ACC_AT + 9}
         WHERE psn_no = ${_ACC_AT + 10} AND year = ${_ACC_AT + 11} AND EXISTS (SELECT 1 FROM s)
    ), o AS (
        INSERT INTO owed_reply (relay_id, msgid, request, created_at)
        SELECT ${_ACC_AT + 12}::text, ${_ACC_AT + 13}, ${_ACC_AT + 14}::jsonb, ${_ACC_AT + 9}
         WHERE ${_ACC_AT + 12}::text IS NOT NULL AND EXISTS (SELECT 1 FROM s)
    ), i AS (
        UPDATE insurance SET balc = ${_ACC_AT + 15}
         WHERE psn_no = ${_ACC_AT + 10} AND insutype = ${_ACC_AT + 16} AND ${_ACC_AT + 17}::boolean
           AND EXISTS (SELECT 1 FROM s)
    )
    SELECT count(*) FROM s
"""
"""Written only if the visit has no standing settlement: its statement starts after the
person-year lock, so it sees a settlement (or a reinstated one) committed just before."""
_LOCKS = f"""
    WITH new_year AS (
        INSERT INTO accumulator (psn_no, year, {", ".join(_ACC_COLUMNS)}, chronic, updated_at)
        SELECT $2::varchar, $3::int, {", ".join("0" for _ in _ACC_COLUMNS)}, '{{}}'::jsonb, now()
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
              SELECT psn_no AS acc_psn_no, year, {", ".join(_ACC_COLUMNS)},
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


@dataclass(frozen=True, slots=True)
class Entry:
    settled: bool
    tombstone: bool
    seq: int
    year: Accumulators | None
    """The person-year, locked; None only when the person is not known here."""
    balance: Decimal


async def enter(
    conn: asyncpg.Connection, msgid: str, psn_no: str, year: int, insutype: str
) -> tuple[Entry, Person | None]:
    """Take the msgid's lock and a share of the person's (a filing cannot be taken back under
    this settlement), then look and lock the person-year and the account — a statement of its
    own, so it sees what the locks waited for."""
    await conn.execute(_LOCKS, msgid, psn_no, year)
    row = await conn.fetchrow(_ENTRY, msgid, psn_no, year, insutype)
    entry = Entry(
        settled=bool(row["settled"]),
        tombstone=bool(row["tombstone"]),
        seq=int(row["seq"]),
        year=_accumulators(row) if row["acc_psn_no"] is not None else None,
        balance=row["balc"] if row["balc"] is not None else Decimal("0.00"),
    )
    return entry, persons.person_of(row)


def _accumulators(row: Any) -> Accumulators:
    chronic = orjson.loads(row["chronic"] or "{}")
    return Accumulators(
        year=row["year"],
        **{c: row[c] for c in _ACC_COLUMNS},
        chronic={k: Decimal(v) for k, v in chronic.items()},
    )


def ids_of(seq: int, pool: str, on: datetime) -> tuple[str, str]:
    """The ids ``mint_ids`` makes, from a sequence value already drawn."""
    stem = f"{pool}{on:%y%m%d}{seq % 10_000_000:07d}"
    return f"S{stem}", f"A{stem}"


@dataclass(frozen=True, slots=True)
class NewSettlement:
    """A settlement row as written; attribute names are the columns (what views read)."""

    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


async def write(
    conn: asyncpg.Connection,
    *,
    setl_id: str,
    mdtrt_id: str,
    b: Breakdown,
    meta: dict[str, Any],
    year: Accumulators,
    debt: tuple[str, str, dict[str, Any]] | None,
) -> NewSettlement:
    """The settlement, its year's accumulators, the account and the owed reply: one statement."""
    now = meta["setl_time"]
    values: dict[str, Any] = {
        "setl_id": setl_id,
        "mdtrt_id": mdtrt_id,
        **meta,
        **{name: getattr(b, name) for name in _MONEY_FIELDS},
        "pool_prop_selfpay": b.pool_prop_selfpay,
        "details": [detail_json(d) for d in b.details],
        "trace": list(b.trace),
        "delta": acc_to_json(b.delta),
        "created_at": now,
    }
    row = [
        orjson.dumps(values[c]).decode() if c in _JSON_COLUMNS else values[c]
        for c in _SETTLEMENT_COLUMNS
    ]
    chronic = orjson.dumps({k: format_amount(v) for k, v in year.chronic.items()}).decode()
    relay_id, msgid, request = debt if debt is not None else (None, None, None)
    written = await conn.fetchval(
        _WRITE,
        *row,
        *(getattr(year, c) for c in _ACC_COLUMNS),
        chronic,
        now,
        meta["psn_no"],
        year.year,
        relay_id,
        msgid,
        orjson.dumps(request).decode() if request is not None else None,
        b.balc,
        meta["insutype"],
        bool(b.acct_pay),
    )
    if not written:
        raise RelayError(E4009, detail=f"就诊 {mdtrt_id} 已有未撤销的结算")
    return NewSettlement(values)
