"""The hub's national person index against its real database: idempotent, the later enrolment
wins, one lookup per 1101 without its insured region (design §4)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.national_hub.adapters import person_index
from services.national_hub.domain.person_index import IndexEntry
from services.national_hub.settings import Settings
from shared.db import run_migrations

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def database_url() -> str:
    url = Settings().database_url
    run_migrations(ROOT / "services" / "national_hub" / "migrations", url)
    return url.replace("postgresql+asyncpg://", "postgresql://")


class Certificates:
    """Fresh certificate hashes for one test, deleted after it (the database is shared)."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def fresh(self) -> str:
        digest = uuid.uuid4().hex * 2
        self.made.append(digest)
        return digest


@pytest.fixture
def certificates() -> Certificates:
    return Certificates()


@pytest.fixture
async def pool(database_url: str, certificates: Certificates) -> AsyncIterator[asyncpg.Pool]:
    real = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield real
    finally:
        await real.execute(
            "DELETE FROM person_index WHERE certno_hash = ANY($1::text[])", certificates.made
        )
        await real.close()


async def test_an_announced_certificate_is_found_under_its_type_only(
    pool: asyncpg.Pool, certificates: Certificates
) -> None:
    digest = certificates.fresh()

    await person_index.upsert(pool, "650100", [IndexEntry(digest, "01", T0)])

    assert await person_index.lookup(pool, digest, "01") == "650100"
    assert await person_index.lookup(pool, digest, "02") is None
    assert await person_index.lookup(pool, certificates.fresh(), "01") is None


async def test_a_replayed_event_changes_nothing(
    pool: asyncpg.Pool, certificates: Certificates
) -> None:
    digest = certificates.fresh()
    entries = [IndexEntry(digest, "01", T0)]

    await person_index.upsert(pool, "650100", entries)
    await person_index.upsert(pool, "650100", entries)

    rows = await pool.fetch(
        "SELECT insuplc_admdvs, updated_at FROM person_index WHERE certno_hash = $1", digest
    )
    assert [(r["insuplc_admdvs"], r["updated_at"]) for r in rows] == [("650100", T0)]


async def test_the_later_enrolment_wins_whatever_the_order_events_arrive_in(
    pool: asyncpg.Pool, certificates: Certificates
) -> None:
    moved, stayed = certificates.fresh(), certificates.fresh()
    later = T0 + timedelta(days=30)

    await person_index.upsert(pool, "650100", [IndexEntry(moved, "01", T0)])
    await person_index.upsert(pool, "110000", [IndexEntry(moved, "01", later)])
    await person_index.upsert(pool, "110000", [IndexEntry(stayed, "01", later)])
    await person_index.upsert(pool, "650100", [IndexEntry(stayed, "01", T0)])

    assert await person_index.lookup(pool, moved, "01") == "110000"
    assert await person_index.lookup(pool, stayed, "01") == "110000"


async def test_one_certificate_twice_in_one_batch_is_one_row(
    pool: asyncpg.Pool, certificates: Certificates
) -> None:
    digest, other = certificates.fresh(), certificates.fresh()

    await person_index.upsert(
        pool,
        "159900",
        [
            IndexEntry(digest, "01", T0),
            IndexEntry(other, "01", T0),
            IndexEntry(digest, "01", T0 + timedelta(seconds=1)),
        ],
    )

    rows = await pool.fetch(
        "SELECT certno_hash, updated_at FROM person_index WHERE certno_hash = ANY($1::text[])",
        [digest, other],
    )
    assert {r["certno_hash"]: r["updated_at"] for r in rows} == {
        digest: T0 + timedelta(seconds=1),
        other: T0,
    }


async def test_the_summary_counts_persons_per_region(
    pool: asyncpg.Pool, certificates: Certificates
) -> None:
    before = await person_index.summary(pool)

    await person_index.upsert(pool, "150781", [IndexEntry(certificates.fresh(), "01", T0)])
    await person_index.upsert(pool, "150781", [IndexEntry(certificates.fresh(), "01", T0)])

    assert (await person_index.summary(pool))["150781"] == before.get("150781", 0) + 2
