"""The unit of work: one connection, one transaction, one owner (cosmicpython's shape).

``async with uow:`` takes a connection from the pool and begins; leaving the block rolls back
unless ``await uow.commit()`` was called — on an error, and by default — and gives the
connection back in every path. Inside, ``uow.visits`` and ``uow.ledger`` speak for the
transaction. A use case that relays between two short transactions (none is held across the
network round trip) opens the same ``uow`` again after the block: a new transaction.

The settle path's single statements (``to_settling``, the splits read, the ledger's record) do
not come here: on the pool each is its own autocommitted transaction, while a transaction here
costs a BEGIN and a COMMIT round trip more.
"""

from __future__ import annotations

import contextlib
from types import TracebackType

import asyncpg
from asyncpg.transaction import Transaction

from services.treating_region.adapters.ledger import Ledger
from services.treating_region.adapters.visits import Visits


class UnitOfWork:
    visits: Visits
    ledger: Ledger

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._transaction: Transaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        conn = await self._pool.acquire()
        try:
            transaction = conn.transaction()
            await transaction.start()
        except BaseException:
            await self._pool.release(conn)
            raise
        self._conn, self._transaction = conn, transaction
        self.visits = Visits(conn)
        self.ledger = Ledger(conn)
        return self

    async def commit(self) -> None:
        assert self._transaction is not None, "commit outside ``async with uow``"
        await self._transaction.commit()
        self._transaction = None

    async def rollback(self) -> None:
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            await transaction.rollback()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        try:
            if exc is None:
                await self.rollback()
            else:  # the error that got us here is the one to see, not a failed rollback
                with contextlib.suppress(Exception):
                    await self.rollback()
        finally:
            self._transaction = None
            if conn is not None:
                await self._pool.release(conn)
