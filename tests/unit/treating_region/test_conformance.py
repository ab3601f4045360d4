"""The conformance kit's judgement (design §8b): request checks and scenario verdicts, from a
session's events alone."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.treating_region.domain.conformance import (
    RULES,
    SCENARIOS,
    Event,
    ForcedRule,
    check,
    findings,
    judge,
    matching,
)

CODE = "H11000000001"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WITHIN = timedelta(minutes=10)


class Session:
    """Events as a session would record them, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._seq: Iterator[int] = itertools.count(1)
        self._msg = itertools.count(1)

    def msgid(self) -> str:
        return f"{CODE}20261201090000{next(self._msg):04d}"

    def call(
        self,
        infno: str,
        input_: dict[str, Any],
        *,
        err_code: str | None = None,
        output: dict[str, Any] | None = None,
        forced: str | None = None,
        msgid: str | None = None,
        at: timedelta = timedelta(0),
        **envelope: Any,
    ) -> Event:
        msgid = msgid or self.msgid()
        env = {
            "infno": infno,
            "msgid": msgid,
            "mdtrtarea_admvs": "110000",
            "insuplc_admdvs": "650100",
            "recer_sys_code": "FSI",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": "2026-12-01 09:00:00",
            "fixmedins_code": CODE,
            "fixmedins_name": "模拟医院",
            "input": input_,
            **envelope,
        }
        env = {k: v for k, v in env.items() if v is not None}
        event = Event(next(self._seq), "call", msgid, infno, env, err_code, output, forced, T0 + at)
        self.events.append(event)
        return event

    def read(self, msgid: str, at: timedelta = timedelta(0)) -> Event:
        event = Event(next(self._seq), "read", msgid, "2207", {}, None, None, None, T0 + at)
        self.events.append(event)
        return event

    def outpatient(self, mdtrt_id: str = "V1", total: str = "30.00") -> list[Event]:
        psn = {"psn_no": "P1"}
        return [
            self.call("2201", {"data": psn}, output={"data": {"mdtrt_id": mdtrt_id}}),
            self.call(
                "2204",
                {
                    "feedetail": [
                        {
                            "feedetl_sn": "1",
                            "mdtrt_id": mdtrt_id,
                            "pric": "10.00",
                            "cnt": "3",
                            "det_item_fee_sumamt": total,
                        }
                    ]
                },
            ),
            self.call("2206", {"data": {**psn, "mdtrt_id": mdtrt_id, "medfee_sumamt": total}}),
            self.call(
                "2207",
                {"data": {**psn, "mdtrt_id": mdtrt_id, "medfee_sumamt": total}},
                output={"setlinfo": {"setl_id": "S1"}},
            ),
        ]


def rules_broken(session: Session) -> list[str]:
    return sorted({f.rule for f in findings(session.events)})


def test_a_clean_outpatient_chain_earns_no_finding_and_passes_its_scenario() -> None:
    s = Session()
    chain = s.outpatient()
    assert rules_broken(s) == []
    verdict = judge("outpatient_settle", s.events, T0, WITHIN)
    assert (verdict.status, verdict.evidence) == ("pass", tuple(e.msgid for e in chain))


@pytest.mark.parametrize(
    ("envelope", "rule", "field"),
    [
        ({"insuplc_admdvs": None}, "insuplc_with_psn_no", "insuplc_admdvs"),
        ({"fixmedins_name": None}, "envelope_fields", "fixmedins_name"),
        ({"opter": "", "infver": None}, "envelope_fields", "infver,opter"),
        ({"inf_time": "20261201090000"}, "inf_time_form", "inf_time"),
        ({"msgid": "abc"}, "msgid_form", "msgid"),
        ({"msgid": "H12000000001202612010900000001"}, "msgid_form", "msgid"),
    ],
)
def test_each_form_rule_names_its_field(envelope: dict[str, Any], rule: str, field: str) -> None:
    s = Session()
    event = s.call("1101", {"data": {"psn_no": "P1"}}, **envelope)
    found = check(event, [])
    assert [(f.rule, f.field) for f in found] == [(rule, field)]
    assert found[0].msgid == event.msgid


def test_a_person_query_without_psn_no_may_leave_the_insured_region_out() -> None:
    s = Session()
    event = s.call("1101", {"data": {"certno": "x"}}, insuplc_admdvs=None)
    assert check(event, []) == []


def test_a_fee_line_whose_amount_is_not_price_times_count() -> None:
    s = Session()
    s.outpatient(total="31.00")
    found = [f for f in findings(s.events) if f.rule == "fee_line_amount"]
    assert [(f.field, f.expected, f.got) for f in found] == [
        ("feedetail[1].det_item_fee_sumamt", "30.00", "31.00")
    ]


def test_a_settle_total_other_than_the_uploaded_lines() -> None:
    s = Session()
    s.outpatient()
    s.call("2206", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "medfee_sumamt": "29.99"}})
    found = [f for f in findings(s.events) if f.rule == "settle_total"]
    assert [(f.expected, f.got) for f in found] == [("30.00", "29.99")]


def test_settle_without_pre_settle_and_inpatient_settle_before_discharge() -> None:
    s = Session()
    psn = {"psn_no": "P1", "mdtrt_id": "V9"}
    s.call("2401", {"mdtrtinfo": {"psn_no": "P1"}}, output={"result": {"mdtrt_id": "V9"}})
    s.call("2304", {"data": psn})
    assert rules_broken(s) == ["discharge_before_settle", "pre_settle_before_settle"]


def test_a_visit_begun_before_the_session_is_not_judged_on_its_sequence() -> None:
    s = Session()
    s.call("2207", {"data": {"psn_no": "P1", "mdtrt_id": "OLD", "medfee_sumamt": "1.00"}})
    assert rules_broken(s) == []


def test_after_a_sign_in_every_call_carries_its_sign_no() -> None:
    s = Session()
    s.call("9001", {"signIn": {"opter_no": "1"}}, output={"signinoutb": {"sign_no": "SN1"}})
    s.call("1101", {"data": {"certno": "x"}}, sign_no="SN1")
    missing = s.call("1101", {"data": {"certno": "x"}})
    found = [f for f in findings(s.events) if f.rule == "sign_no"]
    assert [(f.msgid, f.expected, f.got) for f in found] == [(missing.msgid, "SN1", "未填写")]


def test_every_rule_and_scenario_has_a_chinese_title() -> None:
    titles = [r.title for r in RULES.values()] + [s.title for s in SCENARIOS.values()]
    for title in titles:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in title), title


@pytest.mark.parametrize(
    ("scenario", "infno", "code"),
    [("no_filing", "2201", "E2001"), ("unknown_person", "1101", "E1001")],
)
def test_a_forced_refusal_passes_unless_the_msgid_is_reused_with_another_body(
    scenario: str, infno: str, code: str
) -> None:
    s = Session()
    assert judge(scenario, s.events, T0, WITHIN).status == "pending"
    refused = s.call(infno, {"data": {"psn_no": "P1"}}, err_code=code, forced="rule 1: error")
    assert judge(scenario, s.events, T0, WITHIN).status == "pass"
    s.call(infno, {"data": {"psn_no": "P2"}}, err_code="E9004", msgid=refused.msgid)
    verdict = judge(scenario, s.events, T0, WITHIN)
    assert (verdict.status, verdict.evidence) == ("fail", (refused.msgid,))


def lost_reply_session() -> tuple[Session, Event]:
    s = Session()
    chain = s.outpatient()
    lost = s.call(
        "2207",
        dict(chain[-1].input),
        err_code="E5002",
        forced="rule 1: lose_reply",
        at=timedelta(seconds=1),
    )
    return s, lost


@pytest.mark.parametrize("how", ["read", "reversal", "same_body"])
def test_a_lost_reply_is_answered_by_a_read_a_reversal_or_the_same_message(how: str) -> None:
    s, lost = lost_reply_session()
    assert judge("lost_reply", s.events, T0 + timedelta(minutes=1), WITHIN).status == "pending"
    if how == "read":
        s.read(lost.msgid, at=timedelta(minutes=2))
    elif how == "reversal":
        s.call("2601", {"data": {"omsgid": lost.msgid, "oinfno": "2207"}}, at=timedelta(minutes=2))
    else:
        s.call("2207", dict(lost.input), msgid=lost.msgid, at=timedelta(minutes=2))
    assert judge("lost_reply", s.events, T0 + timedelta(hours=1), WITHIN).status == "pass"


def test_a_lost_reply_fails_when_ignored_resettled_or_answered_too_late() -> None:
    s, lost = lost_reply_session()
    ignored = judge("lost_reply", s.events, T0 + timedelta(minutes=11), WITHIN)
    assert (ignored.status, ignored.evidence) == ("fail", (lost.msgid,))

    s2, lost2 = lost_reply_session()
    again = s2.call("2207", dict(lost2.input), at=timedelta(minutes=1))
    s2.read(lost2.msgid, at=timedelta(minutes=2))
    resettled = judge("lost_reply", s2.events, T0 + timedelta(minutes=3), WITHIN)
    assert (resettled.status, resettled.evidence) == ("fail", (lost2.msgid, again.msgid))

    s3, lost3 = lost_reply_session()
    s3.read(lost3.msgid, at=timedelta(minutes=20))
    assert judge("lost_reply", s3.events, T0 + timedelta(minutes=30), WITHIN).status == "fail"

    s4, lost4 = lost_reply_session()
    s4.call("2207", {"data": {"psn_no": "X"}}, msgid=lost4.msgid, err_code="E9004")
    assert judge("lost_reply", s4.events, T0, WITHIN).status == "fail"


def test_duplicate_msgid_fails_on_any_reuse_with_another_body() -> None:
    s = Session()
    assert judge("duplicate_msgid", s.events, T0, WITHIN).status == "pending"
    first = s.call("1101", {"data": {"certno": "x"}})
    assert judge("duplicate_msgid", s.events, T0, WITHIN).status == "pass"
    s.call("1101", {"data": {"certno": "y"}}, msgid=first.msgid, err_code="E9004")
    assert judge("duplicate_msgid", s.events, T0, WITHIN).status == "fail"
    assert rules_broken(s) == ["msgid_reuse"]


def test_golden_cancel_needs_the_settlement_of_this_session() -> None:
    s = Session()
    s.outpatient()
    assert judge("outpatient_cancel", s.events, T0, WITHIN).status == "pending"
    s.call("2208", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "setl_id": "OTHER"}})
    assert judge("outpatient_cancel", s.events, T0, WITHIN).status == "pending"
    s.call("2208", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "setl_id": "S1"}})
    assert judge("outpatient_cancel", s.events, T0, WITHIN).status == "pass"


def test_a_refused_step_breaks_the_golden_chain() -> None:
    s = Session()
    s.call("2201", {"data": {"psn_no": "P1"}}, output={"data": {"mdtrt_id": "V1"}})
    s.call("2204", {"feedetail": []}, err_code="E3001")
    s.call("2206", {"data": {"psn_no": "P1", "mdtrt_id": "V1"}})
    s.call("2207", {"data": {"psn_no": "P1", "mdtrt_id": "V1"}})
    assert judge("outpatient_settle", s.events, T0, WITHIN).status == "pending"


RULE = ForcedRule(1, CODE, "lose_reply", infnos=("2207",), min_amount=Decimal("100.00"))


@pytest.mark.parametrize(
    ("rule", "infno", "psn_no", "amount", "hit"),
    [
        (RULE, "2207", "P1", Decimal("100.00"), True),
        (RULE, "2207", "P1", Decimal("99.99"), False),
        (RULE, "2207", "P1", None, False),
        (RULE, "2206", "P1", Decimal("500"), False),
        (ForcedRule(2, CODE, "delay", psn_no="P2"), "1101", "P2", None, True),
        (ForcedRule(2, CODE, "delay", psn_no="P2"), "1101", "P1", None, False),
        (ForcedRule(3, CODE, "error", err_code="E2001", remaining=0), "2201", None, None, False),
        (ForcedRule(4, "H12000000001", "error", err_code="E2001"), "2201", None, None, False),
    ],
)
def test_a_rule_matches_on_infno_patient_amount_and_what_is_left_of_it(
    rule: ForcedRule, infno: str, psn_no: str | None, amount: Decimal | None, hit: bool
) -> None:
    found = matching([rule], CODE, infno, "M1", psn_no, amount)
    assert (found is rule) is hit


def test_the_oldest_matching_rule_wins() -> None:
    newer = ForcedRule(9, CODE, "delay")
    older = ForcedRule(3, CODE, "lose_reply")
    assert matching([newer, older], CODE, "2207", "M1", None, None) is older


def test_a_request_the_gateway_could_not_understand_is_a_finding_naming_its_field() -> None:
    s = Session()
    said = (
        "[E9002] 报文字段缺失或格式错误（字段 input.data.psn_no：必填，未填写）。请按接口规范填写"
    )
    event = s.call(
        "2201", {"data": {}}, err_code="E9002", output={"err_msg": said}, insuplc_admdvs=None
    )
    found = check(event, [])
    assert [(f.rule, f.field, f.got) for f in found] == [("understood", "input.data.psn_no", said)]


def test_a_resent_upload_counts_once_and_cancelled_lines_leave_the_total() -> None:
    s = Session()
    chain = s.outpatient(total="30.00")
    upload = chain[1]
    s.call("2204", dict(upload.input), msgid=upload.msgid)  # the same message, sent again
    extra = {**upload.input["feedetail"][0], "feedetl_sn": "2", "det_item_fee_sumamt": "30.00"}
    s.call("2204", {"feedetail": [extra]})
    s.call("2205", {"data": {"mdtrt_id": "V1", "feedetl_sn": "2", "psn_no": "P1"}})
    s.call("2206", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "medfee_sumamt": "30.00"}})
    assert rules_broken(s) == []
    s.call("2205", {"data": [{"mdtrt_id": "V1", "feedetl_sn": "0000", "psn_no": "P1"}]})
    s.call("2206", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "medfee_sumamt": "30.00"}})
    found = [f for f in findings(s.events) if f.rule == "settle_total"]
    assert [(f.expected, f.got) for f in found] == [("0.00", "30.00")]


def test_what_a_rule_forced_is_no_finding_and_no_reuse() -> None:
    s = Session()
    s.call("1101", {"data": {"certno": "x"}}, err_code="E9002", forced="rule 1: error")
    s.call("1101", {"data": {"certno": "x"}}, err_code="E9004", forced="rule 2: error")
    assert rules_broken(s) == []
    assert judge("duplicate_msgid", s.events, T0, WITHIN).status == "pass"
    # what the client sent is still judged
    s.call("2201", {"data": {"psn_no": "P1"}}, err_code="E2001", forced="rule 3: error", opter=None)
    assert [(f.rule, f.field) for f in findings(s.events)] == [("envelope_fields", "opter")]


def test_an_unreadable_or_unknown_amount_never_breaks_the_report() -> None:
    s = Session()
    s.call(
        "2204",
        {
            "feedetail": [
                {"feedetl_sn": "1", "pric": "1", "cnt": "1e30", "det_item_fee_sumamt": "1"},
                {"feedetl_sn": "2", "pric": "1e13", "cnt": "1e13", "det_item_fee_sumamt": "1"},
                {"feedetl_sn": "3", "pric": "1", "cnt": "NaN", "det_item_fee_sumamt": "1"},
            ],
        },
    )
    assert rules_broken(s) == []


def test_a_resend_answered_still_unknown_is_not_learning_the_outcome() -> None:
    s, lost = lost_reply_session()
    s.call("2207", dict(lost.input), msgid=lost.msgid, err_code="E5002", at=timedelta(minutes=1))
    s.call("2207", dict(lost.input), msgid=lost.msgid, err_code="E9006", at=timedelta(minutes=2))
    assert judge("lost_reply", s.events, T0 + timedelta(minutes=3), WITHIN).status == "pending"
    assert judge("lost_reply", s.events, T0 + timedelta(minutes=11), WITHIN).status == "fail"


def test_after_a_sign_out_no_sign_no_is_asked_for() -> None:
    s = Session()
    s.call("9001", {"signIn": {"opter_no": "1"}}, output={"signinoutb": {"sign_no": "SN1"}})
    s.call("9002", {"signOut": {"sign_no": "SN1", "opter_no": "1"}}, sign_no="SN1")
    s.call("1101", {"data": {"certno": "x"}})
    assert rules_broken(s) == []


HELD = timedelta(seconds=30)


def timeout_session() -> tuple[Session, Event]:
    s = Session()
    chain = s.outpatient()
    held = s.call(
        "2207",
        dict(chain[-1].input),
        err_code="E5002",
        forced="rule 7: lose_reply (timeout)",
        at=timedelta(seconds=31),
    )
    return s, held


def test_a_timeout_is_its_own_scenario_judged_like_a_lost_reply() -> None:
    s, held = timeout_session()
    assert judge("lost_reply", s.events, T0, WITHIN).status == "pending"  # not its event
    assert judge("timeout", s.events, T0, WITHIN, HELD).status == "pending"
    s.read(held.msgid, at=timedelta(seconds=40))
    verdict = judge("timeout", s.events, T0 + timedelta(minutes=1), WITHIN, HELD)
    assert (verdict.status, verdict.evidence) == ("pass", (held.msgid, held.msgid))


def test_a_settlement_sent_again_while_the_first_was_held_fails_the_timeout() -> None:
    s = Session()
    chain = s.outpatient()
    again_input = dict(chain[-1].input)
    # the HIS gave up after 10 s and settled again under a new msgid: that call was answered
    # (and recorded) before the held one, which was answered at 31 s
    again = s.call("2207", again_input, at=timedelta(seconds=11), err_code="E4003")
    held = s.call(
        "2207",
        again_input,
        err_code="E5002",
        forced="rule 7: lose_reply (timeout)",
        at=timedelta(seconds=31),
    )
    s.read(held.msgid, at=timedelta(seconds=40))
    verdict = judge("timeout", s.events, T0 + timedelta(minutes=1), WITHIN, HELD)
    assert (verdict.status, verdict.evidence) == ("fail", (held.msgid, again.msgid))


@pytest.mark.parametrize("how", ["read", "reversal", "reuse"])
def test_what_the_his_did_while_the_answer_was_held_counts(how: str) -> None:
    s = Session()
    chain = s.outpatient()
    body = dict(chain[-1].input)
    msgid = s.msgid()
    # the HIS gave up at 10 s and acted; the held answer was sent (and recorded) at 31 s
    if how == "read":
        s.read(msgid, at=timedelta(seconds=11))
    elif how == "reversal":
        s.call("2601", {"data": {"omsgid": msgid, "oinfno": "2207"}}, at=timedelta(seconds=11))
    else:
        s.call("2207", {"data": {"psn_no": "X"}}, msgid=msgid, err_code="E9004",
               at=timedelta(seconds=11))  # fmt: skip
    s.call(
        "2207",
        body,
        msgid=msgid,
        err_code="E5002",
        forced="rule 7: lose_reply (timeout)",
        at=timedelta(seconds=31),
    )
    verdict = judge("timeout", s.events, T0 + timedelta(minutes=1), WITHIN, HELD)
    assert verdict.status == ("fail" if how == "reuse" else "pass")


def test_a_legitimate_resettlement_after_learning_during_the_hold_passes() -> None:
    s = Session()
    chain = s.outpatient()
    body = dict(chain[-1].input)
    msgid = s.msgid()
    s.read(msgid, at=timedelta(seconds=11))
    s.call("2208", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "setl_id": "S2"}},
           at=timedelta(seconds=12))  # fmt: skip
    s.call("2207", body, at=timedelta(seconds=13))
    s.call("2207", body, msgid=msgid, err_code="E5002", forced="rule 7: lose_reply (timeout)",
           at=timedelta(seconds=31))  # fmt: skip
    assert judge("timeout", s.events, T0 + timedelta(minutes=1), WITHIN, HELD).status == "pass"


def test_a_resent_registration_keeps_its_visit_and_a_reversed_upload_leaves_it() -> None:
    s = Session()
    chain = s.outpatient()
    s.call("2201", dict(chain[0].input), msgid=chain[0].msgid, output=dict(chain[0].output or {}))
    line = {"feedetl_sn": "2", "mdtrt_id": "V1", "pric": "5.00", "cnt": "2",
            "det_item_fee_sumamt": "10.00"}  # fmt: skip
    upload = s.call("2204", {"feedetail": [line]})
    s.call("2601", {"data": {"omsgid": upload.msgid, "oinfno": "2204"}})
    s.call("2206", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "medfee_sumamt": "30.00"}})
    s.call("2207", {"data": {"psn_no": "P1", "mdtrt_id": "V1", "medfee_sumamt": "30.00"}})
    assert rules_broken(s) == []
