"""Visits, fee lines and settlement reads at the treating region: SQLAlchemy Core in the
use cases' own transactions, plain asyncpg on the settle path (the ledger writes settlements)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import asyncpg
from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from services.treating_region.adapters.orm import FeeLine, Settlement, Visit
from services.treating_region.domain.split import LineSplit

VISIT = cast(Table, Visit.__table__)
LINE = cast(Table, FeeLine.__table__)
SETTLEMENT = cast(Table, Settlement.__table__)


@dataclass(frozen=True, slots=True)
class VisitRecord:
    mdtrt_id: str
    fixmedins_code: str
    psn_no: str
    insutype: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    inpatient: bool
    med_type: str
    state: str
    begntime: datetime
    endtime: datetime | None
    emergency: bool
    trum_flag: bool
    rel_ttp_flag: bool
    opsp_dise_code: str | None


def _record(row: RowMapping) -> VisitRecord:
    return VisitRecord(**{k: row[k] for k in VisitRecord.__slots__})


async def add_visit(conn: AsyncConnection, **values: Any) -> None:
    now = datetime.now(UTC)
    await conn.execute(insert(VISIT).values(**values, created_at=now, updated_at=now))


async def get_visit(
    conn: AsyncConnection, mdtrt_id: str, *, lock: bool = False
) -> VisitRecord | None:
    query = select(VISIT).where(VISIT.c.mdtrt_id == mdtrt_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return _record(row) if row is not None else None


async def set_visit(conn: AsyncConnection, mdtrt_id: str, **values: Any) -> None:
    await conn.execute(
        update(VISIT)
        .where(VISIT.c.mdtrt_id == mdtrt_id)
        .values(**values, updated_at=datetime.now(UTC))
    )


async def move_visit(conn: AsyncConnection, mdtrt_id: str, expected: str, state: str) -> bool:
    """Compare-and-set on the state: of two concurrent settles, one wins."""
    result = await conn.execute(
        update(VISIT)
        .where(VISIT.c.mdtrt_id == mdtrt_id, VISIT.c.state == expected)
        .values(state=state, updated_at=datetime.now(UTC))
    )
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class StoredLine:
    feedetl_sn: str
    med_list_codg: str
    cnt: Decimal
    status: str
    setl_id: str | None


async def lines_of(conn: AsyncConnection, mdtrt_id: str) -> Sequence[StoredLine]:
    rows = await conn.execute(
        select(
            LINE.c.feedetl_sn, LINE.c.med_list_codg, LINE.c.cnt, LINE.c.status, LINE.c.setl_id
        ).where(LINE.c.mdtrt_id == mdtrt_id)
    )
    return [StoredLine(*row) for row in rows]


async def refunded_cnt(conn: AsyncConnection, mdtrt_id: str, init_feedetl_sn: str) -> Decimal:
    total = await conn.scalar(
        select(func.coalesce(func.sum(LINE.c.cnt), 0)).where(
            LINE.c.mdtrt_id == mdtrt_id,
            LINE.c.init_feedetl_sn == init_feedetl_sn,
            LINE.c.status == "active",
        )
    )
    return Decimal(total or 0)


@dataclass(frozen=True, slots=True)
class NewLine:
    """A fee line to keep: its split, and what the hospital said of it besides."""

    split: LineSplit
    refund_of: str | None
    med_list_codg: str
    hospital_code: str | None
    occurred_at: datetime | None


async def add_lines(
    conn: AsyncConnection,
    mdtrt_id: str,
    lines: Sequence[NewLine],
    msgid: str | None = None,
) -> None:
    """The lines of one upload, each with its split (all or none: the caller's transaction)."""
    now = datetime.now(UTC)
    await conn.execute(
        insert(LINE),
        [
            {
                "mdtrt_id": mdtrt_id,
                "feedetl_sn": line.split.feedetl_sn,
                "init_feedetl_sn": line.refund_of,
                "med_list_codg": line.med_list_codg,
                "medins_list_codg": line.hospital_code,
                "fee_ocur_time": line.occurred_at,
                "pric": line.split.pric,
                "cnt": line.split.cnt,
                "det_item_fee_sumamt": line.split.det_item_fee_sumamt,
                "fulamt_ownpay_amt": line.split.fulamt_ownpay_amt,
                "overlmt_amt": line.split.overlmt_amt,
                "preselfpay_amt": line.split.preselfpay_amt,
                "inscp_scp_amt": line.split.inscp_scp_amt,
                "pric_uplmt_amt": line.split.pric_uplmt_amt,
                "selfpay_prop": line.split.selfpay_prop,
                "chrgitm_lv": line.split.chrgitm_lv,
                "med_chrgitm_type": line.split.med_chrgitm_type,
                "in_catalogue": line.split.in_catalogue,
                "status": "active",
                "setl_id": None,
                "msgid": msgid,
                "created_at": now,
            }
            for line in lines
        ],
    )


async def cancel_lines(
    conn: AsyncConnection, mdtrt_id: str, feedetl_sns: Sequence[str] | None
) -> int:
    """Cancel the named active, unsettled lines (all of them when ``None``)."""
    statement = update(LINE).where(
        LINE.c.mdtrt_id == mdtrt_id, LINE.c.status == "active", LINE.c.setl_id.is_(None)
    )
    if feedetl_sns is not None:
        statement = statement.where(LINE.c.feedetl_sn.in_(feedetl_sns))
    result = await conn.execute(statement.values(status="cancelled"))
    return int(result.rowcount)


@dataclass(frozen=True, slots=True)
class KeptSettlement:
    """A settlement (or a cancel's mirror) the ledger keeps: which visit, what total."""

    setl_id: str
    mdtrt_id: str
    medfee_sumamt: Decimal


_KEPT = select(SETTLEMENT.c.setl_id, SETTLEMENT.c.mdtrt_id, SETTLEMENT.c.medfee_sumamt)


async def settlement(conn: AsyncConnection, setl_id: str) -> KeptSettlement | None:
    row = (await conn.execute(_KEPT.where(SETTLEMENT.c.setl_id == setl_id))).first()
    return KeptSettlement(*row) if row is not None else None


@dataclass(frozen=True, slots=True)
class UploadedLine:
    mdtrt_id: str
    feedetl_sn: str
    status: str
    setl_id: str | None


async def lines_uploaded_by(conn: AsyncConnection, msgid: str) -> Sequence[UploadedLine]:
    rows = await conn.execute(
        select(LINE.c.mdtrt_id, LINE.c.feedetl_sn, LINE.c.status, LINE.c.setl_id).where(
            LINE.c.msgid == msgid
        )
    )
    return [UploadedLine(*row) for row in rows]


async def refunds_of(
    conn: AsyncConnection, mdtrt_id: str, feedetl_sns: Sequence[str], *, other_than: str
) -> int:
    """Active refund lines of another upload that point at these lines."""
    count = await conn.scalar(
        select(func.count()).where(
            LINE.c.mdtrt_id == mdtrt_id,
            LINE.c.init_feedetl_sn.in_(feedetl_sns),
            LINE.c.status == "active",
            LINE.c.msgid.is_distinct_from(other_than),
        )
    )
    return int(count or 0)


async def cancel_upload(conn: AsyncConnection, msgid: str) -> int:
    result = await conn.execute(
        update(LINE)
        .where(LINE.c.msgid == msgid, LINE.c.status == "active", LINE.c.setl_id.is_(None))
        .values(status="cancelled")
    )
    return int(result.rowcount)


async def unsettled_total(conn: AsyncConnection, mdtrt_id: str) -> Decimal:
    total = await conn.scalar(
        select(func.coalesce(func.sum(LINE.c.det_item_fee_sumamt), 0)).where(
            LINE.c.mdtrt_id == mdtrt_id, LINE.c.status == "active", LINE.c.setl_id.is_(None)
        )
    )
    return Decimal(total or 0)


async def settlement_by_msgid(conn: AsyncConnection, msgid: str) -> KeptSettlement | None:
    """The settlement kept under ``msgid`` (a cancel's mirror, when it is a cancel's)."""
    row = (await conn.execute(_KEPT.where(SETTLEMENT.c.msgid == msgid))).first()
    return KeptSettlement(*row) if row is not None else None


# ------------------------------------------------------------------ the settle path, asyncpg
# The hot path (issue 6): the same reads and writes as above without SQLAlchemy's compile step;
# the settlement itself is recorded by adapters/ledger.py.

_VISIT_COLUMNS = ", ".join(VisitRecord.__slots__)
_VISIT = f"SELECT {_VISIT_COLUMNS} FROM visit WHERE mdtrt_id = $1"
_LINE_COLUMNS = ", ".join(LineSplit.__dataclass_fields__)
_SPLITS = f"""
    SELECT {_LINE_COLUMNS} FROM fee_line
     WHERE mdtrt_id = $1 AND status = 'active' ORDER BY id
"""
_TO_SETTLING = f"""
    UPDATE visit SET state = $6, updated_at = now()
     WHERE mdtrt_id = $1 AND fixmedins_code = $2 AND psn_no = $3 AND inpatient = $4
       AND state = $5
    RETURNING {_VISIT_COLUMNS}
"""


async def to_settling(
    conn: asyncpg.Pool | asyncpg.Connection,
    mdtrt_id: str,
    fixmedins_code: str,
    psn_no: str,
    inpatient: bool,
    state: str,
    settling: str,
) -> VisitRecord | None:
    """Compare-and-set from ``state`` into ``settling``, one statement: None if the visit is not
    as expected.

    Once settling, no fee line may come or go, so the lines read after it are the ones settled.
    """
    row = await conn.fetchrow(
        _TO_SETTLING, mdtrt_id, fixmedins_code, psn_no, inpatient, state, settling
    )
    return VisitRecord(*row) if row is not None else None


async def get_visit_on(
    conn: asyncpg.Pool | asyncpg.Connection, mdtrt_id: str, *, lock: bool = False
) -> VisitRecord | None:
    row = await conn.fetchrow(_VISIT + (" FOR UPDATE" if lock else ""), mdtrt_id)
    return VisitRecord(*row) if row is not None else None


async def active_splits_on(
    conn: asyncpg.Pool | asyncpg.Connection, mdtrt_id: str
) -> list[LineSplit]:
    return [LineSplit(*row) for row in await conn.fetch(_SPLITS, mdtrt_id)]
