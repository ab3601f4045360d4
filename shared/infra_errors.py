"""Which exceptions mean "the infrastructure went away", in one table, mapped in one place.

Like httpx's ``map_exceptions``: the lower layers' exceptions are named here once, and every
edge says what such a failure becomes for its caller (``with mapped(DATABASE_DOWN, to=...)``):
a requeue for a consumer, an honest "outcome unknown" for the gateway. A statement the database
refused (a constraint, a bad cast) is not in these tables: that is a bug or a rule, not weather.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import asyncpg
from aio_pika.exceptions import AMQPException
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)
"""The database or the network to it went away (not a statement it refused): try again."""

DATABASE_FAILED: tuple[type[BaseException], ...] = (
    *DATABASE_DOWN,
    asyncpg.PostgresError,
    asyncpg.exceptions.InternalClientError,
    DBAPIError,
)
"""Any failure of a database call, for an edge that must report it rather than retry it (the
gateway: nothing was recorded, so the hospital may send again)."""

BROKER_DOWN: tuple[type[BaseException], ...] = (
    AMQPException,
    AMQPError,
    ChannelInvalidStateError,
    ConnectionError,
    TimeoutError,
)
"""The broker or the connection to it went away: a publish may or may not have arrived."""


@contextlib.contextmanager
def mapped(
    kinds: tuple[type[BaseException], ...], *, to: Callable[[BaseException], Exception]
) -> Iterator[None]:
    """Raise ``to(exc)`` (chained) for an exception of one of ``kinds``; let the rest through."""
    try:
        yield
    except kinds as exc:
        raise to(exc) from exc
