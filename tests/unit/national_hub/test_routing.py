"""The hub's routing decision (design §4): check the sender, choose the route, forward or refuse."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.national_hub.domain.routing import (
    ENROLMENT_EVENT,
    NOT_IN_INDEX,
    Certificate,
    Decision,
    Forward,
    Incoming,
    Index,
    Refuse,
    certificate_of,
    decide,
    expected_sender,
    needs_index,
)
from shared.errors import E1001, E5001, E5004, E5005, ErrorSpec
from shared.messaging.person_index import ENROLMENT_INFNO
from shared.regions import PLATFORM, Route

NOW = datetime(2026, 11, 23, 2, 15, tzinfo=UTC)
REPLY_QUEUE = "treating.reply.110000.4f2c"

REQUEST = Incoming(
    kind="request",
    sender_admdvs="110000",
    sender="110000",
    mdtrtarea_admvs="110000",
    insuplc_admdvs="650100",
    reply_to=REPLY_QUEUE,
    deadline=NOW + timedelta(seconds=30),
)
REPLY = replace(REQUEST, kind="reply", sender_admdvs="650100", sender="650100")
PERSON_INFO = replace(REQUEST, infno="1101")
UNPLACED = replace(PERSON_INFO, insuplc_admdvs="")
"""A 1101 whose insured region the hospital did not know (design §4)."""
ENROLMENT = Incoming(
    kind="event",
    sender_admdvs="650100",
    sender="650100",
    mdtrtarea_admvs="650100",
    insuplc_admdvs="650100",
    reply_to=None,
    deadline=NOW + timedelta(days=7),
    infno="enrolled",
)


def sent_by(msg: Incoming, admdvs: str) -> Incoming:
    """The same message, sent by another region's broker user."""
    return replace(msg, sender_admdvs=admdvs, sender=admdvs)


@dataclass(frozen=True)
class Case:
    name: str
    msg: Incoming
    expect: Forward | Index | ErrorSpec
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
        "broker_user_of_another_region_is_e5004",
        replace(REQUEST, sender="120000"),
        E5004,
        Route.CROSS,
    ),
    Case(
        "no_user_id_the_broker_checked_is_e5004",
        replace(REQUEST, sender=None),
        E5004,
        Route.CROSS,
    ),
    Case(
        "the_platform_may_send_for_a_region",
        replace(REQUEST, sender=PLATFORM),
        Forward("650100", None, Route.CROSS),
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
        "a_wrong_sender_is_checked_before_the_region_is_e5004",
        replace(REQUEST, insuplc_admdvs="990100", sender="120000"),
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
    # ---- 1101 without its insured region: the national person index supplies it (design §4)
    Case(
        "person_info_without_insured_region_goes_where_the_index_says",
        replace(UNPLACED, indexed_admdvs="650100"),
        Forward("650100", None, Route.CROSS),
        Route.CROSS,
    ),
    Case(
        "person_info_resolved_in_the_same_province_is_intra",
        sent_by(replace(UNPLACED, mdtrtarea_admvs="150200", indexed_admdvs="159900"), "150200"),
        Forward("159900", None, Route.INTRA),
        Route.INTRA,
    ),
    Case(
        "person_info_resolved_to_the_treating_pool_itself_is_intra",
        replace(UNPLACED, indexed_admdvs="110000"),
        Forward("110000", None, Route.INTRA),
        Route.INTRA,
    ),
    Case(
        "person_info_for_a_certificate_not_in_the_index_is_e1001",
        UNPLACED,
        E1001,
        None,
    ),
    Case(
        "person_info_with_its_insured_region_ignores_the_index",
        replace(PERSON_INFO, indexed_admdvs="120000"),
        Forward("650100", None, Route.CROSS),
        Route.CROSS,
    ),
    Case(
        "other_request_without_insured_region_is_e5001_index_or_not",
        replace(REQUEST, infno="2401", insuplc_admdvs="", indexed_admdvs="650100"),
        E5001,
        None,
    ),
    Case(
        "request_without_infno_or_insured_region_is_e5001",
        replace(REQUEST, insuplc_admdvs=""),
        E5001,
        None,
    ),
    Case(
        "person_info_without_insured_region_and_bad_signature_is_e5004",
        replace(UNPLACED, sender="120000", indexed_admdvs="650100"),
        E5004,
        Route.CROSS,
    ),
    Case(
        "person_info_not_in_the_index_from_an_unknown_treating_region_is_e5001",
        sent_by(replace(UNPLACED, mdtrtarea_admvs="990100"), "990100"),
        E5001,
        None,
    ),
    Case(
        "person_info_resolved_but_expired_is_e5005",
        replace(UNPLACED, indexed_admdvs="650100", deadline=NOW - timedelta(seconds=1)),
        E5005,
        Route.CROSS,
    ),
    Case(
        "reply_to_a_resolved_person_info_comes_from_the_resolved_region",
        replace(REPLY, infno="1101"),
        Forward(None, REPLY_QUEUE, Route.CROSS),
        Route.CROSS,
    ),
    # ---- enrolment events keep the index current; the hub forwards nothing
    Case(
        "enrolment_event_from_its_own_region_is_indexed",
        ENROLMENT,
        Index("650100"),
        None,
    ),
    Case(
        "enrolment_event_past_its_deadline_is_still_indexed",
        replace(ENROLMENT, deadline=NOW - timedelta(days=1)),
        Index("650100"),
        None,
    ),
    Case(
        "enrolment_event_about_another_regions_persons_is_e5004",
        replace(ENROLMENT, insuplc_admdvs="110000"),
        E5004,
        None,
    ),
    Case(
        "enrolment_event_claiming_another_sender_is_e5004",
        replace(ENROLMENT, sender="110000"),
        E5004,
        Route.INTRA,
    ),
    Case(
        "enrolment_event_with_bad_signature_is_e5004",
        replace(ENROLMENT, sender="120000"),
        E5004,
        Route.INTRA,
    ),
    Case(
        "enrolment_event_of_a_province_code_is_e5001",
        sent_by(replace(ENROLMENT, mdtrtarea_admvs="150000", insuplc_admdvs="150000"), "150000"),
        E5001,
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_decide(case: Case) -> None:
    decision: Decision = decide(case.msg, NOW)
    if isinstance(case.expect, Forward | Index):
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


def test_not_in_index_detail_says_so_in_chinese() -> None:
    decision = decide(UNPLACED, NOW)
    assert isinstance(decision, Refuse)
    assert decision.detail == NOT_IN_INDEX
    assert "全国人员参保索引" in decision.detail
    assert "insuplc_admdvs" in decision.detail


def test_the_enrolment_event_code_is_the_one_regions_send() -> None:
    assert ENROLMENT_EVENT == ENROLMENT_INFNO


@pytest.mark.parametrize(
    ("kind", "infno", "insuplc_admdvs", "expected"),
    [
        ("request", "1101", "", True),
        ("request", "1101", "650100", False),
        ("request", "2401", "", False),
        ("reply", "1101", "", False),
        ("event", "1101", "", False),
    ],
)
def test_needs_index(kind: str, infno: str, insuplc_admdvs: str, expected: bool) -> None:
    assert needs_index(kind, infno, insuplc_admdvs) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "A", "certno": "B"}},
            Certificate(None, "B"),
            id="certno_before_the_visit_certificate",
        ),
        pytest.param(
            {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": " A "}},
            Certificate(None, "A"),
            id="visit_certificate_when_no_certno",
        ),
        pytest.param(
            {"data": {"mdtrt_cert_no": "A", "certno": "", "psn_cert_type": "01"}},
            Certificate("01", "A"),
            id="blank_certno_is_absent",
        ),
        pytest.param(
            {"data": {"certno": "B", "psn_cert_type": " "}},
            Certificate(None, "B"),
            id="blank_cert_type_is_absent",
        ),
        pytest.param({"data": {"mdtrt_cert_type": "02"}}, None, id="no_certificate"),
        pytest.param({"data": "B"}, None, id="data_not_an_object"),
        pytest.param({}, None, id="no_data"),
    ],
)
def test_certificate_of(payload: dict[str, object], expected: Certificate | None) -> None:
    assert certificate_of(payload) == expected
