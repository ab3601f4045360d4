"""Writes (plain asyncpg, grouped: the hub's hot path) and reads (SQLAlchemy Core) of the log."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.national_hub.adapters.orm import RelayLog
from shared.envelope import RelayEnvelope
from shared.infra_errors import DATABASE_DOWN
from shared.logging import mask_id_no
from shared.regions import is_known, route_between

_TABLE = cast(Table, RelayLog.__table__)

BAD_ROW = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)
"""What a row may do wrong (too long, a character PostgreSQL refuses); anything else — a lock,
the disk, a permission — is the database's trouble, and the batch is tried again whole."""


def _person_fields(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """psn_no in clear (an insurance number), the id number masked (design §8)."""
    data: Any = payload.get("data") or payload.get("baseinfo") or payload
    if not isinstance(data, dict):
        return None, None
    psn_no = data.get("psn_no")
    certno = data.get("certno") or data.get("mdtrt_cert_no")
    return (str(psn_no) if psn_no else None, mask_id_no(str(certno)) if certno else None)


def _route(envelope: RelayEnvelope) -> str | None:
    """intra or cross, when both regions are known (no hop stamps it now the broker routes)."""
    if is_known(envelope.mdtrtarea_admvs) and is_known(envelope.insuplc_admdvs):
        return route_between(envelope.mdtrtarea_admvs, envelope.insuplc_admdvs).value
    return None


_COLUMNS = (
    ("relay_id", "text"),
    ("msgid", "text"),
    ("infno", "text"),
    ("kind", "text"),
    ("stage", "text"),
    ("sender_admdvs", "text"),
    ("mdtrtarea_admvs", "text"),
    ("insuplc_admdvs", "text"),
    ("fixmedins_code", "text"),
    ("route", "text"),
    ("outcome", "text"),
    ("err_code", "text"),
    ("err_detail", "text"),
    ("psn_no", "text"),
    ("certno_masked", "text"),
    ("sent_at", "timestamptz"),
    ("received_at", "timestamptz"),
)
_RECORD = f"""
    INSERT INTO relay_log ({", ".join(name for name, _ in _COLUMNS)})
    SELECT * FROM unnest({", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_COLUMNS, 1))})
    ON CONFLICT (relay_id, kind, stage) DO NOTHING
    RETURNING relay_id, kind, stage
"""
_KEY = tuple(
    next(i for i, (name, _) in enumerate(_COLUMNS) if name == key)
    for key in ("relay_id", "kind", "stage")
)
"""Where a row's unique key (relay_id, kind, stage) stands in it."""
_ERR_DETAIL_MAX = 500
_BATCH_MAX = 200
_FLUSHERS = 3
"""Batches on their way at once: one alone would make every row wait out a slow commit."""

Row = tuple[Any, ...]


def log_row(
    envelope: RelayEnvelope,
    *,
    stage: str,
    outcome: str,
    route: str | None,
    err_code: str | None = None,
    err_detail: str | None = None,
) -> Row:
    psn_no, certno_masked = _person_fields(envelope.payload)
    detail = err_detail or envelope.err_detail or None
    route = route or envelope.route or _route(envelope)
    return (
        envelope.relay_id,
        envelope.msgid,
        envelope.infno,
        envelope.kind.value,
        stage,
        envelope.sender_admdvs,
        envelope.mdtrtarea_admvs,
        envelope.insuplc_admdvs,
        envelope.fixmedins_code,
        route,
        outcome,
        err_code or envelope.err_code,
        detail[:_ERR_DETAIL_MAX] if detail else None,
        psn_no,
        certno_masked,
        envelope.hops[0].at if envelope.hops else None,
        datetime.now(UTC),
    )


class LogWriter:
    """Log rows in one INSERT per round trip (group commit): while batches are on their way to
    the database (a few at once), the rows that arrive wait and go together in the next one.

    ``record`` returns once its own row is committed, so the hub still logs a message before it
    forwards it; alone, a row goes at once, as before. A row the database refuses (bad data)
    fails only its own caller: the batch is then written row by row.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._waiting: list[tuple[Row, asyncio.Future[bool]]] = []
        self._flushers: set[asyncio.Task[None]] = set()

    async def record(self, row: Row) -> bool:
        """True when the row is new; False when this (relay_id, kind, stage) was logged before."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, future))
        if len(self._flushers) < _FLUSHERS:
            flusher = asyncio.create_task(self._flush())
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch = self._waiting[:_BATCH_MAX]
            del self._waiting[:_BATCH_MAX]
            try:
                await self._write(batch)
            except asyncpg.PostgresError as exc:
                if len(batch) == 1 or transient(exc):
                    _fail(batch, exc)
                else:
                    for one in batch:
                        await self._write_alone(one)
            except Exception as exc:  # the connection, the pool: every caller sees it
                _fail(batch, exc)

    async def _write_alone(self, one: tuple[Row, asyncio.Future[bool]]) -> None:
        try:
            await self._write([one])
        except Exception as exc:
            _fail([one], exc)

    async def _write(self, batch: list[tuple[Row, asyncio.Future[bool]]]) -> None:
        inserted = await insert(self._pool, [row for row, _ in batch])
        for row, future in batch:
            key = tuple(row[i] for i in _KEY)
            new = key in inserted
            inserted.discard(key)  # the same row twice in one batch: the second was not new
            if not future.done():
                future.set_result(new)


async def insert(
    conn: asyncpg.Pool | asyncpg.Connection, rows: Sequence[Row]
) -> set[tuple[Any, ...]]:
    """One INSERT for many rows; the keys (relay_id, kind, stage) of those that were new."""
    if not rows:
        return set()
    columns = [list(values) for values in zip(*rows, strict=True)]
    return {tuple(r) for r in await conn.fetch(_RECORD, *columns)}


def transient(exc: asyncpg.PostgresError) -> bool:
    """A server going away or refusing connections, not a row it cannot take."""
    return isinstance(exc, (*DATABASE_DOWN, asyncpg.QueryCanceledError))


def _fail(batch: list[tuple[Row, asyncio.Future[bool]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


async def find(
    engine: AsyncEngine,
    *,
    msgid: str | None = None,
    psn_no: str | None = None,
    admdvs: str | None = None,
    limit: int = 100,
) -> Sequence[dict[str, Any]]:
    query = select(_TABLE).order_by(_TABLE.c.id).limit(limit)
    if msgid:
        query = query.where(_TABLE.c.msgid == msgid)
    if psn_no:
        query = query.where(_TABLE.c.psn_no == psn_no)
    if admdvs:
        query = query.where(
            (_TABLE.c.mdtrtarea_admvs == admdvs) | (_TABLE.c.insuplc_admdvs == admdvs)
        )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [dict(row) for row in rows]
