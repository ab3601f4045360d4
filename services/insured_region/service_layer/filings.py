"""Filing use cases: the counter and the national app (admin API), and 2501–2504 from hospitals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.insured_region.adapters import filings as repo
from services.insured_region.adapters import persons
from services.insured_region.domain.filing import (
    REVERSED,
    FilingRequest,
    cancel_filing,
    change_filing,
    new_filing,
)
from services.insured_region.domain.person import ChronicFiling, Filing, Person
from services.insured_region.domain.policy import RegionPolicy, policy_for
from shared.errors import E1001, E2002, E2004, E2006, E4007, RelayError


async def _person(session: AsyncSession, psn_no: str, admdvs: str | None) -> Person:
    if not await repo.lock_person(session, psn_no):
        raise RelayError(E1001, detail=f"psn_no {psn_no}")
    person = await persons.by_psn_no(session, psn_no)
    assert person is not None
    if admdvs is not None and person.insuplc_admdvs != admdvs:
        raise RelayError(E1001, detail=f"psn_no {psn_no} 不是参保地 {admdvs} 的参保人员")
    return person


async def _filing(
    session: AsyncSession,
    policies: Mapping[str, RegionPolicy],
    psn_no: str,
    filing_id: str,
    admdvs: str | None,
) -> tuple[Person, RegionPolicy, Filing]:
    """The locked person, their region's policy and the filing a change or cancel is about."""
    person = await _person(session, psn_no, admdvs)
    policy = policy_for(policies, person.insuplc_admdvs)
    current = await repo.get(session, psn_no, filing_id)
    if current is None:
        raise RelayError(E2006, detail=filing_id)
    return person, policy, current


async def _made_by(session: AsyncSession, msgid: str | None) -> repo.MadeByMessage | None:
    """What this hospital message already made; E4007 if a 2601 reversed it before it came.

    The caller holds the person lock, which a 2601 of a filing takes too.
    """
    if msgid is None:
        return None
    made = await repo.by_msgid(session, msgid)
    if made is not None and made.status == REVERSED:
        raise RelayError(E4007, detail=msgid)
    if made is None and await repo.tombstoned(session, msgid):
        raise RelayError(E4007, detail=msgid)
    return made


async def create(
    sessions: async_sessionmaker[AsyncSession],
    policies: Mapping[str, RegionPolicy],
    psn_no: str,
    req: FilingRequest,
    today: date,
    *,
    admdvs: str | None = None,
    msgid: str | None = None,
) -> Filing:
    """A new filing; from a hospital's 2501 it is made once per msgid, and never after a 2601."""
    async with sessions() as session, session.begin():
        person = await _person(session, psn_no, admdvs)
        made = await _made_by(session, msgid)
        if made is not None:
            return next(f for f in person.filings if f.filing_id == made.filing_id)
        policy = policy_for(policies, person.insuplc_admdvs)
        filing_id = await repo.next_filing_id(
            session, "F", person.insuplc_admdvs, f"{today:%y%m%d}"
        )
        filing = new_filing(policy.filing, person.insuplc_admdvs, person.filings, req, filing_id)
        await repo.add(session, psn_no, filing, msgid)
    return filing


async def change(
    sessions: async_sessionmaker[AsyncSession],
    policies: Mapping[str, RegionPolicy],
    psn_no: str,
    filing_id: str,
    req: FilingRequest,
    today: date,
) -> Filing:
    async with sessions() as session, session.begin():
        person, policy, current = await _filing(session, policies, psn_no, filing_id, None)
        changed = change_filing(policy.filing, person.insuplc_admdvs, current, req, today)
        others = tuple(f for f in person.filings if f.filing_id != filing_id)
        # the changed filing must still respect the one-active-filing rule
        new_filing(policy.filing, person.insuplc_admdvs, others, req, filing_id)
        await repo.save(session, changed)
    return changed


async def cancel(
    sessions: async_sessionmaker[AsyncSession],
    policies: Mapping[str, RegionPolicy],
    psn_no: str,
    filing_id: str,
    today: date,
    *,
    admdvs: str | None = None,
) -> Filing:
    async with sessions() as session, session.begin():
        _, policy, current = await _filing(session, policies, psn_no, filing_id, admdvs)
        cancelled = cancel_filing(policy.filing, current, today)
        await repo.save(session, cancelled)
    return cancelled


async def create_chronic(
    sessions: async_sessionmaker[AsyncSession],
    policies: Mapping[str, RegionPolicy],
    psn_no: str,
    code: str,
    begndate: date,
    enddate: date | None,
    today: date,
    *,
    admdvs: str | None = None,
    msgid: str | None = None,
) -> ChronicFiling:
    """2503: the disease must be on the insured region's list (参保地 门诊慢特病病种范围)."""
    async with sessions() as session, session.begin():
        person = await _person(session, psn_no, admdvs)
        made = await _made_by(session, msgid)
        if made is not None:
            return next(c for c in person.chronic_filings if c.filing_id == made.filing_id)
        policy = policy_for(policies, person.insuplc_admdvs)
        if code not in policy.chronic:
            raise RelayError(E2002, detail=f"病种 {code} 不在{policy.name}门诊慢特病病种范围内")
        if enddate is not None and enddate < begndate:
            raise RelayError(E2002, detail="结束日期 enddate 早于开始日期 begndate")
        if any(c.covers(code, begndate) for c in person.chronic_filings):
            raise RelayError(E2004, detail=code)
        filing_id = await repo.next_filing_id(
            session, "M", person.insuplc_admdvs, f"{today:%y%m%d}"
        )
        filing = ChronicFiling(filing_id, code, begndate, enddate, "active")
        await repo.add_chronic(session, psn_no, filing, msgid)
    return filing


async def cancel_chronic(
    sessions: async_sessionmaker[AsyncSession], psn_no: str, filing_id: str
) -> None:
    async with sessions() as session, session.begin():
        if not await repo.cancel_chronic(session, psn_no, filing_id):
            raise RelayError(E2006, detail=filing_id)


async def listing(sessions: async_sessionmaker[AsyncSession], psn_no: str) -> Person:
    async with sessions() as session:
        person = await persons.by_psn_no(session, psn_no)
    if person is None:
        raise RelayError(E1001, detail=f"psn_no {psn_no}")
    return person
