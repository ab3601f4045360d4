"""Writes and reads of the transaction log, in SQLAlchemy Core: this is the hub's hot path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.national_hub.adapters.orm import RelayLog
from shared.envelope import RelayEnvelope
from shared.logging import mask_id_no

_TABLE = cast(Table, RelayLog.__table__)


def _person_fields(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """psn_no in clear (an insurance number), the id number masked (design §8)."""
    data: Any = payload.get("data") or payload.get("baseinfo") or payload
    if not isinstance(data, dict):
        return None, None
    psn_no = data.get("psn_no")
    certno = data.get("certno") or data.get("mdtrt_cert_no")
    return (str(psn_no) if psn_no else None, mask_id_no(str(certno)) if certno else None)


_RECORD = """
    INSERT INTO relay_log (relay_id, msgid, infno, kind, stage, sender_admdvs, mdtrtarea_admvs,
        insuplc_admdvs, fixmedins_code, route, outcome, err_code, err_detail, psn_no,
        certno_masked, sent_at, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
    ON CONFLICT (relay_id, kind, stage) DO NOTHING
"""


async def record(
    pool: asyncpg.Pool,
    envelope: RelayEnvelope,
    *,
    stage: str,
    outcome: str,
    route: str | None,
    err_code: str | None = None,
    err_detail: str | None = None,
) -> bool:
    """Insert one log row; False when this (relay_id, kind, stage) was already recorded.

    One autocommitted statement on plain asyncpg: this runs twice for every relayed message.
    """
    psn_no, certno_masked = _person_fields(envelope.payload)
    status = await pool.execute(
        _RECORD,
        envelope.relay_id,
        envelope.msgid,
        envelope.infno,
        envelope.kind.value,
        stage,
        envelope.sender_admdvs,
        envelope.mdtrtarea_admvs,
        envelope.insuplc_admdvs,
        envelope.fixmedins_code,
        route,
        outcome,
        err_code or envelope.err_code,
        (err_detail or envelope.err_detail or None),
        psn_no,
        certno_masked,
        envelope.hops[0].at if envelope.hops else None,
        datetime.now(UTC),
    )
    return str(status).endswith(" 1")


async def find(
    engine: AsyncEngine,
    *,
    msgid: str | None = None,
    psn_no: str | None = None,
    admdvs: str | None = None,
    limit: int = 100,
) -> Sequence[dict[str, Any]]:
    query = select(_TABLE).order_by(_TABLE.c.id).limit(limit)
    if msgid:
        query = query.where(_TABLE.c.msgid == msgid)
    if psn_no:
        query = query.where(_TABLE.c.psn_no == psn_no)
    if admdvs:
        query = query.where(
            (_TABLE.c.mdtrtarea_admvs == admdvs) | (_TABLE.c.insuplc_admdvs == admdvs)
        )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [dict(row) for row in rows]
