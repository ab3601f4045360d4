"""Enrolment events: how insured regions keep the hub's national person index current (design §4).

A 1101 may arrive without ``insuplc_admdvs`` (the patient shows only a card or an e-voucher);
the hub then finds the insured region in its person index, certificate → region. The insured
regions feed it with ``event`` envelopes of infno ``enrolled``, one per batch of at most
``BATCH_MAX`` persons of one region::

    kind=event, infno=enrolled, sender = mdtrtarea = insuplc = the region whose persons these are
    payload = {"persons": [{"certno_hash": "<hex>", "psn_cert_type": "01",
                            "enrolled_at": "<ISO time>"}, ...],
               "resync": false}

The certificate number travels and is kept only as a keyed hash (HMAC-SHA256 under a key derived
from the relay secret): the hub never needs the clear number to route, and an id number's few
unknown digits make an unkeyed hash easy to reverse. Names never travel. A region speaks only
for its own persons: the hub takes the region from the signed envelope, not from the entries.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import Field

from shared.certificates import two_digit_code
from shared.envelope import MessageKind, RelayEnvelope, WireModel

ENROLMENT_INFNO = "enrolled"
"""The event's infno (≤ 8 characters, like the log's column): 'these persons are insured here'."""
BATCH_MAX = 500
"""Persons per event: a seed or a re-sync of thousands goes in a few messages of ~50 KB."""
DEFAULT_CERT_TYPE = "01"
"""居民身份证: what a 1101 without psn_cert_type means, at the insured region as at the hub."""
EVENT_SHELF_LIFE = timedelta(days=7)
"""Events have no answer to wait for; the envelope's deadline only says how old one may be read."""

_KEY_PURPOSE = b"national-person-index"


def index_key(relay_secret: str) -> bytes:
    """The key every insured region and the hub hash certificates with (not a region's key:
    the hub looks a certificate up before it knows the region)."""
    return hmac.new(relay_secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def certno_hash(key: bytes, certno: str) -> str:
    """The certificate as the index keeps it; an id number's check letter is read as ``X``.

    Args:
        key: from ``index_key``.
        certno: the certificate number in clear.
    """
    return hmac.new(key, certno.strip().upper().encode(), hashlib.sha256).hexdigest()


def cert_type(value: object) -> str:
    """``1`` and ``01`` are the same code (design §3); absent means 居民身份证."""
    code = two_digit_code(value)
    return code if isinstance(code, str) and code else DEFAULT_CERT_TYPE


class IndexedPerson(WireModel):
    certno_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    psn_cert_type: str = Field(pattern=r"^\d{2}$")
    enrolled_at: datetime
    """When the region enrolled the person: of two regions claiming one certificate, the later
    enrolment wins, whatever order their events arrive in."""


class EnrolmentPayload(WireModel):
    persons: tuple[IndexedPerson, ...] = Field(min_length=1, max_length=BATCH_MAX)
    resync: bool = False
    """True when the batch is part of a full re-sync rather than new enrolments."""


@dataclass(frozen=True, slots=True)
class Enrolled:
    """One person as the insured region knows them, reduced to what routing needs."""

    psn_cert_type: str
    certno: str
    enrolled_at: datetime


def _batches(persons: Iterable[Enrolled]) -> Iterator[list[Enrolled]]:
    batch: list[Enrolled] = []
    for person in persons:
        batch.append(person)
        if len(batch) == BATCH_MAX:
            yield batch
            batch = []
    if batch:
        yield batch


def enrolment_events(
    admdvs: str,
    persons: Iterable[Enrolled],
    key: bytes,
    *,
    resync: bool = False,
    now: datetime | None = None,
) -> list[RelayEnvelope]:
    """The events announcing ``persons`` of region ``admdvs`` to the hub, ``BATCH_MAX`` a piece.

    Args:
        admdvs: the insured region (pool) the persons are enrolled in; it signs the events.
        persons: certificate type and number in clear, and the enrolment time.
        key: from ``index_key``.
        resync: mark the batches as a full re-sync.
        now: the time the events are made (their deadline is counted from it).
    """
    made = now or datetime.now(UTC)
    events = []
    for batch in _batches(persons):
        payload = EnrolmentPayload(
            persons=tuple(
                IndexedPerson(
                    certno_hash=certno_hash(key, p.certno),
                    psn_cert_type=cert_type(p.psn_cert_type),
                    enrolled_at=p.enrolled_at,
                )
                for p in batch
            ),
            resync=resync,
        )
        event = RelayEnvelope(
            msgid="",
            infno=ENROLMENT_INFNO,
            kind=MessageKind.EVENT,
            sender_admdvs=admdvs,
            mdtrtarea_admvs=admdvs,
            insuplc_admdvs=admdvs,
            deadline=made + EVENT_SHELF_LIFE,
            payload=payload.model_dump(mode="json"),
        ).with_hop("insured_region")
        # no hospital msgid: the relay id stands in (the log is searchable by msgid)
        events.append(event.model_copy(update={"msgid": event.relay_id}))
    return events
