"""The parts every service process opens at start and closes at stop: database and broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from shared.db import make_engine, make_session_factory
from shared.messaging import Broker, Brokers
from shared.messaging.broker import TopologyMissing
from shared.messaging.brokers import PLATFORM
from shared.messaging.topology import user_of
from shared.regions import parse_region_list
from shared.settings import CommonSettings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: CommonSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    brokers: Brokers
    """The platform's one identity at the hub; one per served region in a region service."""
    regions: tuple[str, ...]
    pool: asyncpg.Pool
    """Plain asyncpg for the hot path's single statements: no ORM, no BEGIN/COMMIT pair."""
    background: list[asyncio.Task[None]] = field(default_factory=list)
    """Loops that live as long as the process (the outbox relay): cancelled at close."""


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Release without ``RESET ALL; UNLISTEN *; …`` — a round trip per statement otherwise.

    Safe because no service keeps session state: locks are transaction-scoped
    (``pg_advisory_xact_lock``), nothing LISTENs or SETs, and asyncpg still rolls back a
    transaction left open before this is called.
    """


Declare = Callable[[Broker], Awaitable[None]]


def brokers_of(settings: CommonSettings, *, platform: bool) -> Brokers:
    """The hub connects as the platform; a region service as each region it serves."""

    def broker(url: str) -> Broker:
        return Broker(
            url,
            prefetch=settings.prefetch,
            publish_timeout_s=settings.publish_timeout_s,
            platform_user=user_of(settings.amqp_url),
            replicated=settings.amqp_replicated,
        )

    if platform:
        return Brokers({PLATFORM: broker(settings.amqp_url)})
    regions = parse_region_list(settings.regions)
    return Brokers({admdvs: broker(settings.region_amqp_url(admdvs)) for admdvs in regions})


async def open_runtime(
    settings: CommonSettings,
    *,
    platform: bool = False,
    declare: Declare | None = None,
    startup_wait_s: float = 30.0,
) -> Runtime:
    """Connect to PostgreSQL and RabbitMQ, waiting a bounded time for them to come up.

    The asyncpg pool is the one every service's writes and the health check use. The
    SQLAlchemy engine connects only when something asks it (admin reads, the ORM paths that
    remain): a service that never does holds no second set of connections.
    """
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    brokers = brokers_of(settings, platform=platform)
    try:
        pool = await _connect(settings, brokers, declare, startup_wait_s)
    except BaseException:  # gave up: nothing opened on the way stays open
        await brokers.close()
        await engine.dispose()
        raise
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        brokers=brokers,
        regions=parse_region_list(settings.regions),
        pool=pool,
    )


async def _connect(
    settings: CommonSettings, brokers: Brokers, declare: Declare | None, startup_wait_s: float
) -> asyncpg.Pool:
    """The asyncpg pool and the broker connections, retried for a bounded time (a region also
    waits for the hub to declare the topology); the pool is made once and closed if the broker
    never comes."""
    pool: asyncpg.Pool | None = None
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(startup_wait_s),
            wait=wait_fixed(0.5),
            retry=retry_if_exception_type(
                (OSError, asyncpg.CannotConnectNowError, TopologyMissing)
            ),
            reraise=True,
        ):
            with attempt:
                if pool is None:
                    pool = await asyncpg.create_pool(
                        settings.database_url.replace("postgresql+asyncpg://", "postgresql://"),
                        min_size=2,
                        max_size=settings.db_pool_size,
                        reset=_keep_session,
                    )
                await brokers.connect(declare=declare)
    except BaseException:
        if pool is not None:
            await pool.close()
        raise
    if pool is None:  # AsyncRetrying ran no attempt: cannot happen with a stop by delay
        raise RuntimeError("no connection attempt was made")
    return pool


async def close_runtime(runtime: Runtime) -> None:
    for task in runtime.background:
        task.cancel()
    for task in runtime.background:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await runtime.brokers.close()
    await runtime.pool.close()
    await runtime.engine.dispose()


HEALTH_TIMEOUT_S = 2.0


async def health(runtime: Runtime) -> dict[str, str]:
    """Really asks the database and looks at the broker connection (issue: /healthz)."""
    status = {"database": "ok", "broker": "ok"}
    try:
        # bounded: behind a burst the pool may have no free connection; say so within the
        # healthcheck's own time limit rather than hang past it
        async with runtime.pool.acquire(timeout=HEALTH_TIMEOUT_S) as conn:
            await conn.fetchval("SELECT 1", timeout=HEALTH_TIMEOUT_S)
    except Exception as exc:
        status["database"] = f"down: {type(exc).__name__}"
    if not runtime.brokers.is_connected:
        status["broker"] = "down"
    return status
