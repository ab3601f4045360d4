"""The unit of work: one connection, one transaction, one owner (cosmicpython's shape).

``async with uow:`` takes a connection from the pool and begins; leaving the block rolls back
unless ``await uow.commit()`` was called — on an error, and by default — and gives the connection
back in every path. A service's unit of work binds its repositories to the connection
(``_bind``); they refuse to be used outside the block or after its commit, which is a bug to see,
not a statement to run in autocommit or on a connection handed back. A use case may open the
same unit of work again after its block: a new transaction (one on each side of a relay's round
trip, none held across it).
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self, TypeVar

import asyncpg
from asyncpg.transaction import Transaction

R = TypeVar("R")


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._transaction: Transaction | None = None

    def _bind(self, conn: asyncpg.Connection) -> None:
        """Make the service's repositories on the block's connection."""

    def _unbind(self) -> None:
        """Forget them when the block ends."""

    def _open(self, repository: R | None) -> R:
        """A repository of the open block (see the module docstring)."""
        if self._transaction is None or repository is None:
            raise RuntimeError("the unit of work is not open (outside its block, or committed)")
        return repository

    async def __aenter__(self) -> Self:
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
        self._bind(conn)
        return self

    async def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit outside the unit of work's block, or twice")
        transaction, self._transaction = self._transaction, None
        await transaction.commit()  # failed or not, the server has ended this transaction

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
            self._unbind()
            if conn is not None:
                await self._pool.release(conn)
