"""The settlement ledger at the treating region: the only way a settlement, its cancel mirror, or
the mirror's undoing is written — on time and by a late reply alike (asyncpg, one statement each).

Each write keeps the visit and its fee lines in step with the settlement row in the same
statement, so a ledger entry and the visit's state never disagree. ``Ledger`` is bound to the
unit of work's connection (``uow.ledger``: its writes join that transaction) or to the pool
(each write its own autocommitted statement: the settle path's, no BEGIN/COMMIT round trips).
The states written come from the visit's state machine (``domain/visit.py``), not from literals
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from services.treating_region.domain.visit import ALLOWED, Action, VisitState, transition
from shared import clock


@dataclass(frozen=True, slots=True)
class Entry:
    """One settlement as the insured region answered it (``setlinfo`` + ``setldetail``)."""

    setl_id: str
    mdtrt_id: str
    msgid: str
    infno: str
    psn_no: str
    cancel: bool
    """A negative mirror (``refd_setl_flag`` 1): a cancel, or a settlement's 2601."""
    init_setl_id: str | None
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    setlinfo: dict[str, Any]
    setldetail: list[dict[str, Any]]
    categories: list[dict[str, Any]]


def entry_of(
    answer: dict[str, Any],
    *,
    msgid: str,
    infno: str,
    categories: list[dict[str, Any]] | None = None,
) -> Entry:
    """The entry the insured region's answer to ``msgid`` makes (its ``setlinfo`` is required)."""
    info = answer["setlinfo"]
    return Entry(
        setl_id=info["setl_id"],
        mdtrt_id=info["mdtrt_id"],
        msgid=msgid,
        infno=infno,
        psn_no=info["psn_no"],
        cancel=info.get("refd_setl_flag") == "1",
        init_setl_id=info.get("init_setl_id"),
        medfee_sumamt=Decimal(info["medfee_sumamt"]),
        fund_pay_sumamt=Decimal(info["fund_pay_sumamt"]),
        acct_pay=Decimal(info["acct_pay"]),
        psn_cash_pay=Decimal(info["psn_cash_pay"]),
        setlinfo=info,
        setldetail=answer.get("setldetail", []),
        categories=categories or [],
    )


def _after(state: VisitState, action: Action) -> tuple[str, str]:
    """The visit's state after ``action``, for an inpatient and an outpatient visit."""
    return (
        transition(state, action, inpatient=True).value,
        transition(state, action, inpatient=False).value,
    )


SETTLED = _after(VisitState.SETTLING, Action.SETTLE_DONE)
CANCELLED = _after(VisitState.CANCELLING, Action.CANCEL_DONE)
REINSTATABLE = [state.value for state in ALLOWED[Action.REVERSE_CANCEL]]
"""The states from which a cancel's 2601 puts the settlement back (the visit reopened or is
still cancelling)."""
REINSTATED = transition(VisitState.CANCELLING, Action.REVERSE_CANCEL, inpatient=True).value

_RECORD = """
    WITH s AS (
        INSERT INTO settlement (setl_id, mdtrt_id, msgid, infno, psn_no, fixmedins_code,
            insuplc_admdvs, mdtrtarea_admvs, refd_setl_flag, init_setl_id, medfee_sumamt,
            fund_pay_sumamt, acct_pay, psn_cash_pay, setlinfo, setldetail, categories, created_at)
        SELECT $1, mdtrt_id, $3, $4, $5, fixmedins_code, insuplc_admdvs, mdtrtarea_admvs,
               $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14::jsonb, $19
          FROM visit WHERE mdtrt_id = $2
        ON CONFLICT DO NOTHING
        RETURNING setl_id
    ), v AS (
        UPDATE visit SET state = CASE WHEN inpatient THEN $15::text ELSE $16::text END,
                         updated_at = now()
         WHERE mdtrt_id = $2 AND EXISTS (SELECT 1 FROM s)
    ), l AS (
        UPDATE fee_line SET setl_id = $17::text
         WHERE mdtrt_id = $2 AND status = 'active' AND EXISTS (SELECT 1 FROM s)
    ), m AS (
        UPDATE hospital_message
           SET status = 'ok', output = $18::jsonb, err_code = NULL, err_detail = NULL,
               answered_at = now()
         WHERE msgid = $3 AND $18::jsonb IS NOT NULL
    )
    SELECT count(*) FROM s
"""


_REINSTATE = """
    WITH d AS (
        DELETE FROM settlement
         WHERE msgid = $1 AND EXISTS (SELECT 1 FROM visit WHERE mdtrt_id = $2)
    ), v AS (
        UPDATE visit SET state = $5::text, updated_at = now()
         WHERE mdtrt_id = $2 AND $3::text IS NOT NULL AND state = ANY($4::text[])
        RETURNING mdtrt_id
    ), l AS (
        UPDATE fee_line SET setl_id = $3::text
         WHERE mdtrt_id = $2 AND status = 'active' AND EXISTS (SELECT 1 FROM v)
    )
    SELECT count(*) FROM v
"""


@dataclass(frozen=True, slots=True)
class KeptSettlement:
    """A settlement (or a cancel's mirror) the ledger keeps: which visit, what total."""

    setl_id: str
    mdtrt_id: str
    medfee_sumamt: Decimal


_KEPT = "SELECT setl_id, mdtrt_id, medfee_sumamt FROM settlement"


class Ledger:
    """The ledger's statements on one connection (the unit of work's) or on the pool."""

    def __init__(self, db: asyncpg.Pool | asyncpg.Connection) -> None:
        self._db = db

    async def by_setl_id(self, setl_id: str) -> KeptSettlement | None:
        row = await self._db.fetchrow(f"{_KEPT} WHERE setl_id = $1", setl_id)
        return KeptSettlement(*row) if row is not None else None

    async def by_msgid(self, msgid: str) -> KeptSettlement | None:
        """The settlement kept under ``msgid`` (a cancel's mirror, when it is a cancel's)."""
        row = await self._db.fetchrow(f"{_KEPT} WHERE msgid = $1", msgid)
        return KeptSettlement(*row) if row is not None else None

    async def record(
        self,
        entry: Entry,
        *,
        answered: dict[str, Any] | None = None,
    ) -> bool:
        """Keep a settlement (or its mirror) here, move the visit on and mark its lines — and, with
        ``answered``, answer the hospital's message with it: one statement, one commit.

        Idempotent: a settlement already kept changes nothing (False); one whose visit is not here
        is not kept.
        """
        inpatient_state, outpatient_state = CANCELLED if entry.cancel else SETTLED
        added = await self._db.fetchval(
            _RECORD,
            entry.setl_id,
            entry.mdtrt_id,
            entry.msgid,
            entry.infno,
            entry.psn_no,
            "1" if entry.cancel else "0",
            entry.init_setl_id,
            entry.medfee_sumamt,
            entry.fund_pay_sumamt,
            entry.acct_pay,
            entry.psn_cash_pay,
            orjson.dumps(entry.setlinfo).decode(),
            orjson.dumps(entry.setldetail).decode(),
            orjson.dumps(entry.categories).decode(),
            inpatient_state,
            outpatient_state,
            None if entry.cancel else entry.setl_id,
            orjson.dumps(answered).decode() if answered is not None else None,
            clock.now(),
        )
        return bool(added)

    async def reinstate(self, *, cancel_msgid: str, mdtrt_id: str, setl_id: str | None) -> bool:
        """A cancel undone (its 2601): its mirror goes, and the settlement ``setl_id`` stands
        again — the visit settled, its lines settled by it — where the visit was reopened or
        cancelling. One statement; True if the visit moved."""
        moved = await self._db.fetchval(
            _REINSTATE, cancel_msgid, mdtrt_id, setl_id, REINSTATABLE, REINSTATED
        )
        return bool(moved)


BUSINESS_DAY = (
    "((setlinfo->>'setl_time')::timestamptz AT TIME ZONE 'UTC' + interval '8 hours')::date"
)
"""A kept settlement's business day in China: the insured region's ``setl_time``."""

_DAY = f"""
    SELECT setl_id, msgid, mdtrtarea_admvs, insuplc_admdvs, refd_setl_flag, medfee_sumamt,
           fund_pay_sumamt, acct_pay,
           (setlinfo->>'hifp_pay')::numeric AS hifp_pay,
           (setlinfo->>'hifob_pay')::numeric AS hifob_pay,
           (setlinfo->>'hifmi_pay')::numeric AS hifmi_pay,
           (setlinfo->>'cvlserv_pay')::numeric AS cvlserv_pay,
           (setlinfo->>'maf_pay')::numeric AS maf_pay,
           (setlinfo->>'oth_pay')::numeric AS oth_pay
      FROM settlement
     WHERE {BUSINESS_DAY} = $1
     ORDER BY setl_id
"""
_OPEN = """
    SELECT msgid FROM hospital_message
     WHERE status IN ('unknown', 'pending') AND infno = ANY($1::text[]) ORDER BY msgid
"""


async def day_statement(
    pool: asyncpg.Pool, day: date, infnos: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The settlements this ledger files under ``day``, and the messages among ``infnos``
    whose outcome is not known here yet (for the hub's daily reconciliation)."""
    rows = [dict(r) for r in await pool.fetch(_DAY, day)]
    open_msgids = [r["msgid"] for r in await pool.fetch(_OPEN, infnos)]
    return rows, open_msgids
