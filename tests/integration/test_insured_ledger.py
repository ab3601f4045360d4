"""The insured region's settlement ledger against real PostgreSQL (issue 13, style 19/21).

Written before the ledger moved, so the move is held to what the old code did: a settle, its
cancel and the reversal of that cancel leave the person-year and the account exactly where the
settle left them — to the cent — and a settle's reversal gives everything back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.insured_region.adapters.policy_loader import load_policies
from services.insured_region.domain.policy import RegionPolicy
from services.insured_region.service_layer import ledger
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from services.insured_region.settings import Settings
from shared.db import run_migrations
from shared.errors import E4003, E4004, E4007, E4008, RelayError
from shared.settlement import CancelPayload, SettlementPayload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
INSURED = "650100"
TREATING = "110000"
HOSPITAL = "H11010100001"
BALANCE = Decimal("800.00")

_ACCUMULATOR = """SELECT inpatient_hifp, inpatient_stays, outpatient_hifp, outpatient_deductible,
                         hifob, hifmi, burden, maf, chronic::text AS chronic
                    FROM accumulator WHERE psn_no = $1 AND year = $2"""


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings()
    run_migrations(ROOT / "services" / "insured_region" / "migrations", settings.database_url)
    return settings


@pytest.fixture(scope="module")
def policies() -> dict[str, RegionPolicy]:
    return dict(load_policies(ROOT / "services" / "insured_region" / "policies"))


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    real = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        yield real
    finally:
        await real.close()


@pytest.fixture
async def psn_no(pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A person of 650100 with an account and a filing to 110000; removed with all they did."""
    psn = f"{INSURED}IL{uuid.uuid4().hex[:16]}"
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO person (psn_no, insuplc_admdvs, psn_cert_type, certno, psn_name, gend,
                                   naty, brdy, created_at)
               VALUES ($1, $2, '01', $3, '测试', '1', '01', '1980-01-01', $4)""",
            psn,
            INSURED,
            f"IL{uuid.uuid4().hex[:16]}",
            now,
        )
        await conn.execute(
            """INSERT INTO insurance (psn_no, insutype, psn_type, psn_insu_stas, psn_insu_date,
                                      cvlserv_flag, balc)
               VALUES ($1, '310', '11', '1', '2010-01-01', false, $2)""",
            psn,
            BALANCE,
        )
        await conn.execute(
            """INSERT INTO filing (filing_id, psn_no, category, dest_admdvs, begndate, status,
                                   commitment, materials_complete, created_at)
               VALUES ($1, $2, '12', $3, $4, 'active', true, true, $5)""",
            f"F{uuid.uuid4().hex[:20]}",
            psn,
            TREATING,
            date.today() - timedelta(days=30),
            now,
        )
    try:
        yield psn
    finally:
        async with pool.acquire() as conn, conn.transaction():
            for table in ("settlement", "accumulator", "filing", "insurance", "person"):
                await conn.execute(f"DELETE FROM {table} WHERE psn_no = $1", psn)


@dataclass(frozen=True)
class Books:
    """What a person's settlements leave behind: the person-year and the account."""

    year: dict[str, Any]
    balance: Decimal


async def books(pool: asyncpg.Pool, psn_no: str) -> Books:
    year = await pool.fetchrow(_ACCUMULATOR, psn_no, date.today().year)
    balance = await pool.fetchval(
        "SELECT balc FROM insurance WHERE psn_no = $1 AND insutype = '310'", psn_no
    )
    return Books(dict(year) if year is not None else {}, balance)


def outpatient_bill(psn_no: str, total: str = "1000.00") -> SettlementPayload:
    today = date.today().isoformat()
    return SettlementPayload.model_validate(
        {
            "psn_no": psn_no,
            "insutype": "310",
            "med_type": "11",
            "medins_lv": 3,
            "begntime": today,
            "endtime": today,
            "medfee_sumamt": total,
            "fulamt_ownpay_amt": "100.00",
            "overlmt_selfpay": "0.00",
            "preselfpay_amt": "50.00",
            "inscp_scp_amt": str(Decimal(total) - Decimal("150.00")),
            "acct_used_flag": "1",
        }
    )


def settle_command(msgid: str, payload: SettlementPayload) -> ledger.SettleCommand:
    return ledger.SettleCommand(
        msgid=msgid,
        infno="2207",
        insured_admdvs=INSURED,
        treating_admdvs=TREATING,
        fixmedins_code=HOSPITAL,
        payload=payload,
    )


def cancel_command(msgid: str, psn_no: str, setl_id: str) -> ledger.CancelCommand:
    return ledger.CancelCommand(
        msgid=msgid,
        infno="2208",
        insured_admdvs=INSURED,
        treating_admdvs=TREATING,
        fixmedins_code=HOSPITAL,
        payload=CancelPayload(psn_no=psn_no, setl_id=setl_id),
    )


def reverse_command(msgid: str, psn_no: str, omsgid: str, oinfno: str) -> ledger.ReverseCommand:
    return ledger.ReverseCommand(
        msgid=msgid,
        insured_admdvs=INSURED,
        treating_admdvs=TREATING,
        fixmedins_code=HOSPITAL,
        omsgid=omsgid,
        oinfno=oinfno,
        psn_no=psn_no,
    )


def msgid() -> str:
    return f"IL{uuid.uuid4().hex[:30]}"


async def test_settle_cancel_and_reverse_the_cancel_round_trip_to_the_cent(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    before = await books(pool, psn_no)

    settled = await ledger.settle(
        UnitOfWork(pool), policies, settle_command(msgid(), outpatient_bill(psn_no))
    )
    after_settle = await books(pool, psn_no)
    setlinfo = settled["setlinfo"]
    assert Decimal(setlinfo["acct_pay"]) > 0, "the account pays part: the account is tested too"
    assert after_settle.balance == BALANCE - Decimal(setlinfo["acct_pay"])
    assert after_settle.year != before.year

    cancel_msgid = msgid()
    cancelled = await ledger.cancel(
        UnitOfWork(pool), cancel_command(cancel_msgid, psn_no, setlinfo["setl_id"])
    )
    assert cancelled["setlinfo"]["refd_setl_flag"] == "1"
    assert cancelled["setlinfo"]["init_setl_id"] == setlinfo["setl_id"]
    assert Decimal(cancelled["setlinfo"]["medfee_sumamt"]) == -Decimal(setlinfo["medfee_sumamt"])
    after_cancel = await books(pool, psn_no)
    assert after_cancel.balance == BALANCE
    assert all(not Decimal(str(v)) for k, v in after_cancel.year.items() if k != "chronic")

    reversed_ = await ledger.reverse(
        UnitOfWork(pool), reverse_command(msgid(), psn_no, cancel_msgid, "2208")
    )
    assert reversed_["result"]["reversed"] == "cancel"
    assert reversed_["setlinfo"]["setl_id"] == setlinfo["setl_id"]
    assert await books(pool, psn_no) == after_settle


async def test_a_settlement_reversed_gives_everything_back_and_only_once(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    before = await books(pool, psn_no)
    original = msgid()
    settled = await ledger.settle(
        UnitOfWork(pool), policies, settle_command(original, outpatient_bill(psn_no))
    )
    undo = reverse_command(msgid(), psn_no, original, "2207")

    first = await ledger.reverse(UnitOfWork(pool), undo)
    again = await ledger.reverse(UnitOfWork(pool), undo)

    assert first["result"]["reversed"] == "settlement"
    assert first["setlinfo"]["init_setl_id"] == settled["setlinfo"]["setl_id"]
    assert again == first
    after = await books(pool, psn_no)
    assert after.balance == before.balance == BALANCE
    assert all(not Decimal(str(v)) for k, v in after.year.items() if k != "chronic")
    with pytest.raises(RelayError) as refused:  # its msgid is spent
        await ledger.cancel(
            UnitOfWork(pool), cancel_command(msgid(), psn_no, settled["setlinfo"]["setl_id"])
        )
    assert refused.value.code == E4004.code


async def test_a_settlements_reversal_naming_a_cancel_is_refused_and_moves_no_money(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    settled = await ledger.settle(
        UnitOfWork(pool), policies, settle_command(msgid(), outpatient_bill(psn_no))
    )
    cancel_msgid = msgid()
    await ledger.cancel(
        UnitOfWork(pool), cancel_command(cancel_msgid, psn_no, settled["setlinfo"]["setl_id"])
    )
    kept = await books(pool, psn_no)

    with pytest.raises(RelayError) as refused:  # the cancel's msgid, named as a settlement
        await ledger.reverse(
            UnitOfWork(pool), reverse_command(msgid(), psn_no, cancel_msgid, "2207")
        )

    assert refused.value.code == E4003.code
    assert await books(pool, psn_no) == kept


async def test_the_stored_answer_of_a_settlements_reversal_says_what_it_reversed(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    original = msgid()
    await ledger.settle(
        UnitOfWork(pool), policies, settle_command(original, outpatient_bill(psn_no))
    )
    undo = reverse_command(msgid(), psn_no, original, "2207")
    answered = await ledger.reverse(UnitOfWork(pool), undo)

    stored = await ledger.stored_answer(UnitOfWork(pool), undo.msgid)

    assert stored == answered
    assert stored is not None
    assert stored["result"] == {"omsgid": original, "oinfno": "2207", "reversed": "settlement"}


async def test_a_reversal_before_its_settlement_refuses_the_late_settlement(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    late = msgid()
    answer = await ledger.reverse(UnitOfWork(pool), reverse_command(msgid(), psn_no, late, "2207"))
    assert answer["result"]["reversed"] == "tombstone"

    with pytest.raises(RelayError) as refused:
        await ledger.settle(
            UnitOfWork(pool), policies, settle_command(late, outpatient_bill(psn_no))
        )

    assert refused.value.code == E4007.code
    assert (await books(pool, psn_no)).balance == BALANCE


async def test_a_cancel_is_not_reversed_once_a_later_settlement_rests_on_it(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    settled = await ledger.settle(
        UnitOfWork(pool), policies, settle_command(msgid(), outpatient_bill(psn_no))
    )
    cancel_msgid = msgid()
    await ledger.cancel(
        UnitOfWork(pool), cancel_command(cancel_msgid, psn_no, settled["setlinfo"]["setl_id"])
    )
    await ledger.settle(
        UnitOfWork(pool), policies, settle_command(msgid(), outpatient_bill(psn_no, "300.00"))
    )
    kept = await books(pool, psn_no)

    with pytest.raises(RelayError) as refused:
        await ledger.reverse(
            UnitOfWork(pool), reverse_command(msgid(), psn_no, cancel_msgid, "2208")
        )

    assert refused.value.code == E4008.code
    assert await books(pool, psn_no) == kept


# ---- the unit of work's contract (cosmicpython's three tests)


async def tombstoned(pool: asyncpg.Pool, omsgid: str) -> bool:
    return bool(
        await pool.fetchval("SELECT count(*) FROM reversal_tombstone WHERE omsgid = $1", omsgid)
    )


async def test_the_unit_of_work_keeps_what_it_committed(pool: asyncpg.Pool) -> None:
    omsgid = msgid()
    async with UnitOfWork(pool) as uow:
        await uow.ledger.add_tombstone(omsgid=omsgid, oinfno="2207", msgid=msgid())
        await uow.commit()

    assert await tombstoned(pool, omsgid)


async def test_the_unit_of_work_rolls_back_by_default(pool: asyncpg.Pool) -> None:
    omsgid = msgid()
    async with UnitOfWork(pool) as uow:
        await uow.ledger.add_tombstone(omsgid=omsgid, oinfno="2207", msgid=msgid())

    assert not await tombstoned(pool, omsgid)


async def test_the_unit_of_work_rolls_back_on_error(pool: asyncpg.Pool) -> None:
    omsgid = msgid()

    class Refused(Exception):
        pass

    async def refused_midway() -> None:
        async with UnitOfWork(pool) as uow:
            await uow.ledger.add_tombstone(omsgid=omsgid, oinfno="2207", msgid=msgid())
            raise Refused

    with pytest.raises(Refused):
        await refused_midway()

    assert not await tombstoned(pool, omsgid)
    assert pool.get_size() - pool.get_idle_size() == 0, "the connection went back to the pool"


async def test_the_unit_of_work_refuses_statements_outside_its_block(pool: asyncpg.Pool) -> None:
    uow = UnitOfWork(pool)
    async with uow:
        await uow.commit()
        with pytest.raises(RuntimeError):
            uow.ledger  # noqa: B018  (after its commit)
    with pytest.raises(RuntimeError):
        uow.ledger  # noqa: B018  (after its block)
    assert pool.get_size() - pool.get_idle_size() == 0


async def test_concurrent_settlements_of_one_person_serialize(
    pool: asyncpg.Pool, policies: dict[str, RegionPolicy], psn_no: str
) -> None:
    """Eight settles at once on one account: each sees the balance the one before left."""
    bills = [outpatient_bill(psn_no, "300.00") for _ in range(8)]

    answers = await asyncio.gather(
        *(ledger.settle(UnitOfWork(pool), policies, settle_command(msgid(), b)) for b in bills)
    )

    paid = sum(Decimal(a["setlinfo"]["acct_pay"]) for a in answers)
    assert paid > 0
    assert (await books(pool, psn_no)).balance == BALANCE - paid
    # one chain: each settlement started from the balance another one left (the first from
    # the account's), which two settlements reading one balance at once would break
    steps = [
        (Decimal(a["setlinfo"]["balc"]) + Decimal(a["setlinfo"]["acct_pay"]), a) for a in answers
    ]
    balance = BALANCE
    while steps:
        step = next((s for s in steps if s[0] == balance), None)
        assert step is not None, f"no settlement started from {balance}"
        steps.remove(step)
        balance = Decimal(step[1]["setlinfo"]["balc"])
