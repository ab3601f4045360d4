"""The hub's routing decision (design §4): check the sender, choose the route, forward or refuse."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.national_hub.domain.routing import (
    Decision,
    Forward,
    Incoming,
    Refuse,
    decide,
    expected_sender,
)
from shared.errors import E5001, E5004, E5005, ErrorSpec
from shared.regions import Route

NOW = datetime(2026, 11, 23, 2, 15, tzinfo=UTC)
REPLY_QUEUE = "treating.reply.110000.4f2c"

REQUEST = Incoming(
    kind="request",
    sender_admdvs="110000",
    claimed_sender="110000",
    signature_ok=True,
    mdtrtarea_admvs="110000",
    insuplc_admdvs="650100",
    reply_to=REPLY_QUEUE,
    deadline=NOW + timedelta(seconds=30),
)
REPLY = replace(REQUEST, kind="reply", sender_admdvs="650100", claimed_sender="650100")


def sent_by(msg: Incoming, admdvs: str) -> Incoming:
    """The same message, sent (and signed) by another region."""
    return replace(msg, sender_admdvs=admdvs, claimed_sender=admdvs)


@dataclass(frozen=True)
class Case:
    name: str
    msg: Incoming
    expect: Forward | ErrorSpec
    route: Route | None


CASES = [
    Case(
        "request_to_known_pool_in_another_province_forwards_cross",
        REQUEST,
        Forward("650100", None, Route.CROSS),
        Route.CROSS,
    ),
    Case(
        "request_to_known_pool_in_the_same_province_forwards_intra",
        sent_by(replace(REQUEST, mdtrtarea_admvs="150200", insuplc_admdvs="159900"), "150200"),
        Forward("159900", None, Route.INTRA),
        Route.INTRA,
    ),
    Case(
        "request_inside_one_pool_forwards_intra",
        replace(REQUEST, insuplc_admdvs="110000"),
        Forward("110000", None, Route.INTRA),
        Route.INTRA,
    ),
    Case(
        "unknown_insured_region_is_e5001",
        replace(REQUEST, insuplc_admdvs="990100"),
        E5001,
        None,
    ),
    Case(
        "insured_code_is_a_province_not_a_pool_is_e5001",
        sent_by(replace(REQUEST, mdtrtarea_admvs="150200", insuplc_admdvs="150000"), "150200"),
        E5001,
        None,
    ),
    Case(
        "unknown_treating_region_is_e5001",
        sent_by(replace(REQUEST, mdtrtarea_admvs="990100"), "990100"),
        E5001,
        None,
    ),
    Case(
        "bad_signature_is_e5004",
        replace(REQUEST, signature_ok=False),
        E5004,
        Route.CROSS,
    ),
    Case(
        "claimed_sender_header_differs_from_envelope_sender_is_e5004",
        replace(REQUEST, claimed_sender="120000"),
        E5004,
        Route.CROSS,
    ),
    Case(
        "request_sent_by_the_insured_region_is_e5004",
        sent_by(REQUEST, "650100"),
        E5004,
        Route.CROSS,
    ),
    Case(
        "request_sent_by_a_third_region_is_e5004",
        sent_by(REQUEST, "220100"),
        E5004,
        Route.CROSS,
    ),
    Case(
        "bad_signature_is_checked_before_the_region_is_e5004",
        replace(REQUEST, insuplc_admdvs="990100", signature_ok=False),
        E5004,
        None,
    ),
    Case(
        "reply_from_insured_region_forwards_to_reply_to",
        REPLY,
        Forward(None, REPLY_QUEUE, Route.CROSS),
        Route.CROSS,
    ),
    Case(
        "reply_without_reply_to_is_e5001",
        replace(REPLY, reply_to=None),
        E5001,
        Route.CROSS,
    ),
    Case(
        "reply_with_empty_reply_to_is_e5001",
        replace(REPLY, reply_to=""),
        E5001,
        Route.CROSS,
    ),
    Case(
        "reply_sent_by_the_treating_region_is_e5004",
        sent_by(REPLY, "110000"),
        E5004,
        Route.CROSS,
    ),
    Case(
        "late_reply_is_still_forwarded_never_lost",
        replace(REPLY, deadline=NOW - timedelta(seconds=5)),
        Forward(None, REPLY_QUEUE, Route.CROSS),
        Route.CROSS,
    ),
    Case(
        "expired_deadline_is_e5005",
        replace(REQUEST, deadline=NOW - timedelta(seconds=1)),
        E5005,
        Route.CROSS,
    ),
    Case(
        "deadline_exactly_now_is_e5005",
        replace(REQUEST, deadline=NOW),
        E5005,
        Route.CROSS,
    ),
    Case(
        "expired_intra_request_refusal_keeps_its_route",
        sent_by(
            replace(
                REQUEST,
                mdtrtarea_admvs="150781",
                insuplc_admdvs="150200",
                deadline=NOW - timedelta(seconds=1),
            ),
            "150781",
        ),
        E5005,
        Route.INTRA,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_decide(case: Case) -> None:
    decision: Decision = decide(case.msg, NOW)
    if isinstance(case.expect, Forward):
        assert decision == case.expect
    else:
        assert isinstance(decision, Refuse)
        assert decision.error is case.expect
        assert decision.detail
    assert decision.route is case.route


def test_case_names_are_unique() -> None:
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("request", "110000"), ("event", "110000"), ("reply", "650100")],
)
def test_expected_sender(kind: str, expected: str) -> None:
    assert expected_sender(kind, "110000", "650100") == expected


def test_refusal_detail_names_the_unknown_region() -> None:
    decision = decide(replace(REQUEST, insuplc_admdvs="990100"), NOW)
    assert isinstance(decision, Refuse)
    assert "990100" in decision.detail


def test_refusal_detail_names_the_expected_sender() -> None:
    decision = decide(sent_by(REQUEST, "650100"), NOW)
    assert isinstance(decision, Refuse)
    assert "650100" in decision.detail
    assert "110000" in decision.detail
