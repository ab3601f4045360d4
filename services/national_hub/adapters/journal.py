"""The hub's copy of every message (design §4): the stream ``hub.journal``, read from the offset
the log last stored, written to the transaction log and the books (design §8) in batches, off
the settlement's path.

Each batch's rows and the next offset commit in one transaction, so after a crash or an outage
the hub goes on exactly where its log stops; a row read twice (a batch that committed just
before its acknowledgement was lost) is the same row and is not written again. The stream keeps
what passed while the hub was away: the log catches up when it comes back, and ``rebuild``
writes the log again from whatever the stream still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from services.national_hub.adapters import books, held_answers, relay_log
from services.national_hub.adapters.held_answers import Asked
from services.national_hub.adapters.relay_log import BAD_ROW
from services.national_hub.domain.books import Answer, Booking, Void, bookings_of
from shared import clock
from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging import topology

log = logging.getLogger(__name__)

BATCH = 500
PREFETCH = 2 * BATCH
"""A stream consumer must set a prefetch: what the broker sends ahead of the acknowledgements."""
FLUSH_S = 0.2
"""How long the first message of a batch waits for others: the log is behind by about this."""
RETRY_S = 1.0

JOURNAL_STAGES = ("insured", "treating", "reply", "hub")
"""The log stages the journal writes: where each message was sent (its routing key's head)."""

_LOAD = "SELECT next_offset FROM journal_offset WHERE stream = $1"
_STORE = """
    INSERT INTO journal_offset (stream, next_offset, updated_at) VALUES ($1, $2, $3)
    ON CONFLICT (stream) DO UPDATE
       SET next_offset = GREATEST(journal_offset.next_offset, EXCLUDED.next_offset),
           updated_at = EXCLUDED.updated_at
"""


@dataclass(frozen=True, slots=True)
class Read:
    """One journal message: its offset, its log row (None: not an envelope), what it books
    (design §8: only an answer the insured region itself sent) and the answer it books from,
    and the request it is, if it is one that went to an insured region."""

    offset: int
    row: relay_log.Row | None
    bookings: tuple[Booking | Void, ...] = ()
    answer: Answer | None = None
    asks: Asked | None = None


def stage_of(routing_key: str | None) -> str:
    """``insured.650100`` → ``insured``; ``reply.110000.…`` → ``reply``."""
    head = (routing_key or "").split(".", 1)[0]
    return head if head in JOURNAL_STAGES else "hub"


def read(message: AbstractIncomingMessage, platform_user: str | None = None) -> Read:
    headers: dict[str, Any] = dict(message.headers or {})
    offset = int(headers["x-stream-offset"])
    try:
        envelope = RelayEnvelope.model_validate_json(message.body)
    except ValidationError:
        log.warning("journal: offset %d is no envelope (%s), skipped", offset, message.message_id)
        return Read(offset, None)
    stage = stage_of(message.routing_key)
    row = relay_log.log_row(envelope, stage=stage, outcome="sent", route=None)
    asks = None
    if envelope.kind == MessageKind.REQUEST and stage == "insured":
        asks = (envelope.msgid, envelope.insuplc_admdvs)
        asks = asks if _plain(*asks) else None
    answer = _answer(envelope, topology.sender_of(message.user_id, platform_user))
    bookings = bookable(answer) if answer is not None else ()
    if not all(_plain(*_keys(b)) for b in bookings):
        log.warning("books: message offset %d not booked: a key is not printable ASCII", offset)
        bookings = ()
    return Read(offset, row, bookings, answer if bookings else None, asks)


def _keys(booking: Booking | Void) -> list[object]:
    return [getattr(booking, f.name) for f in fields(booking)]


def _plain(*values: object) -> bool:
    """Every text printable ASCII, as a msgid, a region, an institution or a settlement id is:
    the books query by them, and a NUL in a query's parameter fails the whole batch's
    transaction (never one row alone), which would stop the journal at that message."""
    return all(not isinstance(v, str) or (v.isascii() and v.isprintable()) for v in values)


def _answer(envelope: RelayEnvelope, sender: str | None) -> Answer | None:
    """The insured region's answer — only when the broker vouches that the insured region sent
    it: a settlement is the insured region's word, nobody else's."""
    if sender is None or sender != envelope.insuplc_admdvs:
        return None
    if envelope.kind != MessageKind.REPLY or envelope.err_code:
        return None
    return Answer(
        envelope.infno,
        envelope.msgid,
        envelope.mdtrtarea_admvs,
        envelope.insuplc_admdvs,
        envelope.fixmedins_code,
        envelope.payload,
    )


def bookable(answer: Answer) -> tuple[Booking | Void, ...]:
    """What an answer books; nothing, said, for one the books cannot take."""
    try:
        return bookings_of(answer)
    except Exception as exc:  # whatever a reply holds, it never stops the log and the books
        log.warning("books: message %s not booked: %s: %s", answer.msgid, type(exc).__name__, exc)
        return ()


async def stored_offset(pool: asyncpg.Pool, stream: str = topology.HUB_JOURNAL) -> int:
    value = await pool.fetchval(_LOAD, stream)
    return int(value) if value is not None else 0


async def write(pool: asyncpg.Pool, batch: list[Read], stream: str = topology.HUB_JOURNAL) -> int:
    """The batch's rows and the offset after it, in one transaction; the number of new rows.

    A row the log cannot take (a field too long for its column, a character PostgreSQL
    refuses: anyone may publish a malformed envelope) is skipped and said, never allowed to
    stop the log: the batch is then written row by row, each in a savepoint of its own."""
    rows = [r.row for r in batch if r.row is not None]
    answered = [(b, r.answer) for r in batch if r.answer is not None for b in r.bookings]
    asked = [r.asks for r in batch if r.asks is not None]
    async with pool.acquire() as conn, conn.transaction():
        try:
            async with conn.transaction():
                new = len(await relay_log.insert(conn, rows))
        except BAD_ROW:
            new = await _row_by_row(conn, rows)
        # answers read before their requests' copies: those copies have come now. They go
        # first: a held answer was the first to its request, and the first answer is booked
        released: list[tuple[Booking | Void, Answer]] = []
        for answer in await held_answers.release(conn, asked, clock.now(), by="request"):
            released += [(b, answer) for b in bookable(answer)]
            log.info("books: %s released once its request's copy passed", answer.msgid)
        answered = released + answered
        if answered:
            await _book(conn, answered)
        await conn.execute(_STORE, stream, batch[-1].offset + 1, datetime.now(UTC))
    return new


async def repair(
    pool: asyncpg.Pool,
    listed: list[Asked],
    vouches: Callable[[tuple[Booking | Void, ...]], bool],
) -> list[str]:
    """Book the held answers to requests the treating region's daily statement lists
    (``(msgid, insuplc_admdvs)``), whose copies the journal never had — each only if
    ``vouches`` finds in that statement exactly what it books. The msgids that added entries."""
    repaired: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        waiting = await held_answers.waiting(conn, listed)
        vouched = [(a.msgid, a.insuplc_admdvs) for a in waiting if vouches(bookable(a))]
        for answer in await held_answers.release(conn, vouched, clock.now(), by="treating"):
            if await _book_each(conn, list(bookable(answer))):
                repaired.append(answer.msgid)
    for msgid in repaired:
        log.warning("books: %s booked on the treating region's statement (no copy of its request)",
                    msgid)  # fmt: skip
    return sorted(repaired)


_ASKED = """
    SELECT DISTINCT msgid, insuplc_admdvs FROM relay_log
     WHERE msgid = ANY($1::text[]) AND kind = 'request' AND stage = 'insured'
"""


async def _book(conn: asyncpg.Connection, answered: list[tuple[Booking | Void, Answer]]) -> None:
    """The books, in the log's transaction: only answers to requests that passed — a reply
    nobody asked for (a region publishing a made-up mirror to lower what it pays) books nothing.
    Such an answer is held (``held_answers``): its request's copy may come later, or the
    treating region vouch for it."""
    asked = {
        (r["msgid"], r["insuplc_admdvs"])
        for r in await conn.fetch(_ASKED, sorted({b.msgid for b, _ in answered}))
    }
    kept = [b for b, _ in answered if (b.msgid, b.insuplc_admdvs) in asked]
    unasked: dict[Asked, Answer] = {}
    entries: dict[Asked, list[str]] = {}
    for b, a in answered:  # the first answer to a request is held, here as across batches
        key = (a.msgid, a.insuplc_admdvs)
        if key not in asked and unasked.setdefault(key, a) is a:
            entries.setdefault(key, []).append(b.book_id)
    if unasked:
        # an answer whose every entry is booked already (replayed by a rebuild, redelivered)
        # has nothing left to wait for
        done = await books.booked_ids(conn, [i for ids in entries.values() for i in ids])
        unasked = {key: a for key, a in unasked.items()
                   if not all(i in done for i in entries[key])}  # fmt: skip
    if unasked:
        for msgid, region in sorted(
            await held_answers.hold(conn, list(unasked.values()), clock.now())
        ):
            log.warning("books: %s answers no request that passed (to %s): held, not booked",
                        msgid, region)  # fmt: skip
    if kept:
        await _book_each(conn, kept)


async def _book_each(conn: asyncpg.Connection, bookings: list[Booking | Void]) -> int:
    """Book, in the caller's transaction; a booking the database refuses is skipped alone.
    The number of new entries."""
    try:
        async with conn.transaction():
            return await books.book(conn, bookings)
    except BAD_ROW:
        new = 0
        for one in bookings:
            try:
                async with conn.transaction():
                    new += await books.book(conn, [one])
            except BAD_ROW as exc:
                log.warning("books: %s not booked (%s): %s", one.book_id, type(exc).__name__, exc)
        return new


async def _row_by_row(conn: asyncpg.Connection, rows: list[relay_log.Row]) -> int:
    new = 0
    for row in rows:
        try:
            async with conn.transaction():
                new += len(await relay_log.insert(conn, [row]))
        except BAD_ROW as exc:
            log.warning("journal: message %s (%s) not logged: %s", row[0], type(exc).__name__, exc)
    return new


class JournalReader:
    """Reads the stream on a connection of its own, as the platform's user; after any failure
    it reconnects and starts again from the stored offset."""

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self._url = url
        self._pool = pool
        self._platform_user = topology.user_of(url)

    async def run_forever(self) -> None:
        while True:
            try:
                await self._read_from(await stored_offset(self._pool))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "journal: reading stopped (%s: %s), again in %.0f s",
                    type(exc).__name__,
                    exc,
                    RETRY_S,
                )
            await asyncio.sleep(RETRY_S)

    async def _read_from(
        self,
        offset: int | str,
        *,
        idle_s: float | None = None,
        before: Callable[[], Awaitable[object]] | None = None,
    ) -> int:
        """Read and write from ``offset``; with ``idle_s``, return once nothing came for that
        long (the number of rows written), else read until the connection fails."""
        written = 0
        connection = await aio_pika.connect(self._url)
        # a plain connection closed by the broker never reports is_closed (only close() sets
        # it): its close callback is what says the reading has stopped
        lost = asyncio.Event()
        connection.close_callbacks.add(lambda *_: lost.set())
        try:
            channel = await connection.channel()
            # a channel closed, or the consumer cancelled by the broker (the stream's leader
            # moved, the stream was deleted), stops the reading as surely as the connection
            channel.close_callbacks.add(lambda *_: lost.set())
            await channel.set_qos(prefetch_count=PREFETCH)
            queue = await channel.get_queue(topology.HUB_JOURNAL, ensure=False)
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            underlay = await channel.get_underlay_channel()
            underlay.on_consumer_cancel_callbacks.add(lambda _frame: lost.set())
            await queue.consume(inbox.put, arguments={"x-stream-offset": offset})
            if before is not None:  # the stream is there and read: only now forget the old
                await before()
            log.info("journal: reading from offset %s", offset)
            while not lost.is_set():
                batch = await _take(inbox, idle_s or FLUSH_S)
                if lost.is_set():
                    break  # nothing more will come: never "caught up", never "done"
                if not batch:
                    if idle_s is not None:
                        return written
                    continue
                written += await write(self._pool, [read(m, self._platform_user) for m in batch])
                await batch[-1].ack(multiple=True)
            raise ConnectionError("the journal's connection closed")
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    async def rebuild(self, idle_s: float = 2.0) -> int:
        """Write the log again from the start of the stream: the journal's rows are deleted and
        read anew (the hub's own decisions, not in the stream, stay). Returns rows written.

        From the stream's ``first`` offset: what its size limit already dropped is gone, so the
        rebuilt log starts where the stream now does. Meant for a stopped hub; a running one
        writes the same rows, which the log's unique key keeps single."""

        async def forget() -> None:
            # only once the stream is there to be read again; the stored offset goes too, so a
            # rebuild cut short is finished by the hub's reader from where it stopped
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "DELETE FROM relay_log WHERE stage = ANY($1::text[])", list(JOURNAL_STAGES)
                )
                await conn.execute(
                    "DELETE FROM journal_offset WHERE stream = $1", topology.HUB_JOURNAL
                )

        return await self._read_from("first", idle_s=idle_s, before=forget)


async def _take(inbox: asyncio.Queue[AbstractIncomingMessage], wait_s: float) -> list[Any]:
    """A batch: waits ``wait_s`` for a first message, then ``FLUSH_S`` for others to join it.

    Measured: taking only what was already waiting made batches of one or two under a steady
    flow, a transaction per message, and the hub's log cost more CPU than its messages."""
    try:
        first = await asyncio.wait_for(inbox.get(), timeout=wait_s)
    except TimeoutError:
        return []
    if inbox.qsize() < BATCH - 1:
        await asyncio.sleep(FLUSH_S)
    batch = [first]
    while len(batch) < BATCH and not inbox.empty():
        batch.append(inbox.get_nowait())
    return batch
