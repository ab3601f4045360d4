"""Bad input at the gateway: a plain infcode=-1 error naming the problem, never an HTTP 500."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from shared.auth import institution_token, signed_headers
from tests.e2e.harness import GATEWAY, OPERATOR, Stack, envelope_1101, signed

pytestmark = pytest.mark.e2e


def post_raw(http: httpx.Client, stack: Stack, content: bytes, content_type: str) -> httpx.Response:
    return http.post(
        f"{stack.treating_url}{GATEWAY}", content=content, headers={"content-type": content_type}
    )


@pytest.mark.parametrize(
    ("content", "code", "named"),
    [
        pytest.param(b"{not json", "E9001", None, id="malformed_json"),
        pytest.param(b"[1, 2]", "E9001", None, id="json_but_not_an_object"),
        pytest.param(b'{"infno": "1101"}', "E9002", "msgid", id="missing_envelope_fields"),
    ],
)
def test_unreadable_bodies(
    http: httpx.Client, stack: Stack, content: bytes, code: str, named: str | None
) -> None:
    response = post_raw(http, stack, content, "application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["infcode"], body["err_code"]) == (-1, code)
    if named:
        assert named in body["err_msg"]


def test_unsupported_infno_is_e9003(http: httpx.Client, stack: Stack) -> None:
    body = {**envelope_1101(treating="110000", insured="650100", certno="x" * 18), "infno": "9999"}
    answer = http.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    ).json()
    assert (answer["infcode"], answer["err_code"]) == (-1, "E9003")


def test_missing_input_field_is_named(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="650100", certno="11010519491231002X")
    del body["input"]["data"]["mdtrt_cert_type"]
    answer = http.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    ).json()
    assert (answer["infcode"], answer["err_code"]) == (-1, "E9002")
    assert "input.data.mdtrt_cert_type" in answer["err_msg"]


def test_another_institutions_msgid_never_returns_its_answer(
    http: httpx.Client, stack: Stack
) -> None:
    """A msgid is an opaque key: the same string from another institution is another request,
    refused as a reused msgid (E9004), never answered with the first institution's output."""
    first = envelope_1101(
        treating="110000", insured="650100", certno="11010519491231002X",
        fixmedins_code="H11000000001",
    )  # fmt: skip
    http.post(f"{stack.treating_url}{GATEWAY}", json=first, headers=signed("H11000000001"))
    other = {**first, "fixmedins_code": "H11000000002"}
    answer = http.post(
        f"{stack.treating_url}{GATEWAY}", json=other, headers=signed("H11000000002")
    ).json()
    assert (answer["infcode"], answer["err_code"], answer["output"]) == (-1, "E9004", None)


def test_json_sent_as_text_plain_is_still_understood(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="11010519491231002X")
    response = http.post(
        f"{stack.treating_url}{GATEWAY}",
        content=orjson.dumps(body),
        headers={"content-type": "text/plain; charset=gbk", **signed(body["fixmedins_code"])},
    )
    # understood as a request: the hub, not the parser, refuses the unknown region
    assert response.json()["err_code"] == "E5001"


def test_openapi_pages_document_the_gateway_and_admin_apis(
    http: httpx.Client, stack: Stack
) -> None:
    treating = http.get(f"{stack.treating_url}/openapi.json").json()
    schemas = treating["components"]["schemas"]
    assert {"Request1101", "Input1101", "PersonQuery", "NationalResponse"} <= set(schemas)
    assert GATEWAY in treating["paths"]
    insured = http.get(f"{stack.insured_url}/openapi.json").json()
    assert "/admin/persons" in insured["paths"]
    hub = http.get(f"{stack.hub_url}/openapi.json").json()
    assert "/relay-log" in hub["paths"]


def _post(
    http: httpx.Client,
    stack: Stack,
    body: dict[str, object],
    headers: dict[str, str],
) -> dict[str, object]:
    response = http.post(f"{stack.treating_url}{GATEWAY}", json=body, headers=headers)
    assert response.status_code == 200
    answer: dict[str, object] = response.json()
    return answer


def test_unsigned_and_badly_signed_requests_are_refused(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="11010519491231002X")
    assert _post(http, stack, body, {})["err_code"] == "E9007"
    forged = {**signed(body["fixmedins_code"]), "x-tif-signature": "0" * 64}
    assert _post(http, stack, body, forged)["err_code"] == "E9007"


def test_an_institution_may_only_send_for_itself(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="11010519491231002X")
    other = signed("H11000000002" if body["fixmedins_code"] != "H11000000002" else "H11000000003")
    assert _post(http, stack, body, other)["err_code"] == "E9009"


def test_stale_timestamps_and_reused_nonces_are_refused(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="11010519491231002X")
    code = body["fixmedins_code"]
    secret = "dev-hospital-secret"
    stale = signed_headers(
        code, institution_token(secret, code), str(int((time.time() - 3600) * 1000))
    )
    assert _post(http, stack, body, stale)["err_code"] == "E9008"
    once = signed(code)
    assert _post(http, stack, body, once)["err_code"] == "E5001"  # accepted, then routed
    again = {**body, "msgid": body["msgid"][:-4] + "9999"}
    assert _post(http, stack, again, once)["err_code"] == "E9008"


def test_an_oversize_body_is_e9005_and_nothing_is_recorded(
    http: httpx.Client, stack: Stack
) -> None:
    body = envelope_1101(treating="110000", insured="650100", certno="11010519491231002X")
    body["input"]["padding"] = "x" * 2_100_000
    answer = _post(http, stack, body, signed(body["fixmedins_code"]))
    assert answer["err_code"] == "E9005"
    status = http.get(f"{stack.treating_url}/admin/messages/{body['msgid']}", headers=OPERATOR)
    assert status.status_code == 404  # no such message: nothing was recorded
