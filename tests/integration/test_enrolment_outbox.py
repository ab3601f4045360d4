"""Enrolment owes the hub an event in the enrolment's own transaction, and the outbox relay
publishes what is owed, once confirmed, shared between processes (design §4, style 14)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aio_pika.abc import AbstractQueue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.insured_region.domain.person import Insurance, Person
from services.insured_region.service_layer import enrolment
from services.insured_region.settings import Settings
from services.national_hub.settings import Settings as HubSettings
from shared.db import make_engine, run_migrations
from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging import Broker, Brokers, outbox, topology
from shared.messaging.person_index import EnrolmentPayload, certno_hash, index_key
from shared.messaging.topology import region_user, with_credentials
from shared.regions import POOLS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KEY = index_key("integration-secret")


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings()
    run_migrations(ROOT / "services" / "insured_region" / "migrations", settings.database_url)
    return settings


@pytest.fixture
async def connection(settings: Settings) -> AsyncIterator[AsyncConnection]:
    """One connection in a transaction that every test rolls back (the database is shared)."""
    engine: AsyncEngine = make_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            try:
                yield conn
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


def person(admdvs: str = "650100") -> Person:
    tag = uuid.uuid4().hex[:16]
    return Person(
        psn_no=f"{admdvs}IT{tag}",
        insuplc_admdvs=admdvs,
        psn_cert_type="01",
        certno=f"650102{uuid.uuid4().int % 10**12:012d}",
        psn_name="测试",
        gend="1",
        naty="01",
        brdy=date(1980, 1, 1),
        insurances=(Insurance("310", "11", "1", date(2010, 1, 1), False, Decimal("0.00"), None),),
    )


async def owed(connection: AsyncConnection) -> list[Any]:
    rows = await connection.execute(
        text("SELECT relay_id, exchange, routing_key, envelope, created_at, due_at FROM outbox")
    )
    return list(rows)


async def test_an_enrolment_and_its_event_commit_together(
    sessions: async_sessionmaker[AsyncSession], connection: AsyncConnection
) -> None:
    before = {r.relay_id for r in await owed(connection)}
    someone = person()

    events = await enrolment.enrol(sessions, someone, KEY)

    assert events is not None
    (event,) = events
    new = [r for r in await owed(connection) if r.relay_id not in before]
    assert [(r.relay_id, r.exchange, r.routing_key) for r in new] == [
        (event.relay_id, "relay", "hub.index")
    ]
    assert new[0].due_at - new[0].created_at == timedelta(seconds=enrolment.PUBLISH_GRACE_S)
    stored = RelayEnvelope.model_validate(new[0].envelope)
    assert stored.kind == MessageKind.EVENT
    (entry,) = EnrolmentPayload.model_validate(stored.payload).persons
    assert entry.certno_hash == certno_hash(KEY, someone.certno)
    assert someone.certno not in str(new[0].envelope)
    assert await connection.scalar(
        text("SELECT count(*) FROM person WHERE psn_no = :p"), {"p": someone.psn_no}
    )


async def test_a_taken_certificate_owes_the_hub_nothing(
    sessions: async_sessionmaker[AsyncSession], connection: AsyncConnection
) -> None:
    someone = person()
    assert await enrolment.enrol(sessions, someone, KEY) is not None
    before = len(await owed(connection))

    again = await enrolment.enrol(sessions, someone, KEY)

    assert again is None
    assert len(await owed(connection)) == before


async def test_a_resync_owes_the_whole_region_in_batches_due_now(
    sessions: async_sessionmaker[AsyncSession], connection: AsyncConnection
) -> None:
    for _ in range(3):
        await enrolment.enrol(sessions, person("150781"), KEY)
    in_region = await connection.scalar(
        text("SELECT count(*) FROM person WHERE insuplc_admdvs = '150781'")
    )
    before = {r.relay_id for r in await owed(connection)}

    counts = await enrolment.resync(sessions, ["150781"], KEY)

    assert counts == {"150781": in_region}
    new = [r for r in await owed(connection) if r.relay_id not in before]
    payloads = [EnrolmentPayload.model_validate(r.envelope["payload"]) for r in new]
    assert sum(len(p.persons) for p in payloads) == in_region
    assert all(p.resync for p in payloads)
    assert all(r.due_at == r.created_at for r in new)


# ---- the relay, on an outbox table of its own (a schema per run) and a queue of its own


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"itest_outbox_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        await admin.execute(f"CREATE TABLE {schema}.outbox (LIKE public.outbox INCLUDING ALL)")
        real = await asyncpg.create_pool(
            dsn, min_size=1, max_size=3, server_settings={"search_path": schema}
        )
        try:
            yield real
        finally:
            await real.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def region_650100(settings: Settings) -> Brokers:
    """The sending region's own broker user, as the service connects."""
    url = with_credentials(settings.amqp_url, region_user("650100"), "relay")
    return Brokers({"650100": Broker(url, prefetch=8, publish_timeout_s=5)})


async def declare(admin: Broker) -> None:
    max_bytes = HubSettings().journal_max_bytes  # as the hub declares it: the same arguments
    await admin.declare_topology(POOLS, journal_max_bytes=max_bytes)


@pytest.fixture
async def broker(settings: Settings) -> AsyncIterator[Brokers]:
    """The region's identity, on a broker whose topology the platform's user declared first
    (as the hub does at start)."""
    admin = Broker(settings.amqp_url, prefetch=8, publish_timeout_s=5)
    await admin.connect(declare=declare)
    await admin.close()
    real = region_650100(settings)
    await real.connect()
    try:
        yield real
    finally:
        await real.close()


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[AbstractQueue]:
    """A copy of every hub event, on a queue of the test's own (the platform's user declares the
    topology, as the hub does). Its own connection, so that a test may close the publishing one."""
    reader = Broker(settings.amqp_url, prefetch=8, publish_timeout_s=5)
    await reader.connect(declare=declare)
    try:
        channel = reader.consume_channel
        copy = await channel.declare_queue(f"itest.{uuid.uuid4().hex[:12]}", exclusive=True)
        route = await channel.get_exchange(topology.RELAY_ROUTE, ensure=False)
        await copy.bind(route, routing_key=topology.INDEX_KEY)
        yield copy
    finally:
        await reader.close()


def event() -> RelayEnvelope:
    return RelayEnvelope(
        msgid="itest",
        infno="enrolled",
        kind=MessageKind.EVENT,
        sender_admdvs="650100",
        mdtrtarea_admvs="650100",
        insuplc_admdvs="650100",
        deadline=datetime.now(UTC) + timedelta(days=1),
    )


async def owe(pool: asyncpg.Pool, envelope: RelayEnvelope, *, due_in_s: float = 0.0) -> None:
    now = datetime.now(UTC)
    await pool.execute(
        "INSERT INTO outbox VALUES ($1, $2, $3, $4::jsonb, $5, $6)",
        envelope.relay_id,
        *outbox.TO_HUB,
        envelope.model_dump_json(),
        now,
        now + timedelta(seconds=due_in_s),
    )


async def received(queue: AbstractQueue, count: int) -> list[str]:
    got: list[str] = []
    for _ in range(50):
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            if len(got) >= count:
                return got
            await asyncio.sleep(0.05)
            continue
        got.append(RelayEnvelope.model_validate_json(message.body).relay_id)
    return got


async def left(pool: asyncpg.Pool) -> list[str]:
    return [r["relay_id"] for r in await pool.fetch("SELECT relay_id FROM outbox")]


async def test_due_rows_are_published_oldest_first_then_forgotten(
    pool: asyncpg.Pool, broker: Brokers, queue: AbstractQueue
) -> None:
    due = [event() for _ in range(3)]
    for envelope in due:
        await owe(pool, envelope)
    later = event()
    await owe(pool, later, due_in_s=60)

    sent = await outbox.drain(pool, broker)

    assert sent == 3
    assert await received(queue, 3) == [e.relay_id for e in due]
    assert await left(pool) == [later.relay_id]


async def test_relays_in_several_processes_never_take_one_row_twice(
    pool: asyncpg.Pool, broker: Brokers, queue: AbstractQueue
) -> None:
    owed_now = [event() for _ in range(30)]
    for envelope in owed_now:
        await owe(pool, envelope)

    counts = await asyncio.gather(*(outbox.publish_due(pool, broker, limit=7) for _ in range(6)))

    assert sum(counts) == 30
    assert sorted(await received(queue, 30)) == sorted(e.relay_id for e in owed_now)
    assert await left(pool) == []


async def test_a_publish_that_fails_after_the_commit_leaves_the_row_for_the_relay(
    pool: asyncpg.Pool, broker: Brokers, queue: AbstractQueue, settings: Settings
) -> None:
    envelope = event()
    await owe(pool, envelope)
    await broker.close()

    assert await outbox.publish_now(pool, broker, [envelope]) is False
    assert await left(pool) == [envelope.relay_id]

    again = region_650100(settings)
    await again.connect()
    try:
        assert await outbox.drain(pool, again) == 1
    finally:
        await again.close()
    assert await received(queue, 1) == [envelope.relay_id]
    assert await left(pool) == []


async def test_a_process_sends_only_the_rows_of_the_regions_it_serves(
    pool: asyncpg.Pool, broker: Brokers, queue: AbstractQueue
) -> None:
    """Pools split between processes: a row of a region this process holds no broker user for
    is left to the process that does, never taken (and held up) here."""
    own = event()
    other = event().model_copy(
        update={"sender_admdvs": "110000", "mdtrtarea_admvs": "110000", "insuplc_admdvs": "110000"}
    )
    await owe(pool, other)
    await owe(pool, own)

    assert await outbox.drain(pool, broker) == 1

    assert await received(queue, 1) == [own.relay_id]
    assert await left(pool) == [other.relay_id]
