"""Enrolment, and the national person index it keeps current (design §4).

Every enrolment owes the hub an ``enrolled`` event, written to the outbox in the enrolment's own
transaction, so that no enrolment is ever missing from the index for a lost publish. A full
re-sync (``index-sync``, and every ``seed``) owes the region's whole index the same way; the hub's
upsert is idempotent, so announcing a person twice costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.insured_region.adapters import outbox, persons
from services.insured_region.domain.person import Person
from shared.envelope import RelayEnvelope
from shared.messaging.person_index import Enrolled, enrolment_events

PUBLISH_GRACE_S = 5.0
"""The enrolling request publishes its event itself; the outbox relay takes it only after this."""
PAGE = 5000


async def enrol(
    sessions: async_sessionmaker[AsyncSession], person: Person, index_key: bytes
) -> list[RelayEnvelope] | None:
    """Enrol one person; the events now owed to the hub, or None if psn_no or the certificate
    is taken. The caller publishes the events after the commit (the outbox is the backstop)."""
    async with sessions() as session, session.begin():
        if not await persons.add(session, person):
            return None
        enrolled = Enrolled(person.psn_cert_type, person.certno, datetime.now(UTC))
        events = enrolment_events(person.insuplc_admdvs, [enrolled], index_key)
        await outbox.send_to_hub(session, events, grace_s=PUBLISH_GRACE_S)
    return events


async def owe_index(session: AsyncSession, admdvs: str, index_key: bytes) -> int:
    """Inside the caller's transaction: owe the hub the region's whole index; persons counted."""
    after, count = "", 0
    while page := await persons.enrolments(session, admdvs, after_psn_no=after, limit=PAGE):
        events = enrolment_events(admdvs, (e for _, e in page), index_key, resync=True)
        await outbox.send_to_hub(session, events)
        count += len(page)
        after = page[-1][0]
    return count


async def resync(
    sessions: async_sessionmaker[AsyncSession], regions: Iterable[str], index_key: bytes
) -> dict[str, int]:
    """``index-sync``: each region's index owed to the hub, one transaction per region."""
    counts = {}
    for admdvs in regions:
        async with sessions() as session, session.begin():
            counts[admdvs] = await owe_index(session, admdvs, index_key)
    return counts
