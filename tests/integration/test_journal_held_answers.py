"""The journal's writer against the hub's real database: an answer read before, or without, the
copy of its request is held, not booked, and booked once the request's copy passes or the
treating region's statement lists what it books (design §4, "How the books mend it"); nothing a
region publishes can stop the journal by being held."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.national_hub.adapters import held_answers, journal, relay_log
from services.national_hub.adapters.journal import Read
from services.national_hub.domain import reconciliation
from services.national_hub.domain.books import Answer, Booking, Void
from services.national_hub.domain.reconciliation import Held
from services.national_hub.settings import Settings
from shared.db import run_migrations
from shared.envelope import MessageKind, RelayEnvelope
from tests.unit.national_hub.test_books import DETAIL, setlinfo

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
        for table in ("book_entry", "held_answer", "relay_log"):
            await real.execute(f"DELETE FROM {table} WHERE msgid LIKE 'HELD%'")
        await real.close()


def setl_id() -> str:
    return f"A650100261203{uuid.uuid4().int % 10**7:07d}"


def settled(setl: str, **changes: Any) -> dict[str, Any]:
    return {"setlinfo": setlinfo(setl, **changes), "setldetail": DETAIL}


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


def request_read(msgid: str, psn_no: str = "P1") -> Read:
    envelope = message(MessageKind.REQUEST, msgid, {"data": {"psn_no": psn_no}})
    row = relay_log.log_row(envelope, stage="insured", outcome="sent", route=None)
    return Read(next(_offsets), row, asks=(msgid, "650100"))


def reply_read(msgid: str, payload: dict[str, Any], fixmedins_code: str = "H11000000001") -> Read:
    """The insured region's answer, as ``journal.read`` makes it of a message its user sent."""
    envelope = message(MessageKind.REPLY, msgid, payload)
    row = relay_log.log_row(envelope, stage="reply", outcome="sent", route=None)
    answer = Answer("2207", msgid, "110000", "650100", fixmedins_code, payload)
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


def listing(*vouched: tuple[str, str]) -> Callable[[tuple[Booking | Void, ...]], bool]:
    """The treating statement's check, for a statement listing these (msgid, setl_id) as
    ``settled()`` settles them (on 1 February 2026 in China)."""
    listed = {
        s: Held(s, m, "110000", "650100", Decimal("100.00"), Decimal("50.00"), Decimal("20.00"))
        for m, s in vouched
    }
    return partial(reconciliation.vouches, date(2026, 2, 1), listed, frozenset())


async def test_the_treating_statement_books_an_answer_whose_request_never_passed(
    pool: asyncpg.Pool,
) -> None:
    vouched, elsewhere, doctored = msgid(), msgid(), msgid()
    s1, s2, s3 = setl_id(), setl_id(), setl_id()
    await journal.write(
        pool,
        [
            reply_read(vouched, settled(s1)),
            reply_read(elsewhere, settled(s2)),
            reply_read(doctored, settled(s3, acct_pay="10.00", psn_cash_pay="40.00")),
        ],
        STREAM,
    )
    for m in (vouched, elsewhere, doctored):
        assert await held(pool, m) == (False, None)

    # the statement lists all three, but one request went to another region, and the third
    # answer books other money than the treating region settled
    statement = listing((vouched, s1), (elsewhere, s2), (doctored, s3))
    listed = [(vouched, "650100"), (elsewhere, "120000"), (doctored, "650100")]
    assert await journal.repair(pool, listed, statement) == [vouched]
    assert await booked(pool, vouched) == [s1]
    assert await held(pool, vouched) == (True, "treating")
    for m in (elsewhere, doctored):
        assert await booked(pool, m) == []
        assert await held(pool, m) == (False, None)

    # asked again (another reconciliation of the day): nothing more is booked
    assert await journal.repair(pool, listed, statement) == []
    assert await booked(pool, vouched) == [s1]


async def test_a_request_copy_the_log_skips_releases_nothing(pool: asyncpg.Pool) -> None:
    m, s = msgid(), setl_id()
    await journal.write(pool, [reply_read(m, settled(s))], STREAM)
    # the request's copy passes, but its row is one the log cannot take (psn_no too long)
    await journal.write(pool, [request_read(m, psn_no="P" * 31)], STREAM)
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM relay_log WHERE msgid = $1 AND kind = 'request'", m
        )
        == 0
    )
    assert (await booked(pool, m), await held(pool, m)) == ([], (False, None))
    # a good copy (redelivered) releases and books it
    await journal.write(pool, [request_read(m)], STREAM)
    assert (await booked(pool, m), await held(pool, m)) == ([s], (True, "request"))


async def test_an_answer_already_booked_is_not_held_again(pool: asyncpg.Pool) -> None:
    m, s = msgid(), setl_id()
    await journal.write(pool, [request_read(m), reply_read(m, settled(s))], STREAM)
    # the log rebuilt from a stream that no longer holds the request's copy: the answer again
    await pool.execute("DELETE FROM relay_log WHERE msgid = $1", m)
    await journal.write(pool, [reply_read(m, settled(s))], STREAM)
    assert (await booked(pool, m), await held(pool, m)) == ([s], None)


async def test_what_cannot_be_held_is_skipped_and_the_journal_goes_on(pool: asyncpg.Pool) -> None:
    wide, nul, huge, good = msgid(), msgid(), msgid(), msgid()
    batch = [
        reply_read(wide, settled(setl_id()), fixmedins_code="H" * 13),  # wider than its column
        reply_read(nul, {**settled(setl_id()), "result": {"note": "a\x00b"}}),  # jsonb refuses
        reply_read(huge, {**settled(setl_id()), "result": {"n": 10**20}}),  # past 64 bits
        reply_read(good, settled(setl_id())),
    ]
    await journal.write(pool, batch, STREAM)
    for skipped in (wide, nul, huge):
        assert await held(pool, skipped) is None
    assert await held(pool, good) == (False, None)
    # the offset after the batch is stored: the journal reads on
    stored = await pool.fetchval("SELECT next_offset FROM journal_offset WHERE stream = $1", STREAM)
    assert stored == batch[-1].offset + 1


async def acct_pay_booked(pool: asyncpg.Pool, msgid: str) -> list[str]:
    rows = await pool.fetch("SELECT acct_pay::text FROM book_entry WHERE msgid = $1", msgid)
    return [r["acct_pay"] for r in rows]


async def test_the_held_answer_goes_before_a_second_answer_to_the_same_request(
    pool: asyncpg.Pool,
) -> None:
    m, s = msgid(), setl_id()
    await journal.write(pool, [reply_read(m, settled(s))], STREAM)
    # the request's copy comes with another answer to it, other money for the same settlement
    second = settled(s, acct_pay="10.00", psn_cash_pay="40.00")
    await journal.write(pool, [request_read(m), reply_read(m, second)], STREAM)
    assert await acct_pay_booked(pool, m) == ["20.00"]


async def test_an_answer_nothing_released_in_time_expires_and_never_books(
    pool: asyncpg.Pool,
) -> None:
    m, s = msgid(), setl_id()
    await journal.write(pool, [reply_read(m, settled(s))], STREAM)
    now = datetime.now(UTC)
    await pool.execute(
        "UPDATE held_answer SET held_at = $2 WHERE msgid = $1",
        m,
        now - timedelta(days=held_answers.HELD_DAYS + 1),
    )
    assert await held_answers.expire(pool, now) >= 1
    assert await held(pool, m) == (True, "expired")
    await journal.write(pool, [request_read(m)], STREAM)
    assert await booked(pool, m) == []


async def test_the_days_held_answers_settle_on_are_named_for_the_keeper(
    pool: asyncpg.Pool,
) -> None:
    m, s = msgid(), setl_id()
    setl_time = "2026-02-27T17:30:00+00:00"  # 01:30 on the 28th in China
    await journal.write(pool, [reply_read(m, settled(s, setl_time=setl_time))], STREAM)
    held_at = await pool.fetchval("SELECT held_at FROM held_answer WHERE msgid = $1", m)
    days = await held_answers.waiting_days(pool)
    assert days[date(2026, 2, 28)] >= held_at
    await journal.write(pool, [request_read(m)], STREAM)  # released: its day is no longer named
    assert await booked(pool, m) != []
    assert date(2026, 2, 28) not in await held_answers.waiting_days(pool)
