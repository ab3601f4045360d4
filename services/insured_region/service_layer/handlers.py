"""Use cases of the insured region; each owns its transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.insured_region.adapters import persons
from services.insured_region.domain.person import Person, check_identity
from shared.errors import E9002, RelayError


async def person_info(
    sessions: async_sessionmaker[AsyncSession],
    *,
    admdvs: str,
    psn_cert_type: str,
    certno: str,
    psn_name: str | None,
) -> Person:
    """1101: who is this, how are they insured, which filings do they hold."""
    if not certno:
        raise RelayError(
            E9002, detail="字段 input.data.certno：必填，未填写（或填写 mdtrt_cert_no）"
        )
    async with sessions() as session:
        found = await persons.by_certno(session, admdvs, psn_cert_type, certno)
    return check_identity(found, certno=certno, psn_name=psn_name)
