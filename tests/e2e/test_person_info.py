"""1101 person info through the real relay: hospital → treating → hub → insured and back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.e2e.harness import (
    GATEWAY,
    OPERATOR,
    TEST_DEADLINE_S,
    Stack,
    envelope_1101,
    hops,
    hub_log,
    new_person,
    signed,
)
from tests.e2e.relay_client import TreatingRegionDouble

pytestmark = pytest.mark.e2e


def enrol(http: httpx.Client, stack: Stack, admdvs: str, **kind: str) -> dict[str, Any]:
    person = new_person(admdvs, **kind)
    response = http.post(f"{stack.insured_url}/admin/persons", json=person, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return person


def call(http: httpx.Client, stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_all_three_services_report_healthy(http: httpx.Client, stack: Stack) -> None:
    for url in (stack.treating_url, stack.hub_url, stack.insured_url):
        body = http.get(f"{url}/healthz").json()
        assert body == {"status": "ok", "database": "ok", "broker": "ok"}


def test_cross_province_round_trip_returns_the_person_and_logs_both_hops(
    http: httpx.Client, stack: Stack
) -> None:
    person = enrol(http, stack, "650100")
    body = envelope_1101(
        treating="110000", insured="650100", certno=person["certno"], psn_name=person["psn_name"]
    )

    answer = call(http, stack, body)

    assert answer["infcode"] == 0, answer
    base = answer["output"]["baseinfo"]
    assert base["psn_no"] == person["psn_no"]
    assert base["certno"] == person["certno"]
    assert base["psn_name"] == person["psn_name"]
    insu = answer["output"]["insuinfo"]
    assert [(i["insutype"], i["psn_type"], i["balc"]) for i in insu] == [("310", "11", "1234.50")]
    assert insu[0]["insuplc_admdvs"] == "650100"
    assert answer["output"]["filinginfo"] == []

    rows = hub_log(http, stack, body["msgid"], rows=2)
    # the broker routed both ways; the hub's journal saw each message once
    assert hops(rows, "kind", "stage", "sender_admdvs", "outcome", "route") == [
        ("reply", "reply", "650100", "sent", "cross"),
        ("request", "insured", "110000", "sent", "cross"),
    ]
    assert len({r["relay_id"] for r in rows}) == 1
    request_row = next(r for r in rows if r["kind"] == "request")
    assert request_row["certno_masked"] == person["certno"][:6] + "********" + person["certno"][-4:]
    assert person["certno"] not in str(rows)


def test_intra_province_traffic_is_marked_intra(http: httpx.Client, stack: Stack) -> None:
    person = enrol(http, stack, "159900", insutype="390", psn_type="15")
    body = envelope_1101(treating="150200", insured="159900", certno=person["certno"])

    answer = call(http, stack, body)

    assert answer["infcode"] == 0, answer
    assert answer["output"]["insuinfo"][0]["insutype"] == "390"
    assert {r["route"] for r in hub_log(http, stack, body["msgid"], rows=2)} == {"intra"}


def test_unknown_person_is_e1001_from_the_insured_region(http: httpx.Client, stack: Stack) -> None:
    stranger = new_person("120000")
    body = envelope_1101(treating="130100", insured="120000", certno=stranger["certno"])

    answer = call(http, stack, body)

    assert answer["infcode"] == -1
    assert answer["err_code"] == "E1001"
    assert answer["err_msg"].startswith("[E1001] 参保地未查询到该人员的参保信息")
    assert answer["output"] is None
    reply = [r for r in hub_log(http, stack, body["msgid"], rows=2) if r["kind"] == "reply"]
    assert [(r["sender_admdvs"], r["err_code"]) for r in reply] == [("120000", "E1001")]


def test_name_that_does_not_match_the_certificate_is_e1002(
    http: httpx.Client, stack: Stack
) -> None:
    person = enrol(http, stack, "110000")
    body = envelope_1101(
        treating="650100", insured="110000", certno=person["certno"], psn_name="某某某"
    )

    answer = call(http, stack, body)

    assert (answer["infcode"], answer["err_code"]) == (-1, "E1002")


def test_unknown_insured_region_is_e5001_refused_at_the_hub(
    http: httpx.Client, stack: Stack
) -> None:
    """No queue is bound for it: the broker gives it to the alternate exchange, and the hub
    answers for the region that does not exist."""
    body = envelope_1101(treating="110000", insured="990000", certno="11010519491231002X")

    answer = call(http, stack, body)

    assert (answer["infcode"], answer["err_code"]) == (-1, "E5001")
    assert "990000" in answer["err_msg"]
    rows = hub_log(http, stack, body["msgid"], rows=3)
    assert hops(rows, "kind", "stage", "sender_admdvs", "outcome", "err_code") == [
        ("reply", "reply", "000000", "sent", "E5001"),
        ("request", "insured", "110000", "sent", None),
        ("request", "unrouted", "110000", "refused", "E5001"),
    ]


async def test_a_request_for_a_treating_region_its_sender_is_not_is_e5004(
    http: httpx.Client, stack: Stack
) -> None:
    """The broker vouches for the sender (``user_id``): 120000's user writing a request as
    treating region 110000 is answered E5004 by the insured region, which does nothing else."""
    forger = TreatingRegionDouble(regions=("120000",))
    await forger.start()
    try:
        msgid = forger.msgid("H11000000077")
        reply = await forger.send(
            "1101",
            treating="110000",
            insured="650100",
            payload={"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "11010519491231002X"}},
            msgid=msgid,
            as_region="120000",
        )
    finally:
        await forger.close()

    assert (reply.sender_admdvs, reply.err_code) == ("650100", "E5004")
    assert "120000" in (reply.err_detail or "")
    rows = await asyncio.to_thread(hub_log, http, stack, msgid, rows=2)
    assert hops(rows, "kind", "stage", "err_code") == [
        ("reply", "reply", "E5004"),
        ("request", "insured", None),
    ]


def test_insured_region_that_does_not_answer_is_e5002_and_kept_unknown(
    http: httpx.Client, stack: Stack
) -> None:
    if stack.unserved_region is None:
        pytest.skip("set RELAY_E2E_UNSERVED_REGION to a pool no insured process serves")
    body = envelope_1101(
        treating="110000", insured=stack.unserved_region, certno="220102199001010017"
    )

    started = time.monotonic()
    answer = call(http, stack, body)
    waited = time.monotonic() - started

    assert (answer["infcode"], answer["err_code"]) == (-1, "E5002")
    assert "2601" in answer["err_msg"]
    assert TEST_DEADLINE_S - 0.1 <= waited < TEST_DEADLINE_S + 5
    status = http.get(
        f"{stack.treating_url}/admin/messages/{body['msgid']}", headers=OPERATOR
    ).json()
    assert status["status"] == "unknown"
    # nobody took it: it expired in its queue at its deadline and the hub recorded it
    rows = hub_log(http, stack, body["msgid"], rows=2)
    assert hops(rows, "kind", "stage", "outcome") == [
        ("request", "dead", "expired"),
        ("request", "insured", "sent"),
    ]


def test_same_msgid_same_body_returns_the_stored_answer(http: httpx.Client, stack: Stack) -> None:
    person = enrol(http, stack, "130100")
    body = envelope_1101(treating="120000", insured="130100", certno=person["certno"])

    first = call(http, stack, body)
    again = call(http, stack, {**body, "unknown_extra": "ignored"})

    assert first["infcode"] == 0
    assert again["inf_refmsgid"] == first["inf_refmsgid"]
    assert again["output"] == first["output"]
    requests = [r for r in hub_log(http, stack, body["msgid"], rows=2) if r["kind"] == "request"]
    assert len(requests) == 1


def test_same_msgid_with_another_body_is_e9004(http: httpx.Client, stack: Stack) -> None:
    person = enrol(http, stack, "150781")
    other = enrol(http, stack, "150781")
    body = envelope_1101(treating="650100", insured="150781", certno=person["certno"])
    assert call(http, stack, body)["infcode"] == 0

    changed = {**body, "input": {"data": {**body["input"]["data"], "certno": other["certno"]}}}
    answer = call(http, stack, changed)

    assert (answer["infcode"], answer["err_code"]) == (-1, "E9004")
