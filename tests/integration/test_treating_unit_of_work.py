"""The treating region's unit of work and visit repository against real PostgreSQL.

The unit of work's contract is the insured region's (``test_insured_ledger.py``): it keeps what
it committed, rolls back by default and on an error, and gives its connection back. The
repository's statements are held to what the SQLAlchemy Core functions they replaced did.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from services.treating_region.adapters import ledger
from services.treating_region.adapters.visits import NewLine, Visits
from services.treating_region.domain.split import LineSplit
from services.treating_region.domain.visit import VisitState
from services.treating_region.service_layer.unit_of_work import UnitOfWork
from services.treating_region.settings import Settings
from shared.db import run_migrations

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HOSPITAL = "H65010100001"


@pytest.fixture(scope="module")
def dsn() -> str:
    url = Settings().database_url
    run_migrations(ROOT / "services" / "treating_region" / "migrations", url)
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    real = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        yield real
    finally:
        await real.close()


@pytest.fixture
async def mdtrt_id(pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A fresh visit id; whatever a test kept under it is removed (the database is shared)."""
    visit = f"UW{uuid.uuid4().hex[:20]}"
    try:
        yield visit
    finally:
        async with pool.acquire() as conn, conn.transaction():
            for table in ("settlement", "fee_line", "visit"):
                await conn.execute(f"DELETE FROM {table} WHERE mdtrt_id = $1", visit)


@pytest.fixture
async def conn(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection in a transaction that the test rolls back."""
    connection = await asyncpg.connect(dsn)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


async def add_visit(visits: Visits, mdtrt_id: str, *, inpatient: bool = True) -> None:
    await visits.add(
        mdtrt_id=mdtrt_id,
        fixmedins_code=HOSPITAL,
        psn_no="P1",
        insutype="310",
        insuplc_admdvs="650100",
        mdtrtarea_admvs="150100",
        inpatient=inpatient,
        med_type="21" if inpatient else "11",
        state=(VisitState.ADMITTED if inpatient else VisitState.REGISTERED).value,
        begntime=datetime.now(UTC) - timedelta(days=2),
        endtime=None,
        emergency=False,
        trum_flag=False,
        rel_ttp_flag=False,
        ipt_otp_no="Z1",
        opsp_dise_code=None,
        details={"dept": "内科"},
    )


def line(sn: str, amount: str, *, cnt: str = "1", refund_of: str | None = None) -> NewLine:
    money = Decimal(amount)
    split = LineSplit(
        feedetl_sn=sn,
        det_item_fee_sumamt=money,
        cnt=Decimal(cnt),
        pric=abs(money / Decimal(cnt)),
        pric_uplmt_amt=None,
        selfpay_prop=Decimal("0"),
        fulamt_ownpay_amt=Decimal("0.00"),
        overlmt_amt=Decimal("0.00"),
        preselfpay_amt=Decimal("0.00"),
        inscp_scp_amt=money,
        chrgitm_lv="01",
        med_chrgitm_type="01",
        in_catalogue=True,
    )
    return NewLine(split, refund_of, "X", None, None)


async def kept(pool: asyncpg.Pool, mdtrt_id: str) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM visit WHERE mdtrt_id = $1", mdtrt_id))


# ---------------------------------------------------------------- the unit of work's contract


async def test_the_unit_of_work_keeps_what_it_committed(pool: asyncpg.Pool, mdtrt_id: str) -> None:
    async with UnitOfWork(pool) as uow:
        await add_visit(uow.visits, mdtrt_id)
        await uow.commit()

    assert await kept(pool, mdtrt_id)


async def test_the_unit_of_work_rolls_back_by_default(pool: asyncpg.Pool, mdtrt_id: str) -> None:
    async with UnitOfWork(pool) as uow:
        await add_visit(uow.visits, mdtrt_id)

    assert not await kept(pool, mdtrt_id)


async def test_the_unit_of_work_rolls_back_on_error(pool: asyncpg.Pool, mdtrt_id: str) -> None:
    class Refused(Exception):
        pass

    async def refused_midway() -> None:
        async with UnitOfWork(pool) as uow:
            await add_visit(uow.visits, mdtrt_id)
            raise Refused

    with pytest.raises(Refused):
        await refused_midway()

    assert not await kept(pool, mdtrt_id)
    assert pool.get_size() - pool.get_idle_size() == 0, "the connection went back to the pool"


async def test_the_ledger_writes_in_the_unit_of_works_transaction(
    pool: asyncpg.Pool, mdtrt_id: str
) -> None:
    """A settlement recorded through ``uow.ledger`` goes with the transaction: or not at all."""
    async with UnitOfWork(pool) as uow:
        await add_visit(uow.visits, mdtrt_id)
        await uow.visits.add_lines(mdtrt_id, [line("1", "10.00")])
        info = {
            "setl_id": f"ST{uuid.uuid4().hex[:16]}",
            "mdtrt_id": mdtrt_id,
            "psn_no": "P1",
            "medfee_sumamt": "10.00",
            "fund_pay_sumamt": "0.00",
            "acct_pay": "0.00",
            "psn_cash_pay": "10.00",
        }
        entry = ledger.entry_of({"setlinfo": info}, msgid=f"S{uuid.uuid4().hex}", infno="2207")
        assert await uow.ledger.record(entry)
        assert await uow.ledger.by_setl_id(info["setl_id"]) is not None

    assert not await kept(pool, mdtrt_id)
    assert await ledger.Ledger(pool).by_setl_id(info["setl_id"]) is None


async def test_a_unit_of_work_opened_again_is_a_new_transaction(
    pool: asyncpg.Pool, mdtrt_id: str
) -> None:
    """A use case that relays between two transactions opens the same uow twice."""
    uow = UnitOfWork(pool)
    async with uow:
        await add_visit(uow.visits, mdtrt_id)
        await uow.commit()
    async with uow:
        await uow.visits.update(mdtrt_id, state=VisitState.DISCHARGED.value)
    async with uow:
        assert await uow.visits.move(
            mdtrt_id, VisitState.ADMITTED.value, VisitState.DISCHARGED.value
        )
        await uow.commit()

    visit = await Visits(pool).get(mdtrt_id)
    assert visit is not None
    assert visit.state == VisitState.DISCHARGED
    assert pool.get_size() - pool.get_idle_size() == 0


# ---------------------------------------------------------------- the visit repository


async def test_a_visit_reads_back_as_it_was_written_and_moves_by_compare_and_set(
    conn: asyncpg.Connection,
) -> None:
    visits = Visits(conn)
    mdtrt_id = f"UW{uuid.uuid4().hex[:20]}"
    await add_visit(visits, mdtrt_id)

    visit = await visits.get(mdtrt_id, lock=True)
    assert visit is not None
    assert (visit.mdtrt_id, visit.fixmedins_code, visit.state) == (
        mdtrt_id,
        HOSPITAL,
        VisitState.ADMITTED,
    )
    assert visit.inpatient
    assert visit.endtime is None
    assert visit.begntime.tzinfo is not None
    details = await conn.fetchval(
        "SELECT details->>'dept' FROM visit WHERE mdtrt_id = $1", mdtrt_id
    )
    assert details == "内科"

    ended = datetime.now(UTC)
    await visits.update(mdtrt_id, state=VisitState.DISCHARGED.value, endtime=ended)
    visit = await visits.get(mdtrt_id)
    assert visit is not None
    assert visit.state == VisitState.DISCHARGED
    assert visit.endtime == ended
    await visits.update(mdtrt_id, endtime=None)
    assert (await visits.get(mdtrt_id)).endtime is None  # type: ignore[union-attr]

    with pytest.raises(ValueError, match="psn_no"):
        await visits.update(mdtrt_id, psn_no="P2")

    assert not await visits.move(mdtrt_id, VisitState.ADMITTED.value, VisitState.SETTLING.value)
    assert await visits.move(mdtrt_id, VisitState.DISCHARGED.value, VisitState.SETTLING.value)
    assert (await visits.get(mdtrt_id)).state == VisitState.SETTLING  # type: ignore[union-attr]
    assert await visits.get(f"NONE{uuid.uuid4().hex[:16]}") is None


async def test_fee_lines_refunds_and_cancels(conn: asyncpg.Connection) -> None:
    visits = Visits(conn)
    mdtrt_id = f"UW{uuid.uuid4().hex[:20]}"
    upload, refund = f"U{uuid.uuid4().hex}", f"R{uuid.uuid4().hex}"
    await add_visit(visits, mdtrt_id)
    await visits.add_lines(
        mdtrt_id, [line("1", "30.00", cnt="3"), line("2", "20.50"), line("3", "5.00")], upload
    )
    await visits.add_lines(mdtrt_id, [line("4", "-10.00", cnt="-1", refund_of="1")], refund)

    stored = {stored.feedetl_sn: stored for stored in await visits.lines(mdtrt_id)}
    assert set(stored) == {"1", "2", "3", "4"}
    assert stored["1"].cnt == Decimal("3")
    assert stored["1"].status == "active"
    assert stored["1"].setl_id is None
    assert [split.feedetl_sn for split in await visits.active_splits(mdtrt_id)] == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert await visits.refunded_cnt(mdtrt_id, "1") == Decimal("-1")
    assert await visits.refunded_cnt(mdtrt_id, "2") == Decimal("0")
    assert await visits.unsettled_total(mdtrt_id) == Decimal("45.50")
    assert {line.feedetl_sn for line in await visits.lines_uploaded_by(upload)} == {"1", "2", "3"}
    assert await visits.refunds_of(mdtrt_id, ["1", "2"], other_than=upload) == 1
    assert await visits.refunds_of(mdtrt_id, ["1"], other_than=refund) == 0

    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        async with conn.transaction():  # a savepoint: the test's transaction goes on
            await visits.add_lines(mdtrt_id, [line("2", "1.00")], f"D{uuid.uuid4().hex}")

    assert await visits.cancel_lines(mdtrt_id, ["3"]) == 1
    assert await visits.cancel_lines(mdtrt_id, ["3"]) == 0
    assert await visits.cancel_upload(refund) == 1
    assert await visits.refunded_cnt(mdtrt_id, "1") == Decimal("0")
    await conn.execute(
        "UPDATE fee_line SET setl_id = 'ST1' WHERE mdtrt_id = $1 AND feedetl_sn = '2'", mdtrt_id
    )
    assert await visits.cancel_lines(mdtrt_id, None) == 1  # line 1: line 2 is settled
    assert await visits.unsettled_total(mdtrt_id) == Decimal("0")
    assert await visits.cancel_upload(upload) == 0
    statuses = {line.feedetl_sn: line.status for line in await visits.lines(mdtrt_id)}
    assert statuses == {"1": "cancelled", "2": "active", "3": "cancelled", "4": "cancelled"}


async def test_of_concurrent_settles_of_one_visit_one_moves_it_to_settling(
    pool: asyncpg.Pool, mdtrt_id: str
) -> None:
    """The settle path's compare-and-set, autocommitted on the pool: one winner."""
    async with UnitOfWork(pool) as uow:
        await add_visit(uow.visits, mdtrt_id, inpatient=False)
        await uow.commit()
    opened, settling = VisitState.REGISTERED.value, VisitState.SETTLING.value

    won = await asyncio.gather(
        *(
            Visits(pool).to_settling(mdtrt_id, HOSPITAL, "P1", False, opened, settling)
            for _ in range(8)
        )
    )

    assert len([visit for visit in won if visit is not None]) == 1
    visit = await Visits(pool).get(mdtrt_id)
    assert visit is not None
    assert visit.state == VisitState.SETTLING
