"""Answers held back from the books (design §4, "How the books mend it"): read from the journal
before, or without, the copy of the request they answer.

The books take only answers to requests that passed (``journal._book``): a region cannot book a
settlement nobody asked for. But the journal's copy of a request can come after its answer, or
not at all (RabbitMQ 3.10's stream around a broker restart). Such an answer is held here, and
released into the books when the request's copy passes (``released_by = 'request'``) or when the
treating region's daily statement lists the very settlement the answer books
(``'treating'``). Released rows stay: they are the record of what was repaired, and how.

Only what the books read of an answer is kept (``setlinfo``, ``setldetail``, ``result``), and
nothing larger than ``MAX_HELD_BYTES``: any insured region's broker user may publish a reply,
and holding it must never stop the journal. What no request and no statement ever released is
marked expired after ``HELD_DAYS``; the rows stay, as the record. No route serves them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from services.national_hub.adapters.relay_log import BAD_ROW
from services.national_hub.domain.books import Answer, business_day

log = logging.getLogger(__name__)

Asked = tuple[str, str]
"""A request to an insured region, as ``(msgid, insuplc_admdvs)``."""

BOOKED_KEYS = ("setlinfo", "setldetail", "result")
"""What ``domain.books.bookings_of`` reads of a payload: all a held answer keeps."""
MAX_HELD_BYTES = 256 * 1024
"""A held answer's payload at most (a settlement's ``setlinfo`` and fund lines take a few KB)."""
_WIDTHS = {"msgid": 40, "insuplc_admdvs": 6, "infno": 8, "mdtrtarea_admvs": 6}
_FIXMEDINS_WIDTH = 12

_HOLD = """
    INSERT INTO held_answer (msgid, insuplc_admdvs, infno, mdtrtarea_admvs, fixmedins_code,
                             payload, held_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::jsonb[], $7::timestamptz[])
    ON CONFLICT (msgid, insuplc_admdvs) DO NOTHING
    RETURNING msgid, insuplc_admdvs
"""
_WAITING = """
    SELECT h.infno, h.msgid, h.mdtrtarea_admvs, h.insuplc_admdvs, h.fixmedins_code,
           h.payload::text AS payload
      FROM held_answer h
      JOIN unnest($1::text[], $2::text[]) AS a(msgid, insuplc_admdvs)
        ON h.msgid = a.msgid AND h.insuplc_admdvs = a.insuplc_admdvs
     WHERE h.released_at IS NULL
     ORDER BY h.msgid, h.insuplc_admdvs
       FOR UPDATE OF h
"""
_RELEASE = """
    WITH chosen AS (
        SELECT h.msgid, h.insuplc_admdvs
          FROM held_answer h
          JOIN unnest($1::text[], $2::text[]) AS a(msgid, insuplc_admdvs)
            ON h.msgid = a.msgid AND h.insuplc_admdvs = a.insuplc_admdvs
         WHERE h.released_at IS NULL
           AND ($4::text <> 'request' OR EXISTS (
                   SELECT 1 FROM relay_log r
                    WHERE r.msgid = h.msgid AND r.insuplc_admdvs = h.insuplc_admdvs
                      AND r.kind = 'request' AND r.stage = 'insured'))
         ORDER BY h.msgid, h.insuplc_admdvs
           FOR UPDATE OF h
    )
    UPDATE held_answer h
       SET released_at = $3, released_by = $4::text
      FROM chosen c
     WHERE h.msgid = c.msgid AND h.insuplc_admdvs = c.insuplc_admdvs AND h.released_at IS NULL
    RETURNING h.infno, h.msgid, h.mdtrtarea_admvs, h.insuplc_admdvs, h.fixmedins_code,
              h.payload::text AS payload
"""
"""Released by ``request`` only where that request's copy is in the log now: a copy the log
skipped (a row it could not take) releases nothing. Rows are locked in one order, as
``_WAITING`` locks them: the journal and a reconciliation never wait on each other in a circle."""


def _row(answer: Answer, now: datetime) -> tuple[Any, ...] | None:
    """The row to hold, or None (said) for one too large or too wide to keep."""
    fields = {name: getattr(answer, name) for name in _WIDTHS}
    try:
        payload = orjson.dumps({k: answer.payload[k] for k in BOOKED_KEYS if k in answer.payload})
    except orjson.JSONEncodeError as exc:  # an integer past 64 bits, say: nothing the books read
        log.warning("books: answer %s not held (payload: %s)", answer.msgid[:40], exc)
        return None
    too_wide = [name for name, value in fields.items() if len(value) > _WIDTHS[name]]
    if answer.fixmedins_code is not None and len(answer.fixmedins_code) > _FIXMEDINS_WIDTH:
        too_wide.append("fixmedins_code")
    if too_wide or len(payload) > MAX_HELD_BYTES:
        log.warning(
            "books: answer %s not held (%s)",
            answer.msgid[:40],
            ", ".join(too_wide) or f"payload {len(payload)} bytes",
        )
        return None
    return (*fields.values(), answer.fixmedins_code, payload.decode(), now)


async def hold(conn: asyncpg.Connection, answers: Sequence[Answer], now: datetime) -> list[Asked]:
    """Hold answers not held yet (the first per request stays); the requests newly held. A row
    the database refuses (a character it cannot store) is skipped alone: never the journal's
    stop."""
    rows = [row for row in (_row(a, now) for a in answers) if row is not None]
    if not rows:
        return []
    try:
        async with conn.transaction():
            return await _insert(conn, rows)
    except BAD_ROW:
        held: list[Asked] = []
        for row in rows:
            try:
                async with conn.transaction():
                    held += await _insert(conn, [row])
            except BAD_ROW as exc:
                log.warning("books: answer %s not held (%s)", row[0], type(exc).__name__)
        return held


async def _insert(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> list[Asked]:
    columns = [list(values) for values in zip(*rows, strict=True)]
    return [(r["msgid"], r["insuplc_admdvs"]) for r in await conn.fetch(_HOLD, *columns)]


def _answers(rows: Iterable[asyncpg.Record]) -> list[Answer]:
    return [
        Answer(
            r["infno"],
            r["msgid"],
            r["mdtrtarea_admvs"],
            r["insuplc_admdvs"],
            r["fixmedins_code"],
            orjson.loads(r["payload"]),
        )
        for r in rows
    ]


def _columns(asked: Iterable[Asked]) -> tuple[list[str], list[str]]:
    pairs = sorted(set(asked))
    return [msgid for msgid, _ in pairs], [region for _, region in pairs]


async def waiting(conn: asyncpg.Connection, asked: Iterable[Asked]) -> list[Answer]:
    """The unreleased answers to these requests, locked until the caller's transaction ends."""
    msgids, regions = _columns(asked)
    return _answers(await conn.fetch(_WAITING, msgids, regions)) if msgids else []


async def release(
    conn: asyncpg.Connection, asked: Iterable[Asked], now: datetime, *, by: str
) -> list[Answer]:
    """The held answers to these requests, released and returned for the books, each once.
    ``by='request'``: only those whose request's copy the log now holds; ``'treating'``: the
    caller has checked the treating region's statement (``journal.repair``)."""
    msgids, regions = _columns(asked)
    if not msgids:
        return []
    return _answers(await conn.fetch(_RELEASE, msgids, regions, now, by))


HELD_DAYS = 60
"""An answer held this long (business days) is past its month's clearing (generated from the
20th of the next month): it is marked ``expired`` and never books."""


_EXPIRE = """
    WITH due AS (
        SELECT msgid, insuplc_admdvs FROM held_answer
         WHERE released_at IS NULL AND held_at < $2
         ORDER BY msgid, insuplc_admdvs
           FOR UPDATE SKIP LOCKED
    )
    UPDATE held_answer h SET released_at = $1, released_by = 'expired'
      FROM due d
     WHERE h.msgid = d.msgid AND h.insuplc_admdvs = d.insuplc_admdvs
"""
"""Locked in ``_RELEASE``'s order; a row the journal or a repair holds now is left for later."""


async def expire(conn: asyncpg.Pool | asyncpg.Connection, now: datetime) -> int:
    """Mark the answers held longer than ``HELD_DAYS`` expired; how many."""
    done = await conn.execute(_EXPIRE, now, now - timedelta(days=HELD_DAYS))
    return int(done.split()[-1])


async def waiting_days(pool: asyncpg.Pool) -> dict[date, datetime]:
    """The business days the unreleased answers settle on (``setl_time``), each with the
    latest time one of them was held: the days whose reconciliation could still book them.
    An answer whose ``setl_time`` is missing or unreadable names no day (a reconciliation
    could book it only where a day's statement vouches for it; the keeper's days in turn)."""
    rows = await pool.fetch(
        """SELECT payload->'setlinfo'->>'setl_time' AS setl_time, max(held_at) AS newest
             FROM held_answer WHERE released_at IS NULL GROUP BY 1"""
    )
    days: dict[date, datetime] = {}
    for r in rows:
        try:
            day = business_day(r["setl_time"])
        except (TypeError, ValueError, OverflowError):  # anyone's reply: never stop the keeper
            continue
        days[day] = max(days.get(day, r["newest"]), r["newest"])
    return days


async def unreleased(pool: asyncpg.Pool) -> int:
    """How many answers wait for their request, any day (the day's reconciliation says it)."""
    return int(await pool.fetchval("SELECT count(*) FROM held_answer WHERE released_at IS NULL"))
