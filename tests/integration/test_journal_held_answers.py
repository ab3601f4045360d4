"""The journal's writer against the hub's real database: an answer read before, or without, the
copy of its request is held, not booked, and booked once the request's copy passes or the
treating region's statement vouches for it (design §4, "A known gap")."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.national_hub.adapters import held_answers, journal, relay_log
from services.national_hub.adapters.journal import Read
from services.national_hub.domain.books import Answer
from services.national_hub.settings import Settings
from shared.db import run_migrations
from shared.envelope import MessageKind, RelayEnvelope

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
STREAM = "test.journal.held"


@pytest.fixture(scope="module")
def database_url() -> str:
    url = Settings().database_url
    run_migrations(ROOT / "services" / "national_hub" / "migrations", url)
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    real = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield real
    finally:
        await real.execute("DELETE FROM journal_offset WHERE stream = $1", STREAM)
        await real.close()


def setl_id() -> str:
    return f"A650100261203{uuid.uuid4().int % 10**7:07d}"


def settled(setl: str, **changes: Any) -> dict[str, Any]:
    info = {
        "setl_id": setl, "mdtrt_id": "M1", "psn_no": "P1", "insutype": "310",
        "setl_time": "2026-01-31T04:30:00+00:00", "clr_type": "11", "refd_setl_flag": "0",
        "init_setl_id": None, "medfee_sumamt": "100.00", "fulamt_ownpay_amt": "10.00",
        "overlmt_selfpay": "0.00", "preselfpay_amt": "10.00", "inscp_scp_amt": "80.00",
        "hifp_pay": "50.00", "hifob_pay": "0.00", "hifmi_pay": "0.00", "cvlserv_pay": "0.00",
        "maf_pay": "0.00", "oth_pay": "0.00", "fund_pay_sumamt": "50.00",
        "psn_part_amt": "50.00", "acct_pay": "20.00", "psn_cash_pay": "30.00",
    }  # fmt: skip
    info.update(changes)
    return {"setlinfo": info, "setldetail": [{"fund_payamt": "50.00"}]}


def message(kind: MessageKind, msgid: str, payload: dict[str, Any]) -> RelayEnvelope:
    return RelayEnvelope(
        msgid=msgid,
        infno="2207",
        kind=kind,
        sender_admdvs="110000" if kind == MessageKind.REQUEST else "650100",
        mdtrtarea_admvs="110000",
        insuplc_admdvs="650100",
        fixmedins_code="H11000000001",
        deadline=datetime.now(UTC) + timedelta(seconds=30),
        reply_to="reply.test" if kind == MessageKind.REQUEST else None,
        payload=payload,
    )


_offsets = iter(range(10**9))


def request_read(msgid: str) -> Read:
    envelope = message(MessageKind.REQUEST, msgid, {"data": {"psn_no": "P1"}})
    row = relay_log.log_row(envelope, stage="insured", outcome="sent", route=None)
    return Read(next(_offsets), row, asks=(msgid, "650100"))


def reply_read(msgid: str, payload: dict[str, Any]) -> Read:
    """The insured region's answer, as ``journal.read`` makes it of a message its user sent."""
    envelope = message(MessageKind.REPLY, msgid, payload)
    row = relay_log.log_row(envelope, stage="reply", outcome="sent", route=None)
    answer = Answer("2207", msgid, "110000", "650100", "H11000000001", payload)
    bookings = journal.bookable(answer)
    assert bookings, "the test's answer must be one the books can take"
    return Read(next(_offsets), row, bookings, answer)


async def booked(pool: asyncpg.Pool, msgid: str) -> list[str]:
    rows = await pool.fetch("SELECT book_id FROM book_entry WHERE msgid = $1", msgid)
    return sorted(r["book_id"] for r in rows)


async def held(pool: asyncpg.Pool, msgid: str) -> tuple[Any, ...] | None:
    row = await pool.fetchrow(
        "SELECT released_at IS NOT NULL AS released, released_by FROM held_answer WHERE msgid = $1",
        msgid,
    )
    return tuple(row) if row is not None else None


def msgid() -> str:
    return f"HELD{uuid.uuid4().hex[:24]}"


async def test_an_answer_before_its_request_is_held_then_booked_when_the_request_passes(
    pool: asyncpg.Pool,
) -> None:
    m, s = msgid(), setl_id()
    await journal.write(pool, [reply_read(m, settled(s))], STREAM)
    assert await booked(pool, m) == []
    assert await held(pool, m) == (False, None)

    await journal.write(pool, [request_read(m)], STREAM)
    assert await booked(pool, m) == [s]
    assert await held(pool, m) == (True, "request")

    # read again (a batch whose acknowledgement was lost): still booked once, nothing held anew
    await journal.write(pool, [reply_read(m, settled(s)), request_read(m)], STREAM)
    assert await booked(pool, m) == [s]
    assert await held(pool, m) == (True, "request")


async def test_an_answer_with_its_request_in_the_same_batch_is_booked_and_never_held(
    pool: asyncpg.Pool,
) -> None:
    m, s = msgid(), setl_id()
    await journal.write(pool, [request_read(m), reply_read(m, settled(s))], STREAM)
    assert await booked(pool, m) == [s]
    assert await held(pool, m) is None


async def test_the_treating_regions_word_books_an_answer_whose_request_never_passed(
    pool: asyncpg.Pool,
) -> None:
    vouched, forged = msgid(), msgid()
    s1, s2 = setl_id(), setl_id()
    await journal.write(
        pool, [reply_read(vouched, settled(s1)), reply_read(forged, settled(s2))], STREAM
    )
    assert await held_answers.unreleased(pool) >= 2

    # the statement vouches for one request to 650100; the other was sent nowhere it says
    repaired = await journal.repair(pool, [(vouched, "650100"), (forged, "120000")])
    assert repaired == [vouched]
    assert await booked(pool, vouched) == [s1]
    assert await held(pool, vouched) == (True, "treating")
    assert await booked(pool, forged) == []
    assert await held(pool, forged) == (False, None)

    # asked again (another reconciliation of the day): nothing more is booked
    assert await journal.repair(pool, [(vouched, "650100")]) == []
    assert await booked(pool, vouched) == [s1]


async def test_an_answer_the_books_cannot_take_is_neither_booked_nor_held(
    pool: asyncpg.Pool,
) -> None:
    m = msgid()
    envelope = message(MessageKind.REPLY, m, settled(setl_id(), fund_pay_sumamt="49.00"))
    row = relay_log.log_row(envelope, stage="reply", outcome="sent", route=None)
    answer = Answer("2207", m, "110000", "650100", "H11000000001", envelope.payload)
    assert journal.bookable(answer) == ()  # it does not balance
    await journal.write(pool, [Read(next(_offsets), row)], STREAM)
    assert await journal.repair(pool, [(m, "650100")]) == []
    assert (await booked(pool, m), await held(pool, m)) == ([], None)
