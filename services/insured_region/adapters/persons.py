"""Persons in and out of the database, mapped explicitly to the frozen domain classes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.insured_region.adapters.orm import FilingRow, IdentityRow, InsuranceRow, PersonRow
from services.insured_region.domain.person import (
    ChronicFiling,
    Filing,
    Identity,
    Insurance,
    Person,
    person_from,
)
from shared import clock
from shared.messaging.person_index import Enrolled

_LOAD = (
    selectinload(PersonRow.insurances),
    selectinload(PersonRow.identities),
    selectinload(PersonRow.filings),
    selectinload(PersonRow.chronic_filings),
)


def filing_to_domain(f: FilingRow) -> Filing:
    return Filing(
        filing_id=f.filing_id,
        category=f.category,
        dest_admdvs=f.dest_admdvs,
        begndate=f.begndate,
        enddate=f.enddate,
        status=f.status,
        commitment=f.commitment,
        materials_complete=f.materials_complete,
    )


def to_domain(row: PersonRow) -> Person:
    return person_from(
        row,
        filings=(filing_to_domain(f) for f in row.filings),
        chronic_filings=(
            ChronicFiling(c.filing_id, c.opsp_dise_code, c.begndate, c.enddate, c.status)
            for c in row.chronic_filings
        ),
    )


def insurance_row(psn_no: str, insurance: Insurance) -> InsuranceRow:
    """The row has the domain's names (``insurance_from`` reads it back)."""
    return InsuranceRow(psn_no=psn_no, **dataclasses.asdict(insurance))


async def by_certno(
    session: AsyncSession, admdvs: str, psn_cert_type: str, certno: str
) -> Person | None:
    row = await session.scalar(
        select(PersonRow)
        .where(
            PersonRow.insuplc_admdvs == admdvs,
            PersonRow.psn_cert_type == psn_cert_type,
            PersonRow.certno == certno,
        )
        .options(*_LOAD)
    )
    return to_domain(row) if row is not None else None


_ONE_PERSON_SQL = """
    SELECT p.psn_no, p.insuplc_admdvs, p.psn_cert_type, p.certno, p.psn_name, p.gend, p.naty,
           p.brdy,
           (SELECT coalesce(json_agg(json_build_object(
                'insutype', i.insutype, 'psn_type', i.psn_type, 'psn_insu_stas', i.psn_insu_stas,
                'psn_insu_date', i.psn_insu_date, 'cvlserv_flag', i.cvlserv_flag,
                'balc', i.balc::text, 'emp_name', i.emp_name) ORDER BY i.id), '[]')
              FROM insurance i WHERE i.psn_no = p.psn_no) AS insurances,
           (SELECT coalesce(json_agg(json_build_object(
                'psn_idet_type', d.psn_idet_type, 'begntime', d.begntime,
                'endtime', d.endtime) ORDER BY d.id), '[]')
              FROM identity d WHERE d.psn_no = p.psn_no) AS identities,
           (SELECT coalesce(json_agg(json_build_object(
                'filing_id', f.filing_id, 'category', f.category, 'dest_admdvs', f.dest_admdvs,
                'begndate', f.begndate, 'enddate', f.enddate, 'status', f.status,
                'commitment', f.commitment, 'materials_complete', f.materials_complete)
                ORDER BY f.begndate), '[]')
              FROM filing f WHERE f.psn_no = p.psn_no) AS filings,
           (SELECT coalesce(json_agg(json_build_object(
                'filing_id', c.filing_id, 'opsp_dise_code', c.opsp_dise_code,
                'begndate', c.begndate, 'enddate', c.enddate, 'status', c.status)
                ORDER BY c.begndate), '[]')
              FROM chronic_filing c WHERE c.psn_no = p.psn_no) AS chronic_filings
      FROM person p WHERE p.psn_no = $1
"""
_ONE_PERSON = text(_ONE_PERSON_SQL.replace("$1", ":psn_no"))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _json_list(value: Any) -> list[dict[str, Any]]:
    return list(orjson.loads(value) if isinstance(value, str | bytes) else value)


async def by_psn_no(session: AsyncSession, psn_no: str) -> Person | None:
    """One round trip for the person and everything a settlement needs."""
    row = (await session.execute(_ONE_PERSON, {"psn_no": psn_no})).mappings().first()
    return _person_of(row) if row is not None else None


def with_person(sql_before: str, person_param: int) -> str:
    """``sql_before``'s single row, joined with the person (``$person_param``) or NULLs."""
    person = _ONE_PERSON_SQL.replace("$1", f"${person_param}")
    return f"SELECT e.*, pp.* FROM ({sql_before}) e LEFT JOIN LATERAL ({person}) pp ON true"


def person_of(row: Any) -> Person | None:
    """The person from a row of ``with_person``'s query (None if there was none)."""
    return _person_of(row) if row["psn_no"] is not None else None


def _person_of(row: Any) -> Person:
    return Person(
        psn_no=row["psn_no"],
        insuplc_admdvs=row["insuplc_admdvs"],
        psn_cert_type=row["psn_cert_type"],
        certno=row["certno"],
        psn_name=row["psn_name"],
        gend=row["gend"],
        naty=row["naty"],
        brdy=row["brdy"],
        insurances=tuple(
            Insurance(
                insutype=i["insutype"],
                psn_type=i["psn_type"],
                psn_insu_stas=i["psn_insu_stas"],
                psn_insu_date=date.fromisoformat(i["psn_insu_date"]),
                cvlserv_flag=bool(i["cvlserv_flag"]),
                balc=Decimal(i["balc"]),
                emp_name=i["emp_name"],
            )
            for i in _json_list(row["insurances"])
        ),
        identities=tuple(
            Identity(d["psn_idet_type"], date.fromisoformat(d["begntime"]), _date(d["endtime"]))
            for d in _json_list(row["identities"])
        ),
        filings=tuple(
            Filing(
                filing_id=f["filing_id"],
                category=f["category"],
                dest_admdvs=f["dest_admdvs"],
                begndate=date.fromisoformat(f["begndate"]),
                enddate=_date(f["enddate"]),
                status=f["status"],
                commitment=bool(f["commitment"]),
                materials_complete=bool(f["materials_complete"]),
            )
            for f in _json_list(row["filings"])
        ),
        chronic_filings=tuple(
            ChronicFiling(
                c["filing_id"],
                c["opsp_dise_code"],
                date.fromisoformat(c["begndate"]),
                _date(c["enddate"]),
                c["status"],
            )
            for c in _json_list(row["chronic_filings"])
        ),
    )


async def listing(
    session: AsyncSession, *, admdvs: str | None, limit: int, offset: int
) -> Sequence[Person]:
    query = select(PersonRow).options(*_LOAD).order_by(PersonRow.psn_no).limit(limit)
    if admdvs:
        query = query.where(PersonRow.insuplc_admdvs == admdvs)
    rows = (await session.scalars(query.offset(offset))).all()
    return [to_domain(r) for r in rows]


async def enrolments(
    session: AsyncSession, admdvs: str, *, after_psn_no: str = "", limit: int = 5000
) -> list[tuple[str, Enrolled]]:
    """A page of the region's persons reduced to what the national index needs, by psn_no."""
    rows = await session.execute(
        select(PersonRow.psn_no, PersonRow.psn_cert_type, PersonRow.certno, PersonRow.created_at)
        .where(PersonRow.insuplc_admdvs == admdvs, PersonRow.psn_no > after_psn_no)
        .order_by(PersonRow.psn_no)
        .limit(limit)
    )
    return [(r.psn_no, Enrolled(r.psn_cert_type, r.certno, r.created_at)) for r in rows]


async def add(session: AsyncSession, person: Person) -> bool:
    """Insert a person with insurance, identities and filings; False if psn_no or the
    certificate is taken (the caller's transaction decides what that means)."""
    inserted = await session.execute(
        insert(PersonRow)
        .values(
            psn_no=person.psn_no,
            insuplc_admdvs=person.insuplc_admdvs,
            psn_cert_type=person.psn_cert_type,
            certno=person.certno,
            psn_name=person.psn_name,
            gend=person.gend,
            naty=person.naty,
            brdy=person.brdy,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
        .returning(PersonRow.psn_no)
    )
    if inserted.scalar_one_or_none() is None:
        return False
    session.add_all(insurance_row(person.psn_no, i) for i in person.insurances)
    session.add_all(
        IdentityRow(
            psn_no=person.psn_no,
            psn_idet_type=d.psn_idet_type,
            begntime=d.begntime,
            endtime=d.endtime,
        )
        for d in person.identities
    )
    session.add_all(filing_row(person.psn_no, f) for f in person.filings)
    return True


def filing_row(psn_no: str, f: Filing) -> FilingRow:
    return FilingRow(
        filing_id=f.filing_id,
        psn_no=psn_no,
        category=f.category,
        dest_admdvs=f.dest_admdvs,
        begndate=f.begndate,
        enddate=f.enddate,
        status=f.status,
        commitment=f.commitment,
        materials_complete=f.materials_complete,
        created_at=clock.now(),  # compared with settlement times: business time
    )
