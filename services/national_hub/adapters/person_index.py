"""The national person index in the hub's database (plain asyncpg: the 1101 hot path)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.national_hub.domain.person_index import IndexEntry, latest_per_certificate

_UPSERT = """
    INSERT INTO person_index (certno_hash, psn_cert_type, insuplc_admdvs, updated_at)
    SELECT h, t, $3, u FROM unnest($1::text[], $2::text[], $4::timestamptz[]) AS e(h, t, u)
    ON CONFLICT (certno_hash, psn_cert_type) DO UPDATE
       SET insuplc_admdvs = EXCLUDED.insuplc_admdvs, updated_at = EXCLUDED.updated_at
     WHERE person_index.updated_at < EXCLUDED.updated_at
"""


async def upsert(pool: asyncpg.Pool, insured_admdvs: str, entries: Sequence[IndexEntry]) -> None:
    """Idempotent: a replayed event changes nothing; of two enrolments the later one wins."""
    rows = latest_per_certificate(entries)
    if not rows:
        return
    await pool.execute(
        _UPSERT,
        [r.certno_hash for r in rows],
        [r.psn_cert_type for r in rows],
        insured_admdvs,
        [r.enrolled_at for r in rows],
    )


async def lookup(pool: asyncpg.Pool, certno_hash: str, psn_cert_type: str) -> str | None:
    """The insured region of a certificate, or None when no region announced it."""
    found: str | None = await pool.fetchval(
        "SELECT insuplc_admdvs FROM person_index WHERE certno_hash = $1 AND psn_cert_type = $2",
        certno_hash,
        psn_cert_type,
    )
    return found


async def summary(pool: asyncpg.Pool) -> dict[str, int]:
    """Persons per insured region: what an operator checks after a re-sync (no personal data)."""
    rows = await pool.fetch(
        "SELECT insuplc_admdvs, count(*) AS n FROM person_index "
        "GROUP BY insuplc_admdvs ORDER BY insuplc_admdvs"
    )
    return {r["insuplc_admdvs"]: r["n"] for r in rows}
