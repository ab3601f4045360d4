"""Who may read what (issue 12 item 12; design §3 "Operator APIs need an operator token; a hospital
reads only its own messages", §8 "personal data masked; readable by operators only").

Every admin route of the three services refuses a call without the operator token; with it,
personal data comes masked; with the PII token and ``unmasked=true`` it comes in clear. A hospital
reads its own messages with its x-tif signature, and another institution's msgid is as unknown
to it as one never sent.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared import clock
from shared.logging import mask_id_no, mask_name
from tests.e2e.harness import (
    GATEWAY,
    OPERATOR,
    OPERATOR_PII,
    Stack,
    enrol,
    envelope_1101,
    hospital_code,
    new_msgid,
    signed,
)

pytestmark = pytest.mark.e2e

PUBLIC = {
    ("treating", "post", GATEWAY),  # the hospitals' gateway: signed per message
    ("treating", "get", "/fsi/messages/{msgid}"),  # a hospital's read: signed, its own only
    ("treating", "post", "/selfpaid-visits"),  # a hospital's upload: signed, as itself
    ("treating", "get", "/selfpaid-visits/{visit_id}"),  # signed, its own only
    ("treating", "get", "/catalogue/{admdvs}/items/{med_list_codg}"),
    ("treating", "get", "/catalogue/{admdvs}/items"),
    ("treating", "get", "/institutions"),
    ("treating", "get", "/institutions/{fixmedins_code}"),
    ("treating", "get", "/conformance/scenarios"),  # the kit's reference data
    ("treating", "get", "/conformance/errors"),
    ("insured", "get", "/policies/{admdvs}"),
    *((service, "get", "/healthz") for service in ("treating", "hub", "insured")),
}
"""What needs no operator token: reference data (catalogue, institutions, policies: no personal
data), health, and the hospitals' own signed routes. Everything else is an operator route."""

PATH_VALUES = {
    "msgid": "H11000000001202601010000000001",
    "psn_no": "110000T0000000000000000000001",
    "filing_id": "F1",
    "year": "2026",
    "admdvs": "110000",
    "med_list_codg": "X",
    "fixmedins_code": "H11000000001",
    "day": "2026-01-05",
    "month": "202601",
    "province": "650000",
    "request_id": "1",
    "deduction_id": "1",
    "period": "202601",
    "visit_id": "1",
    "session_id": "1",
    "rule_id": "1",
}
PARAM = re.compile(r"\{(\w+)\}")


def base_url(stack: Stack, service: str) -> str:
    return {"treating": stack.treating_url, "hub": stack.hub_url, "insured": stack.insured_url}[
        service
    ]


def operations(http: httpx.Client, stack: Stack, service: str) -> list[tuple[str, str, Any]]:
    """(method, path template, operation) of every route on the service's OpenAPI page."""
    spec = http.get(f"{base_url(stack, service)}/openapi.json").json()
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def refusal_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert (body["infcode"], body["output"]) == (-1, None)
    return body


@pytest.mark.parametrize("service", ["treating", "hub", "insured"])
def test_every_route_but_the_public_ones_needs_the_operator_token(
    http: httpx.Client, stack: Stack, service: str
) -> None:
    checked = []
    for method, path, operation in operations(http, stack, service):
        public = (service, method, path) in PUBLIC
        assert ("security" not in operation) is public, (method, path)
        if public:
            continue
        url = base_url(stack, service) + PARAM.sub(lambda m: PATH_VALUES[m[1]], path)
        for headers in ({}, {"Authorization": "Bearer not-the-token"}, signed("H11000000001")):
            body = refusal_of(http.request(method, url, headers=headers, json={}), 401)
            assert body["err_code"] == "E9011"
            assert "运维令牌" in body["err_msg"]
        checked.append((method, path))
    assert checked  # each service has operator routes


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("treating", "/healthz"),
        ("treating", "/institutions?admdvs=110000"),
        ("treating", "/catalogue/110000/items?limit=1"),
        ("insured", "/policies/650100"),
        ("hub", "/openapi.json"),
        ("insured", "/docs"),
    ],
)
def test_public_reads_stay_open(http: httpx.Client, stack: Stack, service: str, path: str) -> None:
    assert http.get(f"{base_url(stack, service)}{path}").status_code == 200


async def test_the_insured_regions_admin_api_masks_personal_data(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    person = await enrol(ahttp, stack, "110000")
    psn_no, certno, name = person["psn_no"], person["certno"], person["psn_name"]
    url = f"{stack.insured_url}/admin/persons"

    one = await ahttp.get(f"{url}/{psn_no}", headers=OPERATOR)
    listed = await ahttp.get(url, params={"admdvs": "110000", "limit": 500}, headers=OPERATOR)

    assert one.status_code == 200, one.text
    base = one.json()["baseinfo"]
    assert (base["psn_no"], base["certno"], base["psn_name"]) == (
        psn_no,
        mask_id_no(certno),
        mask_name(name),
    )
    assert base["brdy"] == f"{person['brdy'][:4]}-**-**"
    assert certno not in one.text
    assert listed.status_code == 200
    assert listed.json()
    assert all("*" in p["baseinfo"]["certno"] for p in listed.json())
    assert certno not in listed.text


async def test_the_pii_token_sees_a_person_in_clear_only_when_asking(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    person = await enrol(ahttp, stack, "110000")
    url = f"{stack.insured_url}/admin/persons/{person['psn_no']}"

    masked = await ahttp.get(url, headers=OPERATOR_PII)
    clear = await ahttp.get(url, params={"unmasked": "true"}, headers=OPERATOR_PII)
    refused = await ahttp.get(url, params={"unmasked": "true"}, headers=OPERATOR)

    assert masked.json()["baseinfo"]["certno"] == mask_id_no(person["certno"])
    assert clear.status_code == 200
    base = clear.json()["baseinfo"]
    assert (base["certno"], base["psn_name"], base["brdy"]) == (
        person["certno"],
        person["psn_name"],
        person["brdy"],
    )
    assert refusal_of(refused, 403)["err_code"] == "E9011"
    assert person["certno"] not in refused.text


async def test_enrolment_filings_and_accumulators_work_with_the_token(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    person = await enrol(ahttp, stack, "110000")  # the harness enrols with the token
    base = f"{stack.insured_url}/admin/persons/{person['psn_no']}"
    begndate = clock.today() - timedelta(days=3)
    filing = {"category": "12", "dest_admdvs": "650100", "begndate": str(begndate)}

    created = await ahttp.post(f"{base}/filings", json=filing, headers=OPERATOR)
    assert created.status_code == 201, created.text
    filing_id = created.json()["filing_id"]
    changed = await ahttp.put(
        f"{base}/filings/{filing_id}", json={**filing, "dest_admdvs": "120000"}, headers=OPERATOR
    )
    listed = await ahttp.get(f"{base}/filings", headers=OPERATOR)
    cancelled = await ahttp.delete(f"{base}/filings/{filing_id}", headers=OPERATOR)
    chronic = await ahttp.post(
        f"{base}/chronic-filings",
        json={"opsp_dise_code": "M03900", "begndate": str(begndate)},
        headers=OPERATOR,
    )
    year = await ahttp.get(f"{base}/accumulators/{clock.today().year}", headers=OPERATOR)

    assert changed.status_code == 200, changed.text
    assert listed.status_code == 200
    assert listed.json()["psn_no"] == person["psn_no"]
    assert cancelled.status_code == 200, cancelled.text
    assert chronic.status_code == 201, chronic.text
    assert year.status_code == 200
    assert "cuminfo" in year.json()


@pytest.fixture
async def answered(ahttp: httpx.AsyncClient, stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A person and the person-info call (1101) a Beijing hospital made for them, answered with
    the person's data: what the stored message holds."""
    person = await enrol(ahttp, stack, "650100")
    body = envelope_1101(
        treating="110000", insured="650100", certno=person["certno"], psn_name=person["psn_name"]
    )
    response = await ahttp.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    )
    assert response.json()["infcode"] == 0, response.text
    return person, body


async def test_an_operator_reads_any_message_masked_or_with_the_pii_right_in_clear(
    ahttp: httpx.AsyncClient, stack: Stack, answered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    person, body = answered
    url = f"{stack.treating_url}/admin/messages/{body['msgid']}"

    masked = await ahttp.get(url, headers=OPERATOR)
    clear = await ahttp.get(url, params={"unmasked": "true"}, headers=OPERATOR_PII)

    assert masked.status_code == 200, masked.text
    assert masked.json()["status"] == "ok"
    base = masked.json()["output"]["baseinfo"]
    assert (base["certno"], base["psn_name"]) == (
        mask_id_no(person["certno"]),
        mask_name(person["psn_name"]),
    )
    assert person["certno"] not in masked.text
    base = clear.json()["output"]["baseinfo"]
    assert (base["certno"], base["psn_name"]) == (person["certno"], person["psn_name"])
    assert refusal_of(await ahttp.get(url, params={"unmasked": "true"}, headers=OPERATOR), 403)


async def test_the_hubs_log_is_for_operators_and_masked(
    ahttp: httpx.AsyncClient, stack: Stack, answered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    person, body = answered
    url = f"{stack.hub_url}/relay-log"

    for _ in range(100):  # the hub writes its log from the journal, a moment after (design §4)
        rows = await ahttp.get(url, params={"msgid": body["msgid"]}, headers=OPERATOR)
        if rows.status_code != 200 or len(rows.json()) >= 2:
            break
        await asyncio.sleep(0.1)
    index = await ahttp.get(f"{stack.hub_url}/person-index", headers=OPERATOR)

    assert rows.status_code == 200
    assert {r["certno_masked"] for r in rows.json()} == {mask_id_no(person["certno"])}
    assert person["certno"] not in rows.text
    assert index.status_code == 200
    assert int(index.json().get("650100", 0)) >= 1
    refusal_of(await ahttp.get(url, params={"msgid": body["msgid"]}), 401)


async def test_a_hospital_reads_its_own_message_with_its_signature(
    ahttp: httpx.AsyncClient, stack: Stack, answered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    person, body = answered
    code = body["fixmedins_code"]

    response = await ahttp.get(
        f"{stack.treating_url}/fsi/messages/{body['msgid']}", headers=signed(code)
    )

    assert response.status_code == 200, response.text
    message = response.json()
    assert (message["msgid"], message["infno"], message["status"]) == (body["msgid"], "1101", "ok")
    # its own patient, as the gateway answered it: not masked for the hospital that sent it
    assert message["output"]["baseinfo"]["certno"] == person["certno"]


async def test_another_institutions_msgid_is_not_found_like_one_never_sent(
    ahttp: httpx.AsyncClient, stack: Stack, answered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    person, body = answered
    owner = body["fixmedins_code"]
    other = next(c for c in (hospital_code("110000") for _ in range(50)) if c != owner)
    never_sent = new_msgid(other)

    theirs = await ahttp.get(
        f"{stack.treating_url}/fsi/messages/{body['msgid']}", headers=signed(other)
    )
    missing = await ahttp.get(
        f"{stack.treating_url}/fsi/messages/{never_sent}", headers=signed(other)
    )

    first, second = refusal_of(theirs, 404), refusal_of(missing, 404)
    assert first["err_code"] == second["err_code"]
    assert first["err_msg"].replace(body["msgid"], "?") == second["err_msg"].replace(
        never_sent, "?"
    )
    assert person["certno"] not in theirs.text


async def test_a_hospital_read_needs_a_valid_signature(
    ahttp: httpx.AsyncClient, stack: Stack, answered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, body = answered
    url = f"{stack.treating_url}/fsi/messages/{body['msgid']}"
    forged = {**signed(body["fixmedins_code"]), "x-tif-signature": "0" * 64}

    for headers in ({}, forged, OPERATOR):
        refused = refusal_of(await ahttp.get(url, headers=headers), 401)
        assert refused["err_code"] == "E9007"
        assert refused["inf_refmsgid"]
    # nor is the operator route open to a hospital's signature
    admin = f"{stack.treating_url}/admin/messages/{body['msgid']}"
    refusal_of(await ahttp.get(admin, headers=signed(body["fixmedins_code"])), 401)
