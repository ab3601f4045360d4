"""Where the hub sends a message, decided from the envelope alone (design §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.errors import E5001, E5004, E5005, ErrorSpec
from shared.regions import REGIONS, Route, route_between

NATIONAL_SENDER = "000000"
"""The hub signs the error replies it makes itself with this sender code."""


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


Decision = Forward | Refuse


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: str
    sender_admdvs: str
    claimed_sender: str
    signature_ok: bool
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    reply_to: str | None
    deadline: datetime


def expected_sender(kind: str, mdtrtarea_admvs: str, insuplc_admdvs: str) -> str:
    """A request comes from the treating region, a reply from the insured region."""
    return insuplc_admdvs if kind == "reply" else mdtrtarea_admvs


def decide(msg: Incoming, now: datetime) -> Decision:
    route = None
    if msg.mdtrtarea_admvs in REGIONS and msg.insuplc_admdvs in REGIONS:
        route = route_between(msg.mdtrtarea_admvs, msg.insuplc_admdvs)
    sender = expected_sender(msg.kind, msg.mdtrtarea_admvs, msg.insuplc_admdvs)
    if (
        not msg.signature_ok
        or msg.claimed_sender != msg.sender_admdvs
        or msg.sender_admdvs != sender
    ):
        return Refuse(E5004, f"{msg.kind} claims {msg.sender_admdvs}, expected {sender}", route)
    if msg.kind == "reply":
        if not msg.reply_to:
            return Refuse(E5001, "reply without reply_to", route)
        return Forward(None, msg.reply_to, route)
    if msg.mdtrtarea_admvs not in REGIONS:
        return Refuse(E5001, f"treating region {msg.mdtrtarea_admvs}", None)
    if msg.insuplc_admdvs not in REGIONS or not REGIONS[msg.insuplc_admdvs].is_pool:
        return Refuse(E5001, f"insured region {msg.insuplc_admdvs}", None)
    if now >= msg.deadline:
        return Refuse(E5005, "deadline passed before forwarding", route)
    return Forward(msg.insuplc_admdvs, None, route)
