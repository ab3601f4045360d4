"""The unit of work: one connection, one transaction, one owner (cosmicpython's shape).

``async with uow:`` begins; leaving the block rolls back unless ``await uow.commit()`` was
called — on an error, and by default. Inside, ``uow.ledger`` and ``uow.filings`` speak for the
transaction. A handler may open the same ``uow`` again after the block (a new transaction).
"""

from __future__ import annotations

import contextlib
from types import TracebackType

import asyncpg
from asyncpg.transaction import Transaction

from services.insured_region.adapters.filings import FilingMarks
from services.insured_region.adapters.ledger import Ledger


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._transaction: Transaction | None = None
        self._ledger: Ledger | None = None
        self._filings: FilingMarks | None = None

    @property
    def ledger(self) -> Ledger:
        self._check_open()
        assert self._ledger is not None
        return self._ledger

    @property
    def filings(self) -> FilingMarks:
        self._check_open()
        assert self._filings is not None
        return self._filings

    def _check_open(self) -> None:
        """A statement outside the block, or after its commit, is a bug to see (not to run in
        autocommit, nor on a connection handed back to the pool)."""
        if self._transaction is None:
            raise RuntimeError(
                "the unit of work is not open (outside ``async with``, or committed)"
            )

    async def __aenter__(self) -> UnitOfWork:
        if self._conn is not None:
            raise RuntimeError("the unit of work is already open")
        conn = await self._pool.acquire()
        try:
            transaction = conn.transaction()
            await transaction.start()
        except BaseException:
            await self._pool.release(conn)
            raise
        self._conn, self._transaction = conn, transaction
        self._ledger, self._filings = Ledger(conn), FilingMarks(conn)
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
            self._ledger = self._filings = None
            if conn is not None:
                await self._pool.release(conn)
