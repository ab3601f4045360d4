"""What the hub decides for the messages that come to it (design §4): a 1101 to route by the
person index, an enrolment event, a request the broker could route nowhere. Decided from the
envelope and the broker-checked sender alone.

Alone but for one fact: a 1101 may come without its insured region (the patient shows only a
card or an e-voucher). The edge then looks the certificate up in the national person index and
passes what it found as ``Incoming.indexed_admdvs``; the decision stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import E1001, E5001, E5004, E5005, ErrorSpec
from shared.regions import PLATFORM, REGIONS, Route, route_between

NATIONAL_SENDER = PLATFORM
"""The sender code of the answers the hub makes itself."""

PERSON_INFO = "1101"
ENROLMENT_EVENT = "enrolled"
"""An insured region's enrolment event (``shared.messaging.person_index.ENROLMENT_INFNO``)."""

NOT_IN_INDEX = (
    "全国人员参保索引中没有该证件号码，无法确定参保地；请核对证件类型和号码，"
    "或在 insuplc_admdvs 中填写参保地医保区划"
)

UNVERIFIED = "报文未携带经消息服务校验的发送方（user_id），无法确认发送地区，未转发"

KIND_ZH = {"request": "请求", "reply": "应答", "event": "事件"}
"""An envelope's kind, as a refusal's detail names it."""


@dataclass(frozen=True, slots=True)
class Forward:
    """A request goes to its insured region's queue; a reply to the process that waits."""

    insured_admdvs: str | None
    reply_to: str | None
    route: Route | None


@dataclass(frozen=True, slots=True)
class Refuse:
    error: ErrorSpec
    detail: str
    route: Route | None


@dataclass(frozen=True, slots=True)
class Index:
    """An enrolment event: the hub keeps it in the national person index, forwards nothing."""

    insured_admdvs: str
    route: Route | None = None


Decision = Forward | Refuse | Index


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: str
    sender_admdvs: str
    sender: str | None
    """Who published it, as RabbitMQ checked (``user_id``): a region, ``PLATFORM``, or None
    when the message carries no user the broker vouched for (refused)."""
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    reply_to: str | None
    deadline: datetime
    infno: str = ""
    indexed_admdvs: str | None = None
    """For a message that ``needs_index``: the insured region the person index gives (None:
    the certificate is not there)."""


@dataclass(frozen=True, slots=True)
class Certificate:
    """What a 1101 names its person by, as the person index is keyed."""

    psn_cert_type: str | None
    certno: str


def expected_sender(kind: str, mdtrtarea_admvs: str, insuplc_admdvs: str) -> str:
    """A request comes from the treating region, a reply from the insured region."""
    return insuplc_admdvs if kind == "reply" else mdtrtarea_admvs


def needs_index(kind: str, infno: str, insuplc_admdvs: str) -> bool:
    """Only 1101 may leave its insured region to the relay (design §4); others get E5001."""
    return kind == "request" and infno == PERSON_INFO and not insuplc_admdvs


def certificate_of(payload: Mapping[str, Any]) -> Certificate | None:
    """The certificate a 1101 names: ``certno``, else the visit certificate ``mdtrt_cert_no``,
    read as the insured region reads it."""
    data = payload.get("data")
    if not isinstance(data, Mapping):
        return None
    certno = str(data.get("certno") or data.get("mdtrt_cert_no") or "").strip()
    if not certno:
        return None
    cert_type = str(data.get("psn_cert_type") or "").strip()
    return Certificate(cert_type or None, certno)


def _is_pool(admdvs: str) -> bool:
    return admdvs in REGIONS and REGIONS[admdvs].is_pool


def decide(msg: Incoming, now: datetime) -> Decision:
    insured = msg.insuplc_admdvs
    resolving = needs_index(msg.kind, msg.infno, insured)
    if resolving and msg.indexed_admdvs:
        insured = msg.indexed_admdvs
    route = None
    if msg.mdtrtarea_admvs in REGIONS and insured in REGIONS:
        route = route_between(msg.mdtrtarea_admvs, insured)
    sender = expected_sender(msg.kind, msg.mdtrtarea_admvs, msg.insuplc_admdvs)
    if msg.sender is None:
        return Refuse(E5004, UNVERIFIED, route)
    if (msg.sender not in (PLATFORM, msg.sender_admdvs)) or msg.sender_admdvs != sender:
        kind = KIND_ZH.get(msg.kind, msg.kind)
        return Refuse(E5004, f"{kind}报文的发送方为 {msg.sender_admdvs}，应为 {sender}", route)
    if msg.kind == "reply":
        if not msg.reply_to:
            return Refuse(E5001, "应答报文缺少 reply_to", route)
        return Forward(None, msg.reply_to, route)
    if msg.kind == "event" and msg.infno == ENROLMENT_EVENT:
        return _enrolment(msg)
    if msg.mdtrtarea_admvs not in REGIONS:
        return Refuse(
            E5001, f"就医地 mdtrtarea_admvs {msg.mdtrtarea_admvs} 不是已知的医保区划", None
        )
    if resolving and not msg.indexed_admdvs:
        return Refuse(E1001, NOT_IN_INDEX, None)
    if not _is_pool(insured):
        named = f"参保地 insuplc_admdvs {insured} 不是可路由的统筹区" if insured else None
        return Refuse(E5001, named or "参保地 insuplc_admdvs 未填写", None)
    if now >= msg.deadline:
        return Refuse(E5005, "国家平台转发前已超过应答时限", route)
    return Forward(insured, None, route)


def _enrolment(msg: Incoming) -> Decision:
    """A region announces only its own persons (the sender check made it the treating field)."""
    if msg.insuplc_admdvs != msg.sender_admdvs:
        return Refuse(
            E5004, f"{msg.sender_admdvs} 不能登记参保地 {msg.insuplc_admdvs} 的人员", None
        )
    if not _is_pool(msg.insuplc_admdvs):
        return Refuse(E5001, f"参保登记地 {msg.insuplc_admdvs} 不是统筹区", None)
    return Index(msg.insuplc_admdvs)
