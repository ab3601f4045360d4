"""Answers held back from the books (design §4, "A known gap"): read from the journal before, or
without, the copy of the request they answer.

The books take only answers to requests that passed (``journal._asked``): a region cannot book a
settlement nobody asked for. But the journal's copy of a request can come after its answer, or
not at all (RabbitMQ 3.10's stream around a broker restart). Such an answer is held here, and
released into the books when the request's copy passes (``released_by = 'request'``) or when the
treating region's daily statement vouches that it sent the request to that region
(``'treating'``). Released rows stay: they are the record of what was repaired, and how.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg
import orjson

from services.national_hub.domain.books import Answer

Asked = tuple[str, str]
"""A request that passed, as ``(msgid, insuplc_admdvs)``."""

_HOLD = """
    INSERT INTO held_answer (msgid, insuplc_admdvs, infno, mdtrtarea_admvs, fixmedins_code,
                             payload, held_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::jsonb[], $7::timestamptz[])
    ON CONFLICT (msgid, insuplc_admdvs) DO NOTHING
    RETURNING msgid
"""
_RELEASE = """
    UPDATE held_answer h
       SET released_at = $3, released_by = $4
      FROM unnest($1::text[], $2::text[]) AS a(msgid, insuplc_admdvs)
     WHERE h.msgid = a.msgid AND h.insuplc_admdvs = a.insuplc_admdvs AND h.released_at IS NULL
    RETURNING h.infno, h.msgid, h.mdtrtarea_admvs, h.insuplc_admdvs, h.fixmedins_code,
              h.payload::text AS payload
"""


async def hold(conn: asyncpg.Connection, answers: Sequence[Answer], now: datetime) -> int:
    """Hold answers not held yet (one per request); the number newly held."""
    if not answers:
        return 0
    held = await conn.fetch(
        _HOLD,
        [a.msgid for a in answers],
        [a.insuplc_admdvs for a in answers],
        [a.infno for a in answers],
        [a.mdtrtarea_admvs for a in answers],
        [a.fixmedins_code for a in answers],
        [orjson.dumps(a.payload).decode() for a in answers],
        [now] * len(answers),
    )
    return len(held)


async def release(
    conn: asyncpg.Connection, asked: Iterable[Asked], now: datetime, *, by: str
) -> list[Answer]:
    """The held answers to these requests, released (``by``: ``request`` or ``treating``):
    each is released once, and returned for the books."""
    pairs = sorted(set(asked))
    if not pairs:
        return []
    rows = await conn.fetch(
        _RELEASE, [msgid for msgid, _ in pairs], [region for _, region in pairs], now, by
    )
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


async def unreleased(pool: asyncpg.Pool) -> int:
    """How many answers wait for their request, any day (the day's reconciliation says it)."""
    return int(await pool.fetchval("SELECT count(*) FROM held_answer WHERE released_at IS NULL"))
