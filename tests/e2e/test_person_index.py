"""1101 before the insured region is known (design §4): the hub finds it in the national person
index, which the insured regions keep current with enrolment events.

A hospital learns the patient's insured region *from* 1101, so real clients send
``insuplc_admdvs`` absent, blank, or equal to the treating area; the treating region relays such a
1101 with ``insuplc_admdvs=""`` and the hub resolves it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.e2e.harness import (
    GATEWAY,
    OPERATOR,
    Stack,
    envelope_1101,
    hops,
    hub_log,
    new_msgid,
    new_person,
    signed,
)
from tests.e2e.relay_client import TreatingRegionDouble

pytestmark = pytest.mark.e2e

INDEX_WAIT_S = 5.0
"""The index is eventually consistent: the enrolment event is confirmed by the broker before the
admin API answers, so the first call finds the person but for a race on the hub's queue."""
NOT_IN_INDEX = "全国人员参保索引中没有该证件号码"


def enrol(http: httpx.Client, stack: Stack, admdvs: str) -> dict[str, Any]:
    person = new_person(admdvs)
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


def not_in_index(answer: dict[str, Any]) -> bool:
    return answer.get("err_code") == "E1001" and NOT_IN_INDEX in (answer.get("err_msg") or "")


def call_once_indexed(
    http: httpx.Client, stack: Stack, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer and the body that got it; a new msgid for each try while the index lags."""
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        answer = call(http, stack, body)
        if not not_in_index(answer) or time.monotonic() > deadline:
            return answer, body
        time.sleep(0.2)
        body = {**body, "msgid": new_msgid(body["fixmedins_code"])}


def index_size(http: httpx.Client, stack: Stack, admdvs: str) -> int:
    response = http.get(f"{stack.hub_url}/person-index", headers=OPERATOR)
    assert response.status_code == 200, response.text
    return int(response.json().get(admdvs, 0))


def without_insured_region(body: dict[str, Any], spelling: str) -> dict[str, Any]:
    """The 1101 as a hospital sends it when it does not know the insured region yet."""
    if spelling == "absent":
        return {k: v for k, v in body.items() if k != "insuplc_admdvs"}
    if spelling == "blank":
        return {**body, "insuplc_admdvs": ""}
    return {**body, "insuplc_admdvs": body["mdtrtarea_admvs"]}


@pytest.mark.parametrize("spelling", ["absent", "blank", "treating_area"])
def test_1101_without_insured_region_finds_the_person_and_answers_the_region(
    http: httpx.Client, stack: Stack, spelling: str
) -> None:
    person = enrol(http, stack, "650100")
    body = without_insured_region(
        envelope_1101(
            treating="110000",
            insured="650100",
            certno=person["certno"],
            psn_name=person["psn_name"],
        ),
        spelling,
    )

    answer, sent = call_once_indexed(http, stack, body)

    assert answer["infcode"] == 0, answer
    assert answer["output"]["baseinfo"]["psn_no"] == person["psn_no"]
    assert [i["insuplc_admdvs"] for i in answer["output"]["insuinfo"]] == ["650100"]
    # to the hub (no region yet), on from the hub to the region it found, answered directly
    rows = hub_log(http, stack, sent["msgid"], rows=4)
    assert hops(rows, "kind", "stage", "insuplc_admdvs", "outcome", "route") == [
        ("reply", "reply", "650100", "sent", "cross"),
        ("request", "decision", "650100", "forwarded", "cross"),
        ("request", "hub", "", "sent", None),
        ("request", "insured", "650100", "sent", "cross"),
    ]


def test_1101_treated_at_home_without_insured_region_is_intra(
    http: httpx.Client, stack: Stack
) -> None:
    person = enrol(http, stack, "150200")
    body = without_insured_region(
        envelope_1101(treating="150200", insured="150200", certno=person["certno"]),
        "treating_area",
    )

    answer, sent = call_once_indexed(http, stack, body)

    assert answer["infcode"] == 0, answer
    assert answer["output"]["insuinfo"][0]["insuplc_admdvs"] == "150200"
    rows = hub_log(http, stack, sent["msgid"], rows=4)
    assert {(r["insuplc_admdvs"], r["route"]) for r in rows if r["insuplc_admdvs"]} == {
        ("150200", "intra")
    }


@pytest.mark.parametrize("spelling", ["absent", "blank", "treating_area"])
def test_1101_for_a_certificate_nobody_enrolled_is_e1001_from_the_index(
    http: httpx.Client, stack: Stack, spelling: str
) -> None:
    stranger = new_person("120000")
    body = without_insured_region(
        envelope_1101(treating="130100", insured="120000", certno=stranger["certno"]), spelling
    )

    answer = call(http, stack, body)

    assert (answer["infcode"], answer["err_code"]) == (-1, "E1001"), answer
    assert answer["err_msg"].startswith("[E1001] 参保地未查询到该人员的参保信息")
    assert NOT_IN_INDEX in answer["err_msg"]
    assert answer["output"] is None
    rows = hub_log(http, stack, body["msgid"], rows=3)
    assert hops(rows, "kind", "stage", "outcome", "err_code", "insuplc_admdvs") == [
        ("reply", "reply", "sent", "E1001", ""),
        ("request", "decision", "refused", "E1001", ""),
        ("request", "hub", "sent", None, ""),
    ]


def test_a_person_enrolled_just_now_reaches_the_index_and_is_found(
    http: httpx.Client, stack: Stack
) -> None:
    before = index_size(http, stack, "159900")
    person = enrol(http, stack, "159900")
    deadline = time.monotonic() + INDEX_WAIT_S
    while index_size(http, stack, "159900") <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert index_size(http, stack, "159900") >= before + 1

    body = without_insured_region(
        envelope_1101(treating="650100", insured="159900", certno=person["certno"]), "blank"
    )
    answer = call(http, stack, body)

    assert answer["infcode"] == 0, answer
    assert answer["output"]["baseinfo"]["certno"] == person["certno"]
    assert answer["output"]["insuinfo"][0]["insuplc_admdvs"] == "159900"


async def test_hub_resolves_an_empty_insured_region_on_the_relay_itself(
    stack: Stack, treating_double: TreatingRegionDouble, ahttp: httpx.AsyncClient
) -> None:
    """The hub's side alone, as the treating region relays it (``insuplc_admdvs=""``)."""
    person = new_person("110000")
    response = await ahttp.post(f"{stack.insured_url}/admin/persons", json=person, headers=OPERATOR)
    assert response.status_code == 201, response.text
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person["certno"]}}

    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        reply = await treating_double.send("1101", treating="120000", insured="", payload=payload)
        if reply.err_code != "E1001" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)

    assert reply.err_code is None, reply.err_detail
    assert reply.insuplc_admdvs == person["insuplc_admdvs"]
    assert reply.sender_admdvs == person["insuplc_admdvs"]
    assert reply.payload["baseinfo"]["psn_no"] == person["psn_no"]


async def test_hub_refuses_another_transaction_without_insured_region_as_e5001(
    treating_double: TreatingRegionDouble,
) -> None:
    reply = await treating_double.send(
        "5206", treating="120000", insured="", payload={"data": {"psn_no": "X", "cum_ym": "202612"}}
    )

    assert reply.err_code == "E5001"
    assert reply.sender_admdvs == "000000"
