"""The hospital-message log, in SQLAlchemy Core (on the path of every hospital call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.treating_region.adapters.orm import HospitalMessage

_T = cast(Table, HospitalMessage.__table__)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    msgid: str
    infno: str
    body_hash: str
    relay_id: str | None
    inf_refmsgid: str
    status: str
    err_code: str | None
    err_detail: str | None
    output: dict[str, Any] | None
    received_at: datetime
    answered_at: datetime | None


async def claim(
    engine: AsyncEngine,
    *,
    msgid: str,
    infno: str,
    fixmedins_code: str,
    mdtrtarea_admvs: str,
    insuplc_admdvs: str,
    body_hash: str,
    relay_id: str | None,
    inf_refmsgid: str,
) -> StoredMessage | None:
    """Insert the pending row; on a msgid already seen, return what is stored instead."""
    async with engine.begin() as conn:
        inserted = await conn.execute(
            insert(_T)
            .values(
                msgid=msgid,
                infno=infno,
                fixmedins_code=fixmedins_code,
                mdtrtarea_admvs=mdtrtarea_admvs,
                insuplc_admdvs=insuplc_admdvs,
                body_hash=body_hash,
                relay_id=relay_id,
                inf_refmsgid=inf_refmsgid,
                status="pending",
                received_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["msgid"])
        )
        if inserted.rowcount:
            return None
        row = (await conn.execute(select(_T).where(_T.c.msgid == msgid))).mappings().one()
    return StoredMessage(**{k: row[k] for k in StoredMessage.__slots__})


async def answer(
    engine: AsyncEngine,
    msgid: str,
    *,
    status: str,
    output: dict[str, Any] | None = None,
    err_code: str | None = None,
    err_detail: str | None = None,
    only_if: str | None = None,
) -> bool:
    statement = (
        update(_T)
        .where(_T.c.msgid == msgid)
        .values(
            status=status,
            output=output,
            err_code=err_code,
            err_detail=err_detail,
            answered_at=datetime.now(UTC),
        )
    )
    if only_if is not None:
        statement = statement.where(_T.c.status == only_if)
    async with engine.begin() as conn:
        result = await conn.execute(statement)
    return bool(result.rowcount)


async def find(engine: AsyncEngine, msgid: str) -> StoredMessage | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(_T).where(_T.c.msgid == msgid))).mappings().first()
    if row is None:
        return None
    return StoredMessage(**{k: row[k] for k in StoredMessage.__slots__})
