"""The treating region's ledger against real PostgreSQL: a settlement, its cancel mirror and the
mirror's undoing each keep the visit, its fee lines and the hospital's message in step, once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.treating_region.adapters import ledger
from services.treating_region.domain.visit import VisitState
from services.treating_region.settings import Settings
from shared.db import run_migrations

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dsn() -> str:
    url = Settings().database_url
    run_migrations(ROOT / "services" / "treating_region" / "migrations", url)
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def conn(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection in a transaction that every test rolls back (the database is shared)."""
    connection = await asyncpg.connect(dsn)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


async def a_visit(conn: asyncpg.Connection, *, inpatient: bool, state: VisitState) -> str:
    """A visit with two active fee lines (100.00 + 20.50) and nothing settled."""
    mdtrt_id = f"IT{uuid.uuid4().hex[:20]}"
    now = datetime.now(UTC)
    await conn.execute(
        """INSERT INTO visit (mdtrt_id, fixmedins_code, psn_no, insutype, insuplc_admdvs,
               mdtrtarea_admvs, inpatient, med_type, state, begntime, emergency, trum_flag,
               rel_ttp_flag, details, created_at, updated_at)
           VALUES ($1, 'H65010100001', 'P1', '310', '650100', '150100', $2, '21', $3, $4,
               false, false, false, '{}'::jsonb, $4, $4)""",
        mdtrt_id,
        inpatient,
        state.value,
        now,
    )
    for sn, amount in (("1", Decimal("100.00")), ("2", Decimal("20.50"))):
        await conn.execute(
            """INSERT INTO fee_line (mdtrt_id, feedetl_sn, med_list_codg, pric, cnt,
                   det_item_fee_sumamt, fulamt_ownpay_amt, overlmt_amt, preselfpay_amt,
                   inscp_scp_amt, selfpay_prop, chrgitm_lv, med_chrgitm_type, in_catalogue,
                   status, created_at)
               VALUES ($1, $2, 'X', $3, 1, $3, 0, 0, 0, $3, 0, '01', '01', true, 'active', $4)""",
            mdtrt_id,
            sn,
            amount,
            now,
        )
    return mdtrt_id


async def a_message(conn: asyncpg.Connection, msgid: str, infno: str) -> None:
    await conn.execute(
        """INSERT INTO hospital_message (msgid, infno, fixmedins_code, mdtrtarea_admvs,
               insuplc_admdvs, body_hash, inf_refmsgid, status, received_at)
           VALUES ($1, $2, 'H65010100001', '150100', '650100', 'h', 'r', 'pending', now())""",
        msgid,
        infno,
    )


def answer(mdtrt_id: str, setl_id: str, *, total: str, init: str | None = None) -> dict[str, Any]:
    info = {
        "setl_id": setl_id,
        "mdtrt_id": mdtrt_id,
        "psn_no": "P1",
        "medfee_sumamt": total,
        "fund_pay_sumamt": "0.00",
        "acct_pay": "0.00",
        "psn_cash_pay": total,
        "refd_setl_flag": "1" if init else "0",
        "init_setl_id": init,
    }
    return {"setlinfo": info, "setldetail": []}


async def state_of(conn: asyncpg.Connection, mdtrt_id: str) -> str:
    return str(await conn.fetchval("SELECT state FROM visit WHERE mdtrt_id = $1", mdtrt_id))


async def lines_settled_by(conn: asyncpg.Connection, mdtrt_id: str) -> set[str | None]:
    rows = await conn.fetch("SELECT setl_id FROM fee_line WHERE mdtrt_id = $1", mdtrt_id)
    return {row["setl_id"] for row in rows}


@pytest.mark.parametrize("inpatient", [True, False], ids=["inpatient", "outpatient"])
async def test_settle_cancel_and_the_cancels_reversal_keep_the_visit_in_step(
    conn: asyncpg.Connection, inpatient: bool
) -> None:
    mdtrt_id = await a_visit(conn, inpatient=inpatient, state=VisitState.SETTLING)
    settle_msgid, cancel_msgid = f"S{uuid.uuid4().hex}", f"C{uuid.uuid4().hex}"
    await a_message(conn, settle_msgid, "2304")
    setl_id, mirror_id = f"ST{uuid.uuid4().hex[:16]}", f"MR{uuid.uuid4().hex[:16]}"
    settled = answer(mdtrt_id, setl_id, total="120.50")

    entry = ledger.entry_of(settled, msgid=settle_msgid, infno="2304")
    assert await ledger.Ledger(conn).record(entry, answered=settled)
    assert await state_of(conn, mdtrt_id) == VisitState.SETTLED
    assert await lines_settled_by(conn, mdtrt_id) == {setl_id}
    message = await conn.fetchrow(
        "SELECT status, output FROM hospital_message WHERE msgid = $1", settle_msgid
    )
    assert message["status"] == "ok"
    assert message["output"] is not None

    # a late reply of the same settlement changes nothing
    assert not await ledger.Ledger(conn).record(entry)

    # its cancel: the mirror is kept, the visit reopens, the lines are free again
    await conn.execute(
        "UPDATE visit SET state = $2 WHERE mdtrt_id = $1", mdtrt_id, VisitState.CANCELLING.value
    )
    mirror = answer(mdtrt_id, mirror_id, total="-120.50", init=setl_id)
    assert await ledger.Ledger(conn).record(
        ledger.entry_of(mirror, msgid=cancel_msgid, infno="2305")
    )
    reopened = VisitState.DISCHARGED if inpatient else VisitState.REGISTERED
    assert await state_of(conn, mdtrt_id) == reopened
    assert await lines_settled_by(conn, mdtrt_id) == {None}
    total = await conn.fetchval(
        "SELECT sum(medfee_sumamt) FROM settlement WHERE mdtrt_id = $1", mdtrt_id
    )
    assert total == Decimal("0.00")

    # the cancel's 2601: the mirror goes, the settlement stands again
    assert await ledger.Ledger(conn).reinstate(
        cancel_msgid=cancel_msgid, mdtrt_id=mdtrt_id, setl_id=setl_id
    )
    assert await state_of(conn, mdtrt_id) == VisitState.SETTLED
    assert await lines_settled_by(conn, mdtrt_id) == {setl_id}
    kept = await conn.fetch("SELECT setl_id FROM settlement WHERE mdtrt_id = $1", mdtrt_id)
    assert [row["setl_id"] for row in kept] == [setl_id]


async def test_a_settlement_of_no_visit_here_is_not_kept(conn: asyncpg.Connection) -> None:
    entry = ledger.entry_of(
        answer(f"NONE{uuid.uuid4().hex[:16]}", f"ST{uuid.uuid4().hex[:16]}", total="1.00"),
        msgid=f"S{uuid.uuid4().hex}",
        infno="2207",
    )
    assert not await ledger.Ledger(conn).record(entry)


async def test_a_reinstate_leaves_a_visit_settled_since_alone(conn: asyncpg.Connection) -> None:
    """Only a visit reopened by the cancel (or still cancelling) takes the settlement back."""
    mdtrt_id = await a_visit(conn, inpatient=True, state=VisitState.ADMITTED)
    assert not await ledger.Ledger(conn).reinstate(
        cancel_msgid=f"C{uuid.uuid4().hex}", mdtrt_id=mdtrt_id, setl_id="ST1"
    )
    assert await state_of(conn, mdtrt_id) == VisitState.ADMITTED
    assert await lines_settled_by(conn, mdtrt_id) == {None}
