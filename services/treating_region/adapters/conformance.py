"""The conformance kit's store (design §8b): sessions, the events they saw, forced-outcome rules.

Plain asyncpg, one autocommitted statement each, as the hospital-message log: an event is a
record of what already happened, and a rule's use is one atomic decrement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from services.treating_region.domain.conformance import Event, ForcedRule

MAX_EVENTS = 10_000
"""A session is a test, not a load: past this many events it records no more (its report says
how many it saw), so a session left open under real traffic cannot grow without bound."""


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    fixmedins_code: str
    scenarios: tuple[str, ...]
    lost_reply_minutes: Decimal
    slow_reply_seconds: Decimal
    opened_at: datetime
    closed_at: datetime | None


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def _loaded(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


def _session(row: asyncpg.Record) -> Session:
    return Session(
        id=row["id"],
        fixmedins_code=row["fixmedins_code"],
        scenarios=tuple(_loaded(row["scenarios"])),
        lost_reply_minutes=row["lost_reply_minutes"],
        slow_reply_seconds=row["slow_reply_seconds"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
    )


async def open_session(
    pool: asyncpg.Pool,
    fixmedins_code: str,
    scenarios: tuple[str, ...],
    lost_reply_minutes: Decimal,
    slow_reply_seconds: Decimal,
    arms: list[dict[str, Any]],
) -> Session:
    """The session and the rules its negative scenarios arm, in one transaction. An institution
    is under one session at a time: one still open is closed, and its rules removed, so no
    earlier session's forced outcome meets this one's calls."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "DELETE FROM forced_outcome_rule WHERE session_id IN (SELECT id FROM"
            " conformance_session WHERE fixmedins_code = $1 AND closed_at IS NULL)",
            fixmedins_code,
        )
        await conn.execute(
            "UPDATE conformance_session SET closed_at = $2"
            " WHERE fixmedins_code = $1 AND closed_at IS NULL",
            fixmedins_code,
            now,
        )
        row = await conn.fetchrow(
            "INSERT INTO conformance_session (fixmedins_code, scenarios, lost_reply_minutes,"
            " slow_reply_seconds, opened_at) VALUES ($1, $2::jsonb, $3, $4, $5) RETURNING *",
            fixmedins_code,
            _json(list(scenarios)),
            lost_reply_minutes,
            slow_reply_seconds,
            now,
        )
        for arm in arms:
            await conn.execute(
                _ADD_RULE,
                fixmedins_code,
                arm["action"],
                _json(list(arm["infnos"])),
                None,
                None,
                None,
                None,
                arm.get("err_code"),
                None,
                arm.get("delay_s"),
                1,
                row["id"],
                arm["scenario"],
                now,
            )
    return _session(row)


async def close_session(pool: asyncpg.Pool, session_id: int) -> Session | None:
    """Closed once (a second close changes nothing); the rules it armed go with it."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "UPDATE conformance_session SET closed_at = coalesce(closed_at, $2) WHERE id = $1"
            " RETURNING *",
            session_id,
            datetime.now(UTC),
        )
        await conn.execute("DELETE FROM forced_outcome_rule WHERE session_id = $1", session_id)
    return _session(row) if row is not None else None


async def get_session(pool: asyncpg.Pool, session_id: int) -> Session | None:
    row = await pool.fetchrow("SELECT * FROM conformance_session WHERE id = $1", session_id)
    return _session(row) if row is not None else None


async def open_sessions(pool: asyncpg.Pool) -> dict[str, int]:
    """Each institution's newest open session."""
    rows = await pool.fetch(
        "SELECT DISTINCT ON (fixmedins_code) fixmedins_code, id FROM conformance_session"
        " WHERE closed_at IS NULL ORDER BY fixmedins_code, id DESC"
    )
    return {row["fixmedins_code"]: row["id"] for row in rows}


async def record(
    pool: asyncpg.Pool,
    session_id: int,
    *,
    kind: str,
    msgid: str,
    infno: str,
    envelope: dict[str, Any],
    err_code: str | None,
    output: dict[str, Any] | None,
    forced: str | None,
) -> None:
    await pool.execute(
        "INSERT INTO conformance_event (session_id, kind, msgid, infno, envelope, err_code,"
        " output, forced, at) SELECT $1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9"
        " WHERE (SELECT count(*) FROM conformance_event WHERE session_id = $1) < $10",
        session_id,
        kind,
        msgid[:40],
        infno[:10],
        _json(envelope),
        err_code,
        _json(output),
        forced,
        datetime.now(UTC),
        MAX_EVENTS,
    )


async def events(pool: asyncpg.Pool, session_id: int) -> list[Event]:
    rows = await pool.fetch(
        "SELECT * FROM conformance_event WHERE session_id = $1 ORDER BY id", session_id
    )
    return [
        Event(
            seq=row["id"],
            kind=row["kind"],
            msgid=row["msgid"],
            infno=row["infno"],
            envelope=_loaded(row["envelope"]),
            err_code=row["err_code"],
            output=_loaded(row["output"]),
            forced=row["forced"],
            at=row["at"],
        )
        for row in rows
    ]


_ADD_RULE = """
    INSERT INTO forced_outcome_rule (fixmedins_code, action, infnos, msgid, psn_no, min_amount,
        max_amount, err_code, err_msg, delay_s, remaining, session_id, scenario, created_at)
    VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    RETURNING *
"""


def _rule(row: asyncpg.Record) -> ForcedRule:
    return ForcedRule(
        id=row["id"],
        fixmedins_code=row["fixmedins_code"],
        action=row["action"],
        infnos=tuple(_loaded(row["infnos"])),
        msgid=row["msgid"],
        psn_no=row["psn_no"],
        min_amount=row["min_amount"],
        max_amount=row["max_amount"],
        err_code=row["err_code"],
        err_msg=row["err_msg"],
        delay_s=row["delay_s"],
        remaining=row["remaining"],
        session_id=row["session_id"],
        scenario=row["scenario"],
    )


async def add_rule(pool: asyncpg.Pool, rule: ForcedRule) -> ForcedRule:
    row = await pool.fetchrow(
        _ADD_RULE,
        rule.fixmedins_code,
        rule.action,
        _json(list(rule.infnos)),
        rule.msgid,
        rule.psn_no,
        rule.min_amount,
        rule.max_amount,
        rule.err_code,
        rule.err_msg,
        rule.delay_s,
        rule.remaining,
        rule.session_id,
        rule.scenario,
        datetime.now(UTC),
    )
    return _rule(row)


async def rules(pool: asyncpg.Pool, fixmedins_code: str | None = None) -> list[ForcedRule]:
    rows = await pool.fetch(
        "SELECT * FROM forced_outcome_rule WHERE $1::text IS NULL OR fixmedins_code = $1"
        " ORDER BY id",
        fixmedins_code,
    )
    return [_rule(row) for row in rows]


async def remove_rule(pool: asyncpg.Pool, rule_id: int) -> bool:
    result = await pool.execute("DELETE FROM forced_outcome_rule WHERE id = $1", rule_id)
    return str(result).endswith(" 1")


async def use_rule(pool: asyncpg.Pool, rule_id: int) -> bool:
    """Take one use of the rule: False when another call (or process) took the last one, or the
    rule was removed meanwhile."""
    row = await pool.fetchrow(
        "UPDATE forced_outcome_rule SET remaining = remaining - 1"
        " WHERE id = $1 AND (remaining IS NULL OR remaining > 0) RETURNING id",
        rule_id,
    )
    return row is not None


async def give_back(pool: asyncpg.Pool, rule_id: int) -> None:
    await pool.execute(
        "UPDATE forced_outcome_rule SET remaining = remaining + 1"
        " WHERE id = $1 AND remaining IS NOT NULL",
        rule_id,
    )
