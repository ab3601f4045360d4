"""The hospital-message log: the idempotency key of every hospital call and what it was answered.

Plain asyncpg, one autocommitted statement each: claim and answer run for every call. A settle's
or cancel's answer is written by the ledger's statement instead (``adapters/ledger.py``), in the
settlement's own commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson


@dataclass(frozen=True, slots=True)
class StoredMessage:
    msgid: str
    infno: str
    fixmedins_code: str
    insuplc_admdvs: str
    body_hash: str
    relay_id: str | None
    inf_refmsgid: str
    status: str
    err_code: str | None
    err_detail: str | None
    output: dict[str, Any] | None
    received_at: datetime
    answered_at: datetime | None
    forced: str | None = None
    """The conformance kit's rule that forced this outcome, if one did (design §8b)."""

    def stuck(self, deadline_s: float, now: datetime | None = None) -> bool:
        """Pending past its deadline: whoever handled it died or lost its database."""
        age = ((now or datetime.now(UTC)) - self.received_at).total_seconds()
        return self.status == "pending" and age > deadline_s + 5


_COLUMNS = ", ".join(StoredMessage.__slots__)
_CLAIM = """
    WITH n AS (
        INSERT INTO request_nonce (paasid, stamp, nonce, seen_at)
        SELECT $10::text, $12::text, $11::text, $9 WHERE $10::text IS NOT NULL
        ON CONFLICT (paasid, stamp, nonce) DO NOTHING
        RETURNING 1
    ), m AS (
        INSERT INTO hospital_message (msgid, infno, fixmedins_code, mdtrtarea_admvs,
            insuplc_admdvs, body_hash, relay_id, inf_refmsgid, status, received_at, sign_no)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $13
         WHERE $10::text IS NULL OR EXISTS (SELECT 1 FROM n)
        ON CONFLICT (msgid) DO NOTHING
        RETURNING msgid
    )
    SELECT ($10::text IS NULL OR EXISTS (SELECT 1 FROM n)) AS fresh,
           EXISTS (SELECT 1 FROM m) AS claimed
"""
_FORGET_NONCES = "DELETE FROM request_nonce WHERE seen_at < $1"


@dataclass(frozen=True, slots=True)
class Nonce:
    """Who signed a request, with which nonce and timestamp: accepted once (design §3).

    Remembered with its timestamp, so that clients sending short random nonces (1–10 digits)
    do not collide into false replays across timestamps."""

    paasid: str
    nonce: str
    stamp: str


class NonceReused(Exception):
    """The request's nonce was seen before: a replay, whatever its msgid."""


_FIND = f"SELECT {_COLUMNS} FROM hospital_message WHERE msgid = $1"
_ANSWER = """
    UPDATE hospital_message
       SET status = $2, output = $3::jsonb, err_code = $4, err_detail = $5, answered_at = $6,
           forced = coalesce($9, forced)
     WHERE msgid = $1 AND ($7::text[] IS NULL OR status = ANY($7::text[]))
       AND ($8::text IS NULL OR insuplc_admdvs IN ('', $8))
"""


def _stored(row: asyncpg.Record) -> StoredMessage:
    values = dict(row)
    output = values["output"]
    values["output"] = orjson.loads(output) if isinstance(output, str) else output
    return StoredMessage(**values)


async def claim(
    pool: asyncpg.Pool,
    *,
    msgid: str,
    infno: str,
    fixmedins_code: str,
    mdtrtarea_admvs: str,
    insuplc_admdvs: str,
    body_hash: str,
    relay_id: str | None,
    inf_refmsgid: str,
    nonce: Nonce | None = None,
    sign_no: str | None = None,
) -> StoredMessage | None:
    """Record the nonce and insert the pending row, in one statement; on a msgid already seen,
    return what is stored instead. A nonce seen before raises ``NonceReused``."""
    row = await pool.fetchrow(
        _CLAIM,
        msgid,
        infno,
        fixmedins_code,
        mdtrtarea_admvs,
        insuplc_admdvs,
        body_hash,
        relay_id,
        inf_refmsgid,
        datetime.now(UTC),
        nonce.paasid if nonce else None,
        nonce.nonce if nonce else None,
        nonce.stamp if nonce else None,
        sign_no,
    )
    if not row["fresh"]:
        raise NonceReused(nonce.nonce if nonce else "")
    if row["claimed"]:
        return None
    row = await pool.fetchrow(_FIND, msgid)
    assert row is not None
    return _stored(row)


async def answer(
    pool: asyncpg.Pool,
    msgid: str,
    *,
    status: str,
    output: dict[str, Any] | None = None,
    err_code: str | None = None,
    err_detail: str | None = None,
    only_if: tuple[str, ...] | None = None,
    only_from: str | None = None,
    forced: str | None = None,
) -> bool:
    """Store the outcome; ``only_if``: only from one of those statuses; ``only_from``: only if
    the message went to that insured region (or to the one the hub was to find); ``forced``:
    the conformance rule that made it."""
    result = await pool.execute(
        _ANSWER,
        msgid,
        status,
        orjson.dumps(output).decode() if output is not None else None,
        err_code,
        err_detail,
        datetime.now(UTC),
        list(only_if) if only_if is not None else None,
        only_from,
        forced,
    )
    return str(result).endswith(" 1")


async def mark_forced(pool: asyncpg.Pool, msgid: str, forced: str) -> None:
    """A forced outcome on a call that ran for real (a lost reply, a delay): the log says so."""
    await pool.execute("UPDATE hospital_message SET forced = $2 WHERE msgid = $1", msgid, forced)


async def release(pool: asyncpg.Pool, msgid: str) -> None:
    """A claim whose message never left: the msgid is free again, so repeating it is safe."""
    await pool.execute(
        "DELETE FROM hospital_message WHERE msgid = $1 AND status = 'pending'", msgid
    )


async def find(pool: asyncpg.Pool, msgid: str) -> StoredMessage | None:
    row = await pool.fetchrow(_FIND, msgid)
    return _stored(row) if row is not None else None


_TOMBSTONE = """
    INSERT INTO hospital_message (msgid, infno, fixmedins_code, mdtrtarea_admvs, insuplc_admdvs,
        body_hash, relay_id, inf_refmsgid, status, err_code, received_at, answered_at)
    VALUES ($1, $2, $3, $4, $5, 'reversed', NULL, $6, 'reversed', 'E4007', $7, $7)
    ON CONFLICT (msgid) DO NOTHING
"""


async def tombstone(
    pool: asyncpg.Pool,
    *,
    msgid: str,
    infno: str,
    fixmedins_code: str,
    mdtrtarea_admvs: str,
    insuplc_admdvs: str,
    inf_refmsgid: str,
) -> None:
    """A reversal before its original: the msgid is taken, so the late original is refused."""
    now = datetime.now(UTC)
    await pool.execute(
        _TOMBSTONE, msgid, infno, fixmedins_code, mdtrtarea_admvs, insuplc_admdvs, inf_refmsgid, now
    )


async def forget_nonces(pool: asyncpg.Pool, before: datetime) -> None:
    """Nonces older than the signature window are refused by their timestamp anyway."""
    await pool.execute(_FORGET_NONCES, before)
