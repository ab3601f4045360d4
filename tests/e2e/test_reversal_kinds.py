"""2601 of cancels, admissions, fee uploads and filings: undone at every hop that saw them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared import clock
from tests.e2e.harness import OPERATOR, Stack, enrol, enrol_filed, reconcile
from tests.e2e.hospital import Hospital
from tests.e2e.relay_client import TreatingRegionDouble
from tests.e2e.test_hospital_flow import settle_body
from tests.e2e.test_reversal import year_of
from tests.e2e.test_settlement import inpatient

pytestmark = pytest.mark.e2e

D = Decimal
TODAY = clock.today()
INSURED = "650100"


def reversal_of(original: dict[str, Any], psn_no: str, **more: str) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": psn_no,
            "omsgid": original["msgid"],
            "oinfno": original["infno"],
            **more,
        }
    }


async def filed_person(http: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    return await enrol_filed(http, stack, INSURED, "110000", balc="0.00")


def registration(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": person["psn_no"],
            "insutype": "310",
            "begntime": f"{datetime.now():%Y-%m-%d}",
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person["certno"],
            "med_type": "11",
            "ipt_otp_no": "MZREV",
        }
    }


async def registered(clinic: Hospital, person: dict[str, Any]) -> str:
    answer = await clinic.ok("2201", INSURED, registration(person))
    return str(answer["data"]["mdtrt_id"])


async def settled_visit(
    clinic: Hospital, person: dict[str, Any]
) -> tuple[str, dict[str, Any], Decimal]:
    mdtrt_id = await registered(clinic, person)
    lines = await clinic.lines(mdtrt_id, person["psn_no"], per_category=2, categories=("04", "09"))
    await clinic.ok("2204", INSURED, {"feedetail": lines})
    total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
    settled = await clinic.ok("2207", INSURED, settle_body(person, mdtrt_id, total))
    return mdtrt_id, settled["setlinfo"], total


async def test_reversing_a_cancel_reinstates_the_settlement_on_both_sides(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id, info, _ = await settled_visit(clinic, person)
    year_settled = await year_of(ahttp, stack, person["psn_no"])
    cancel = clinic.envelope(
        "2208",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}},
    )
    assert (await clinic.send(cancel))["infcode"] == 0
    assert await reconcile([person["psn_no"]]) == ({}, {})

    reversal = clinic.envelope("2601", INSURED, reversal_of(cancel, person["psn_no"]))
    undone = await clinic.send(reversal)
    again = await clinic.send(reversal)

    assert undone["infcode"] == 0, undone
    assert undone["output"]["result"]["reversed"] == "cancel"
    assert undone["output"]["setlinfo"]["setl_id"] == info["setl_id"]
    assert again["output"] == undone["output"]
    assert await year_of(ahttp, stack, person["psn_no"]) == year_settled
    treating, insured = await reconcile([person["psn_no"]])
    assert list(treating) == list(insured) == [info["setl_id"]]
    assert treating == insured
    assert (await clinic.send(cancel))["err_code"] == "E4007"
    # the reinstated settlement can be cancelled again, by a new message
    recancel = await clinic.call(
        "2208",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}},
    )
    assert recancel["infcode"] == 0, recancel
    assert await reconcile([person["psn_no"]]) == ({}, {})


async def test_a_cancel_cannot_be_reversed_once_the_person_has_settled_since(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id, info, _ = await settled_visit(clinic, person)
    cancel = clinic.envelope(
        "2208",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}},
    )
    assert (await clinic.send(cancel))["infcode"] == 0
    _, later, _ = await settled_visit(clinic, person)
    year_before = await year_of(ahttp, stack, person["psn_no"])

    refused = await clinic.call("2601", INSURED, reversal_of(cancel, person["psn_no"]))

    assert refused["err_code"] == "E4008", refused
    assert await year_of(ahttp, stack, person["psn_no"]) == year_before
    treating, insured = await reconcile([person["psn_no"]])
    assert list(treating) == list(insured) == [later["setl_id"]]


async def test_reversing_an_admission_cancels_the_visit_unless_it_has_lines(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    admission = clinic.envelope("2201", INSURED, registration(person))
    mdtrt_id = (await clinic.send(admission))["output"]["data"]["mdtrt_id"]
    with_lines = await registered(clinic, person)
    lines = await clinic.lines(with_lines, person["psn_no"], per_category=1, categories=("04",))
    upload = await clinic.ok("2204", INSURED, {"feedetail": lines})
    assert upload["result"]

    undone = await clinic.ok("2601", INSURED, reversal_of(admission, person["psn_no"]))
    assert undone["result"]["reversed"] == "registration"
    assert undone["result"]["mdtrt_id"] == mdtrt_id
    late_lines = await clinic.lines(mdtrt_id, person["psn_no"], per_category=1, categories=("04",))
    refused = await clinic.call("2204", INSURED, {"feedetail": late_lines})
    assert refused["err_code"] == "E3002"  # the visit is cancelled
    assert (await clinic.send(admission))["err_code"] == "E4007"

    second = clinic.envelope("2201", INSURED, {"data": {}})  # never sent: look it up by msgid
    blocked = await clinic.call(
        "2601",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "omsgid": second["msgid"], "oinfno": "2201"}},
    )
    assert blocked["output"]["result"]["reversed"] == "registration"  # a tombstone


async def test_an_admission_with_fee_lines_is_not_reversed(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    admission = clinic.envelope("2201", INSURED, registration(person))
    mdtrt_id = (await clinic.send(admission))["output"]["data"]["mdtrt_id"]
    lines = await clinic.lines(mdtrt_id, person["psn_no"], per_category=1, categories=("04",))
    await clinic.ok("2204", INSURED, {"feedetail": lines})

    refused = await clinic.call("2601", INSURED, reversal_of(admission, person["psn_no"]))

    assert refused["err_code"] == "E4008", refused
    assert (await clinic.send(admission))["infcode"] == 0  # the admission still stands


async def test_reversing_a_fee_upload_takes_back_exactly_its_lines(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id = await registered(clinic, person)
    first = await clinic.lines(mdtrt_id, person["psn_no"], per_category=2, categories=("04",))
    second = await clinic.lines(
        mdtrt_id, person["psn_no"], per_category=2, categories=("09",), start=100
    )
    upload = clinic.envelope("2204", INSURED, {"feedetail": first})
    assert (await clinic.send(upload))["infcode"] == 0
    later = clinic.envelope("2204", INSURED, {"feedetail": second})
    assert (await clinic.send(later))["infcode"] == 0

    undone = await clinic.ok("2601", INSURED, reversal_of(upload, person["psn_no"]))

    assert undone["result"] == {
        "omsgid": upload["msgid"],
        "oinfno": "2204",
        "reversed": "fee lines",
        "mdtrt_id": mdtrt_id,
        "cancelled": len(first),
    }
    kept = sum((D(x["det_item_fee_sumamt"]) for x in second), D(0))
    everything = kept + sum((D(x["det_item_fee_sumamt"]) for x in first), D(0))
    wrong = await clinic.call("2207", INSURED, settle_body(person, mdtrt_id, everything))
    assert wrong["err_code"] == "E3007"  # the first upload's lines are gone
    settled = await clinic.ok("2207", INSURED, settle_body(person, mdtrt_id, kept))
    assert D(settled["setlinfo"]["medfee_sumamt"]) == kept
    repeat = await clinic.ok("2601", INSURED, reversal_of(upload, person["psn_no"]))
    assert repeat["result"]["reversed"] == "already reversed"
    settled_lines = await clinic.call("2601", INSURED, reversal_of(later, person["psn_no"]))
    assert settled_lines["err_code"] == "E3002"  # settled: cancel the settlement first


async def test_reversing_a_filing_takes_it_back_and_a_late_filing_is_refused(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await enrol(ahttp, stack, INSURED)
    referral = {
        "refmedin": {
            "psn_no": person["psn_no"],
            "mdtrtarea_admdvs": "110000",
            "diag_code": "I21.9",
            "refl_rea": "需上级医院治疗",
            "begndate": str(TODAY),
        }
    }
    filing = clinic.envelope("2501", INSURED, referral)
    made = await clinic.send(filing)
    assert made["infcode"] == 0, made
    filing_id = made["output"]["result"]["trt_dcla_detl_sn"]
    # a redelivery of the same message at the insured region makes no second filing
    again = await treating_double.send(
        "2501",
        treating="110000",
        insured=INSURED,
        payload=referral,
        fixmedins_code=clinic.fixmedins_code,
        msgid=filing["msgid"],
    )
    assert again.payload["result"]["trt_dcla_detl_sn"] == filing_id

    undone = await clinic.ok("2601", INSURED, reversal_of(filing, person["psn_no"]))

    assert undone["result"]["reversed"] == "filing"
    assert undone["result"]["trt_dcla_detl_sn"] == filing_id
    listed = await ahttp.get(
        f"{stack.insured_url}/admin/persons/{person['psn_no']}/filings", headers=OPERATOR
    )
    assert [f["status"] for f in listed.json()["filings"]] == ["reversed"]

    ahead = clinic.envelope("2503", INSURED, {"data": {}})
    tomb = await clinic.ok(
        "2601",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "omsgid": ahead["msgid"], "oinfno": "2503"}},
    )
    assert tomb["result"]["reversed"] == "tombstone"
    direct = await treating_double.send(
        "2503",
        treating="110000",
        insured=INSURED,
        payload={
            "data": {"psn_no": person["psn_no"], "opsp_dise_code": "M03900", "begndate": str(TODAY)}
        },
        fixmedins_code=clinic.fixmedins_code,
        msgid=ahead["msgid"],
    )
    assert direct.err_code == "E4007"


async def test_a_repeated_reversal_of_a_cancel_answers_the_same_and_the_cancel_stays_spent(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id, info, _ = await settled_visit(clinic, person)
    cancel_body = {
        "data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}
    }
    cancel = clinic.envelope("2208", INSURED, cancel_body)
    assert (await clinic.send(cancel))["infcode"] == 0
    undo = {"data": {"psn_no": person["psn_no"], "omsgid": cancel["msgid"], "oinfno": "2208"}}

    # the insured region as a retry after a lost answer would reach it: a new msgid each time
    first = await treating_double.send(
        "2601", treating="110000", insured=INSURED, payload=undo, fixmedins_code="H11000000001"
    )
    second = await treating_double.send(
        "2601", treating="110000", insured=INSURED, payload=undo, fixmedins_code="H11000000001"
    )
    redelivered = await treating_double.send(
        "2208",
        treating="110000",
        insured=INSURED,
        payload=cancel_body,
        fixmedins_code="H11000000001",
        msgid=cancel["msgid"],
    )

    assert first.err_code is None, first.err_detail
    assert first.payload["result"]["reversed"] == "cancel"
    assert second.err_code is None
    assert second.payload == first.payload
    assert redelivered.err_code == "E4007"  # the cancel's msgid is spent
    _, insured = await reconcile([person["psn_no"]])
    assert list(insured) == [info["setl_id"]]


async def test_a_visit_with_a_standing_settlement_is_not_settled_again(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await filed_person(ahttp, stack)
    payload = {**inpatient(person, "900.00"), "mdtrt_id": "S650100261123TWICE01"}
    first = await treating_double.send("2304", treating="110000", insured=INSURED, payload=payload)
    again = await treating_double.send("2304", treating="110000", insured=INSURED, payload=payload)

    assert first.err_code is None, first.err_detail
    assert again.err_code == "E4009"
    assert (await year_of(ahttp, stack, person["psn_no"]))["inpatient_stays"] == "1"
