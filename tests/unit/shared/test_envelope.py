"""shared.envelope: the national envelope (design §3) and the relay envelope (design §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.clock import CHINA_TZ
from shared.envelope import (
    MSGID_LENGTH,
    MSGID_MAX_LENGTH,
    Hop,
    MessageKind,
    NationalRequest,
    RelayEnvelope,
    china_time,
    national_time,
)

FIXMEDINS = "H11010500001"
MSGID = FIXMEDINS + "20261123101500" + "0001"
NOW = datetime(2026, 11, 23, 2, 15, tzinfo=UTC)


def national(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "infno": "1101",
        "msgid": MSGID,
        "mdtrtarea_admvs": "110000",
        "insuplc_admdvs": "650100",
        "recer_sys_code": "YBXT",
        "infver": "V1.0",
        "opter_type": "1",
        "opter": "0001",
        "opter_name": "收费员",
        "inf_time": "2026-11-23 10:15:00",
        "fixmedins_code": FIXMEDINS,
        "fixmedins_name": "北京市某医院",
        "sign_no": "S0001",
        "input": {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "11010519491231002X"}},
    }
    body.update(changes)
    return body


def relay(**changes: Any) -> RelayEnvelope:
    fields: dict[str, Any] = {
        "msgid": MSGID,
        "infno": "1101",
        "kind": MessageKind.REQUEST,
        "sender_admdvs": "110000",
        "mdtrtarea_admvs": "110000",
        "insuplc_admdvs": "650100",
        "fixmedins_code": FIXMEDINS,
        "deadline": NOW + timedelta(seconds=30),
        "reply_to": "treating.reply.110000.abc",
        "payload": {"data": {"certno": "11010519491231002X"}},
    }
    fields.update(changes)
    return RelayEnvelope(**fields)


# --- NationalRequest ------------------------------------------------------------------------


def test_msgid_fixture_has_the_national_length() -> None:
    assert len(MSGID) == MSGID_LENGTH == 30


def test_good_envelope_passes() -> None:
    request = NationalRequest.model_validate(national())
    assert request.infno == "1101"
    assert request.msgid == MSGID
    assert request.mdtrtarea_admvs == "110000"
    assert request.insuplc_admdvs == "650100"
    assert request.fixmedins_code == FIXMEDINS
    assert request.input["data"]["mdtrt_cert_type"] == "02"


def test_pharmacy_msgid_passes() -> None:
    code = "P65010000001"
    request = NationalRequest.model_validate(
        national(fixmedins_code=code, msgid=code + "20261123101500" + "0002")
    )
    assert request.msgid.startswith("P")


def test_only_required_fields_pass() -> None:
    body = {
        key: national()[key]
        for key in ("infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "fixmedins_code")
    }
    request = NationalRequest.model_validate(body)
    assert request.opter is None
    assert request.input == {}


def test_surrounding_whitespace_is_tolerated() -> None:
    request = NationalRequest.model_validate(national(msgid=f"  {MSGID} ", infno=" 1101"))
    assert request.msgid == MSGID
    assert request.infno == "1101"


@pytest.mark.parametrize(
    "msgid",
    [
        MSGID[:-2],
        MSGID[:-1],
        MSGID + "1",
        FIXMEDINS + "20261123101500" + "00AB",
        "H1101050000A" + "20261123101500" + "0001",
        FIXMEDINS + "2026-11-23T1015" + "001",
        "1",
        "x" * MSGID_MAX_LENGTH,
    ],
    ids=[
        "28_chars",
        "29_chars",
        "31_chars",
        "letters_in_sequence",
        "letter_in_code",
        "punctuation",
        "one_char",
        "40_chars",
    ],
)
def test_msgid_is_an_opaque_key_of_printable_ascii(msgid: str) -> None:
    """Real clients send 28–30 characters, some with letters: the exact string is the key."""
    assert NationalRequest.model_validate(national(msgid=msgid)).msgid == msgid


@pytest.mark.parametrize(
    "msgid",
    [
        "",
        "x" * (MSGID_MAX_LENGTH + 1),
        MSGID[:10] + " " + MSGID[11:],
        MSGID[:-1] + "号",
        MSGID[:-1] + "/",
    ],
    ids=["empty", "41_chars", "inner_space", "non_ascii", "slash"],
)
def test_msgid_empty_long_or_unprintable_fails_naming_it(msgid: str) -> None:
    with pytest.raises(ValidationError, match="msgid"):
        NationalRequest.model_validate(national(msgid=msgid))


@pytest.mark.parametrize(
    ("sent", "means"), [("2203A", "2203"), ("2203a", "2203"), (1101, "1101"), (" 2207 ", "2207")]
)
def test_infno_variants_name_their_transaction(sent: object, means: str) -> None:
    assert NationalRequest.model_validate(national(infno=sent)).infno == means


@pytest.mark.parametrize("insuplc", [None, "", "  "])
def test_insured_region_may_be_unknown(insuplc: object) -> None:
    """1101 is how a hospital learns the insured region: absent or blank is unset."""
    body = national(insuplc_admdvs=insuplc)
    assert NationalRequest.model_validate(body).insuplc_admdvs is None


@pytest.mark.parametrize(
    "field",
    [
        "recer_sys_code",
        "infver",
        "opter_type",
        "opter",
        "opter_name",
        "inf_time",
        "fixmedins_name",
        "sign_no",
    ],
)
@pytest.mark.parametrize("blank", ["", "   ", None], ids=repr)
def test_blank_optional_strings_become_none(field: str, blank: str | None) -> None:
    request = NationalRequest.model_validate(national(**{field: blank}))
    assert getattr(request, field) is None


@pytest.mark.parametrize(
    "field",
    ["recer_sys_code", "infver", "opter_type", "opter", "opter_name", "sign_no"],
)
def test_absent_optional_strings_are_none(field: str) -> None:
    body = national()
    del body[field]
    assert getattr(NationalRequest.model_validate(body), field) is None


def test_unknown_extra_keys_are_ignored() -> None:
    request = NationalRequest.model_validate(
        national(cainfo="x", signtype="SM2", vendor_extra={"a": 1})
    )
    assert "cainfo" not in request.model_dump()
    assert "vendor_extra" not in request.model_dump()


@pytest.mark.parametrize("field", ["mdtrtarea_admvs", "insuplc_admdvs"])
@pytest.mark.parametrize("value", ["11000", "1100000", "11000a", "11 000"], ids=repr)
def test_bad_admdvs_pattern_fails(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        NationalRequest.model_validate(national(**{field: value}))


def test_treating_area_is_required() -> None:
    with pytest.raises(ValidationError, match="mdtrtarea_admvs"):
        NationalRequest.model_validate(national(mdtrtarea_admvs=""))


@pytest.mark.parametrize("value", ["X11010500001", "H1101050000", "H110105000011", "h11010500001"])
def test_bad_fixmedins_code_fails(value: str) -> None:
    with pytest.raises(ValidationError, match="fixmedins_code"):
        NationalRequest.model_validate(national(fixmedins_code=value))


@pytest.mark.parametrize("value", ["", "22 03", "2203-A", "2" * 11], ids=repr)
def test_what_cannot_be_an_infno_fails(value: str) -> None:
    """An unknown but well-formed infno passes here: the gateway answers E9003 naming it."""
    with pytest.raises(ValidationError, match="infno"):
        NationalRequest.model_validate(national(infno=value))


@pytest.mark.parametrize("field", ["infno", "msgid", "mdtrtarea_admvs", "fixmedins_code"])
def test_missing_required_field_fails(field: str) -> None:
    body = national()
    del body[field]
    with pytest.raises(ValidationError, match=field):
        NationalRequest.model_validate(body)


def test_national_request_is_frozen() -> None:
    request = NationalRequest.model_validate(national())
    with pytest.raises(ValidationError):
        request.infno = "2401"  # type: ignore[misc]


def test_national_time_is_china_time() -> None:
    assert national_time(NOW) == "2026-11-23 10:15:00"


# --- RelayEnvelope --------------------------------------------------------------------------


def test_relay_envelope_gets_a_fresh_relay_id() -> None:
    first, second = relay(), relay()
    assert first.relay_id
    assert first.relay_id != second.relay_id


def test_reply_keeps_the_ids_and_reply_to() -> None:
    request = relay()
    answer = request.reply("650100", payload={"baseinfo": {"psn_no": "P1"}})
    assert answer.relay_id == request.relay_id
    assert answer.msgid == request.msgid
    assert answer.infno == request.infno
    assert answer.reply_to == request.reply_to
    assert answer.deadline == request.deadline


def test_reply_sets_kind_sender_and_payload() -> None:
    answer = relay().reply("650100", payload={"baseinfo": {"psn_no": "P1"}})
    assert answer.kind is MessageKind.REPLY
    assert answer.sender_admdvs == "650100"
    assert answer.payload == {"baseinfo": {"psn_no": "P1"}}
    assert answer.err_code is None
    assert answer.err_detail is None


def test_error_reply_carries_code_and_detail_and_no_payload() -> None:
    answer = relay().reply("650100", err_code="E1001", err_detail="certno 110105…")
    assert answer.kind is MessageKind.REPLY
    assert answer.err_code == "E1001"
    assert answer.err_detail == "certno 110105…"
    assert answer.payload == {}


def test_reply_leaves_the_request_unchanged() -> None:
    request = relay()
    request.reply("650100")
    assert request.kind is MessageKind.REQUEST
    assert request.sender_admdvs == "110000"


def test_with_hop_appends_a_hop() -> None:
    request = relay()
    once = request.with_hop("treating_region")
    twice = once.with_hop("national_hub", route="cross")
    assert request.hops == ()
    assert [hop.name for hop in once.hops] == ["treating_region"]
    assert [hop.name for hop in twice.hops] == ["treating_region", "national_hub"]
    assert twice.route == "cross"
    assert once.route is None


def test_with_hop_records_an_aware_time() -> None:
    before = datetime.now(UTC)
    hop = relay().with_hop("national_hub").hops[-1]
    assert isinstance(hop, Hop)
    assert hop.at.tzinfo is not None
    assert before <= hop.at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("deadline", "expired"),
    [
        (NOW - timedelta(seconds=1), True),
        (NOW, True),
        (NOW + timedelta(seconds=1), False),
        (NOW + timedelta(minutes=5), False),
    ],
    ids=["past", "exactly_now", "one_second_left", "future"],
)
def test_expired(deadline: datetime, expired: bool) -> None:
    assert relay(deadline=deadline).expired(NOW) is expired


def test_expired_defaults_to_the_current_time() -> None:
    assert relay(deadline=datetime.now(UTC) - timedelta(seconds=1)).expired()
    assert not relay(deadline=datetime.now(UTC) + timedelta(minutes=1)).expired()


def test_expired_compares_instants_across_timezones() -> None:
    beijing = NOW.astimezone(CHINA_TZ)
    assert relay(deadline=beijing + timedelta(seconds=1)).expired(NOW) is False
    assert relay(deadline=beijing).expired(NOW) is True


def test_naive_deadline_is_refused_or_understood() -> None:
    body = relay().model_dump(mode="json")
    body["deadline"] = "2026-11-23T02:15:30"
    try:
        envelope = RelayEnvelope.model_validate(body)
    except ValidationError:
        return
    assert isinstance(envelope.expired(NOW), bool)


def test_json_round_trip() -> None:
    envelope = relay().with_hop("treating_region").with_hop("national_hub", route="cross")
    text = envelope.model_dump_json()
    again = RelayEnvelope.model_validate_json(text)
    assert again == envelope
    assert again.kind is MessageKind.REQUEST
    assert again.hops[-1].at == envelope.hops[-1].at


def test_json_round_trip_of_a_reply() -> None:
    answer = relay().reply("650100", err_code="E5001", err_detail="insured region 990000")
    assert RelayEnvelope.model_validate_json(answer.model_dump_json()) == answer


def test_relay_envelope_ignores_unknown_keys() -> None:
    body = relay().model_dump(mode="json")
    body["added_in_a_later_version"] = 1
    envelope = RelayEnvelope.model_validate(body)
    assert "added_in_a_later_version" not in envelope.model_dump()


def test_relay_envelope_rejects_an_unknown_kind() -> None:
    body = relay().model_dump(mode="json")
    body["kind"] = "broadcast"
    with pytest.raises(ValidationError, match="kind"):
        RelayEnvelope.model_validate(body)


# --- times as HIS clients write them ----------------------------------------------------------
@pytest.mark.parametrize(
    "sent",
    [
        "2026-11-29 20:30:00",
        "2026-11-29T20:30:00",
        "2026-11-29T20:30:00.000",
        "2026/11/29 20:30:00",
        "20261129203000",
        "2026-11-29T20:30:00+08:00",
        "2026-11-29T12:30:00Z",
        "2026-11-29T07:30:00-05:00",
    ],
)
def test_every_form_of_the_same_moment_is_that_china_time(sent: str) -> None:
    """A naive time is China time, never UTC: 20:30 stays on the 29th."""
    moment = china_time(sent)
    assert moment == datetime(2026, 11, 29, 20, 30, tzinfo=CHINA_TZ)
    assert moment.date().day == 29


def test_a_date_alone_is_that_days_midnight_in_china() -> None:
    assert china_time("2026-11-29") == datetime(2026, 11, 29, tzinfo=CHINA_TZ)
    assert china_time("20261129") == datetime(2026, 11, 29, tzinfo=CHINA_TZ)


@pytest.mark.parametrize("sent", ["1899-12-31 23:59:59", "3000-01-01 00:00:00"])
def test_a_year_outside_any_care_is_refused(sent: str) -> None:
    with pytest.raises(ValueError, match="年份"):
        china_time(sent)


def test_what_is_no_time_is_left_for_the_model_to_refuse() -> None:
    assert china_time("10000-01-01 00:00:00") == "10000-01-01 00:00:00"
    assert china_time("yesterday") == "yesterday"
