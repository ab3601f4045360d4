"""Filings and chronic-disease filings in and out of the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.insured_region.adapters.orm import ChronicFilingRow, FilingRow, PersonRow
from services.insured_region.adapters.persons import filing_row, filing_to_domain
from services.insured_region.domain.person import ChronicFiling, Filing
from shared import clock


async def next_filing_id(session: AsyncSession, prefix: str, admdvs: str, today_yymmdd: str) -> str:
    """``F``/``M`` + pool + YYMMDD + 7-digit sequence, like the national ids (docs/codes.md)."""
    seq = await session.scalar(text("SELECT nextval('settlement_seq')"))
    return f"{prefix}{admdvs}{today_yymmdd}{int(seq or 0) % 10_000_000:07d}"


async def lock_person(session: AsyncSession, psn_no: str) -> bool:
    """Filings of one person change one at a time (the one-active-filing rule needs it)."""
    found = await session.scalar(
        select(PersonRow.psn_no).where(PersonRow.psn_no == psn_no).with_for_update()
    )
    return found is not None


async def add(session: AsyncSession, psn_no: str, filing: Filing, msgid: str | None = None) -> None:
    row = filing_row(psn_no, filing)
    row.msgid = msgid
    session.add(row)


async def get(session: AsyncSession, psn_no: str, filing_id: str) -> Filing | None:
    row = await session.scalar(
        select(FilingRow).where(FilingRow.filing_id == filing_id, FilingRow.psn_no == psn_no)
    )
    return filing_to_domain(row) if row is not None else None


async def save(session: AsyncSession, filing: Filing) -> None:
    await session.execute(
        update(FilingRow)
        .where(FilingRow.filing_id == filing.filing_id)
        .values(
            category=filing.category,
            dest_admdvs=filing.dest_admdvs,
            begndate=filing.begndate,
            enddate=filing.enddate,
            status=filing.status,
            materials_complete=filing.materials_complete,
        )
    )


async def add_chronic(
    session: AsyncSession, psn_no: str, filing: ChronicFiling, msgid: str | None = None
) -> None:
    session.add(
        ChronicFilingRow(
            filing_id=filing.filing_id,
            psn_no=psn_no,
            opsp_dise_code=filing.opsp_dise_code,
            begndate=filing.begndate,
            enddate=filing.enddate,
            status=filing.status,
            msgid=msgid,
            created_at=clock.now(),  # compared with settlement times: business time
        )
    )


async def cancel_chronic(session: AsyncSession, psn_no: str, filing_id: str) -> bool:
    result = await session.execute(
        update(ChronicFilingRow)
        .where(
            ChronicFilingRow.filing_id == filing_id,
            ChronicFilingRow.psn_no == psn_no,
            ChronicFilingRow.status == "active",
        )
        .values(status="cancelled")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


@dataclass(frozen=True, slots=True)
class MadeByMessage:
    """A filing as the hospital message that made it knows it."""

    chronic: bool
    filing_id: str
    psn_no: str
    status: str
    created_at: datetime


async def by_msgid(session: AsyncSession, msgid: str) -> MadeByMessage | None:
    for chronic, table in ((False, FilingRow), (True, ChronicFilingRow)):
        row = (
            await session.execute(
                select(table.filing_id, table.psn_no, table.status, table.created_at).where(
                    table.msgid == msgid
                )
            )
        ).first()
        if row is not None:
            return MadeByMessage(chronic, *row)
    return None


async def set_status(session: AsyncSession, made: MadeByMessage, status: str) -> None:
    table = ChronicFilingRow if made.chronic else FilingRow
    await session.execute(
        update(table).where(table.filing_id == made.filing_id).values(status=status)
    )


async def tombstoned(session: AsyncSession, msgid: str) -> bool:
    """Was this msgid reversed (2601) before it came? (The ledger writes the tombstones.)"""
    found = await session.scalar(
        text("SELECT EXISTS (SELECT 1 FROM reversal_tombstone WHERE omsgid = :m)"), {"m": msgid}
    )
    return bool(found)


class FilingMarks:
    """What a 2601 of a filing reads and writes, on the unit of work's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock_person(self, psn_no: str) -> bool:
        """The lock every change of a person's filings takes (see ``lock_person``)."""
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM person WHERE psn_no = $1 FOR UPDATE", psn_no
            )
        )

    async def made_by(self, msgid: str) -> MadeByMessage | None:
        row = await self._conn.fetchrow(
            """SELECT false AS chronic, filing_id, psn_no, status, created_at
                 FROM filing WHERE msgid = $1
               UNION ALL
               SELECT true, filing_id, psn_no, status, created_at
                 FROM chronic_filing WHERE msgid = $1
               LIMIT 1""",
            msgid,
        )
        return MadeByMessage(*row) if row is not None else None

    async def set_status(self, made: MadeByMessage, status: str) -> None:
        table = "chronic_filing" if made.chronic else "filing"
        await self._conn.execute(
            f"UPDATE {table} SET status = $2 WHERE filing_id = $1", made.filing_id, status
        )
