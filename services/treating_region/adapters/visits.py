"""Visits and their fee lines at the treating region: the repository every use case reads and
writes them through (asyncpg statements, one persistence technique with the ledger).

``Visits`` is bound to a connection or to the pool. On the unit of work's connection
(``uow.visits``) its statements are that transaction's; on the pool each one is its own
autocommitted statement — what the settle path uses, so as to add no BEGIN/COMMIT round trips.
The states written come from the visit's state machine (``domain/visit.py``), passed in by the
caller: no state literal is written here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.treating_region.domain.split import LineSplit


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


@dataclass(frozen=True, slots=True)
class StoredLine:
    feedetl_sn: str
    med_list_codg: str
    cnt: Decimal
    status: str
    setl_id: str | None


@dataclass(frozen=True, slots=True)
class NewLine:
    """A fee line to keep: its split, and what the hospital said of it besides."""

    split: LineSplit
    refund_of: str | None
    med_list_codg: str
    hospital_code: str | None
    occurred_at: datetime | None


@dataclass(frozen=True, slots=True)
class UploadedLine:
    mdtrt_id: str
    feedetl_sn: str
    status: str
    setl_id: str | None


def _count(status: str) -> int:
    """The row count of a command tag (``UPDATE 3``)."""
    return int(status.rsplit(" ", 1)[-1])


_VISIT_COLUMNS = ", ".join(VisitRecord.__slots__)
_VISIT = f"SELECT {_VISIT_COLUMNS} FROM visit WHERE mdtrt_id = $1"
_ADD_VISIT = """
    INSERT INTO visit (mdtrt_id, fixmedins_code, psn_no, insutype, insuplc_admdvs,
        mdtrtarea_admvs, inpatient, med_type, state, begntime, endtime, emergency, trum_flag,
        rel_ttp_flag, ipt_otp_no, opsp_dise_code, details, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb,
        $18, $18)
"""
_SETTABLE = frozenset(
    {
        "state", "begntime", "endtime", "med_type", "ipt_otp_no", "emergency", "trum_flag",
        "rel_ttp_flag", "opsp_dise_code",
    }
)  # fmt: skip
"""The visit columns a use case changes (names checked: they become part of the statement)."""
_MOVE = """
    UPDATE visit SET state = $3, updated_at = $4 WHERE mdtrt_id = $1 AND state = $2
"""
_TO_SETTLING = f"""
    UPDATE visit SET state = $6, updated_at = now()
     WHERE mdtrt_id = $1 AND fixmedins_code = $2 AND psn_no = $3 AND inpatient = $4
       AND state = $5
    RETURNING {_VISIT_COLUMNS}
"""

_LINES = """
    SELECT feedetl_sn, med_list_codg, cnt, status, setl_id FROM fee_line WHERE mdtrt_id = $1
"""
_REFUNDED_CNT = """
    SELECT coalesce(sum(cnt), 0) FROM fee_line
     WHERE mdtrt_id = $1 AND init_feedetl_sn = $2 AND status = 'active'
"""
_ADD_LINE = """
    INSERT INTO fee_line (mdtrt_id, feedetl_sn, init_feedetl_sn, med_list_codg,
        medins_list_codg, fee_ocur_time, pric, cnt, det_item_fee_sumamt, fulamt_ownpay_amt,
        overlmt_amt, preselfpay_amt, inscp_scp_amt, pric_uplmt_amt, selfpay_prop, chrgitm_lv,
        med_chrgitm_type, in_catalogue, status, setl_id, msgid, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
        'active', NULL, $19, $20)
"""
_CANCEL_LINES = """
    UPDATE fee_line SET status = 'cancelled'
     WHERE mdtrt_id = $1 AND status = 'active' AND setl_id IS NULL
       AND ($2::text[] IS NULL OR feedetl_sn = ANY($2::text[]))
"""
_UPLOADED_BY = "SELECT mdtrt_id, feedetl_sn, status, setl_id FROM fee_line WHERE msgid = $1"
_REFUNDS_OF = """
    SELECT count(*) FROM fee_line
     WHERE mdtrt_id = $1 AND init_feedetl_sn = ANY($2::text[]) AND status = 'active'
       AND msgid IS DISTINCT FROM $3
"""
_CANCEL_UPLOAD = """
    UPDATE fee_line SET status = 'cancelled'
     WHERE msgid = $1 AND status = 'active' AND setl_id IS NULL
"""
_UNSETTLED_TOTAL = """
    SELECT coalesce(sum(det_item_fee_sumamt), 0) FROM fee_line
     WHERE mdtrt_id = $1 AND status = 'active' AND setl_id IS NULL
"""
_SPLITS = f"""
    SELECT {", ".join(LineSplit.__dataclass_fields__)} FROM fee_line
     WHERE mdtrt_id = $1 AND status = 'active' ORDER BY id
"""


class Visits:
    """The visit and fee-line statements on one connection (the unit of work's) or the pool."""

    def __init__(self, db: asyncpg.Pool | asyncpg.Connection) -> None:
        self._db = db

    # ---- the visit

    async def add(
        self,
        *,
        mdtrt_id: str,
        fixmedins_code: str,
        psn_no: str,
        insutype: str,
        insuplc_admdvs: str,
        mdtrtarea_admvs: str,
        inpatient: bool,
        med_type: str,
        state: str,
        begntime: datetime,
        endtime: datetime | None,
        emergency: bool,
        trum_flag: bool,
        rel_ttp_flag: bool,
        ipt_otp_no: str | None,
        opsp_dise_code: str | None,
        details: dict[str, Any],
    ) -> None:
        await self._db.execute(
            _ADD_VISIT,
            mdtrt_id,
            fixmedins_code,
            psn_no,
            insutype,
            insuplc_admdvs,
            mdtrtarea_admvs,
            inpatient,
            med_type,
            state,
            begntime,
            endtime,
            emergency,
            trum_flag,
            rel_ttp_flag,
            ipt_otp_no,
            opsp_dise_code,
            json.dumps(details),  # as SQLAlchemy's JSONB did: any size of integer
            datetime.now(UTC),
        )

    async def get(self, mdtrt_id: str, *, lock: bool = False) -> VisitRecord | None:
        """The visit; with ``lock``, ``FOR UPDATE`` (until the transaction ends)."""
        row = await self._db.fetchrow(_VISIT + (" FOR UPDATE" if lock else ""), mdtrt_id)
        return VisitRecord(*row) if row is not None else None

    async def update(self, mdtrt_id: str, **values: Any) -> None:
        """Set the named columns (and ``updated_at``)."""
        unknown = set(values) - _SETTABLE
        if unknown:
            raise ValueError(f"not a visit column a use case sets: {sorted(unknown)}")
        columns = list(values)
        assignments = "".join(f"{column} = ${n}, " for n, column in enumerate(columns, start=2))
        await self._db.execute(
            f"UPDATE visit SET {assignments}updated_at = ${len(columns) + 2} WHERE mdtrt_id = $1",
            mdtrt_id,
            *values.values(),
            datetime.now(UTC),
        )

    async def move(self, mdtrt_id: str, expected: str, state: str) -> bool:
        """Compare-and-set on the state: of two concurrent settles, one wins."""
        status = await self._db.execute(_MOVE, mdtrt_id, expected, state, datetime.now(UTC))
        return bool(_count(status))

    async def to_settling(
        self,
        mdtrt_id: str,
        fixmedins_code: str,
        psn_no: str,
        inpatient: bool,
        state: str,
        settling: str,
    ) -> VisitRecord | None:
        """Compare-and-set from ``state`` into ``settling``, one statement: None if the visit is
        not as expected.

        Once settling, no fee line may come or go, so the lines read after it are the ones
        settled.
        """
        row = await self._db.fetchrow(
            _TO_SETTLING, mdtrt_id, fixmedins_code, psn_no, inpatient, state, settling
        )
        return VisitRecord(*row) if row is not None else None

    # ---- its fee lines

    async def lines(self, mdtrt_id: str) -> Sequence[StoredLine]:
        return [StoredLine(*row) for row in await self._db.fetch(_LINES, mdtrt_id)]

    async def active_splits(self, mdtrt_id: str) -> list[LineSplit]:
        """The active lines' splits, in upload order: what a settlement is made of."""
        return [LineSplit(*row) for row in await self._db.fetch(_SPLITS, mdtrt_id)]

    async def refunded_cnt(self, mdtrt_id: str, init_feedetl_sn: str) -> Decimal:
        total = await self._db.fetchval(_REFUNDED_CNT, mdtrt_id, init_feedetl_sn)
        return Decimal(total or 0)

    async def add_lines(
        self, mdtrt_id: str, lines: Sequence[NewLine], msgid: str | None = None
    ) -> None:
        """The lines of one upload, each with its split (all or none: the caller's transaction).

        A ``feedetl_sn`` already taken raises ``asyncpg.UniqueViolationError``."""
        now = datetime.now(UTC)
        await self._db.executemany(
            _ADD_LINE,
            [
                (
                    mdtrt_id,
                    line.split.feedetl_sn,
                    line.refund_of,
                    line.med_list_codg,
                    line.hospital_code,
                    line.occurred_at,
                    line.split.pric,
                    line.split.cnt,
                    line.split.det_item_fee_sumamt,
                    line.split.fulamt_ownpay_amt,
                    line.split.overlmt_amt,
                    line.split.preselfpay_amt,
                    line.split.inscp_scp_amt,
                    line.split.pric_uplmt_amt,
                    line.split.selfpay_prop,
                    line.split.chrgitm_lv,
                    line.split.med_chrgitm_type,
                    line.split.in_catalogue,
                    msgid,
                    now,
                )
                for line in lines
            ],
        )

    async def cancel_lines(self, mdtrt_id: str, feedetl_sns: Sequence[str] | None) -> int:
        """Cancel the named active, unsettled lines (all of them when ``None``)."""
        names = list(feedetl_sns) if feedetl_sns is not None else None
        return _count(await self._db.execute(_CANCEL_LINES, mdtrt_id, names))

    async def lines_uploaded_by(self, msgid: str) -> Sequence[UploadedLine]:
        return [UploadedLine(*row) for row in await self._db.fetch(_UPLOADED_BY, msgid)]

    async def refunds_of(
        self, mdtrt_id: str, feedetl_sns: Sequence[str], *, other_than: str
    ) -> int:
        """Active refund lines of another upload that point at these lines."""
        count = await self._db.fetchval(_REFUNDS_OF, mdtrt_id, list(feedetl_sns), other_than)
        return int(count or 0)

    async def cancel_upload(self, msgid: str) -> int:
        return _count(await self._db.execute(_CANCEL_UPLOAD, msgid))

    async def unsettled_total(self, mdtrt_id: str) -> Decimal:
        total = await self._db.fetchval(_UNSETTLED_TOTAL, mdtrt_id)
        return Decimal(total or 0)
