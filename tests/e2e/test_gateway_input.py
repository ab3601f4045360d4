"""Bad input at the gateway: a plain infcode=-1 error naming the problem, never an HTTP 500."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from shared.auth import institution_token, signed_headers
from tests.e2e.harness import GATEWAY, Stack, envelope_1101, signed

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
    body = envelope_1101(treating="110000", insured="650100", certno="110105199001010011")
    del body["input"]["data"]["mdtrt_cert_type"]
    answer = http.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    ).json()
    assert (answer["infcode"], answer["err_code"]) == (-1, "E9002")
    assert "input.data.mdtrt_cert_type" in answer["err_msg"]


def test_msgid_must_belong_to_the_sending_institution(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="650100", certno="110105199001010011")
    body["msgid"] = "H99999999999" + body["msgid"][12:]
    answer = http.post(
        f"{stack.treating_url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"])
    ).json()
    assert (answer["infcode"], answer["err_code"]) == (-1, "E9002")
    assert "fixmedins_code" in answer["err_msg"]


def test_json_sent_as_text_plain_is_still_understood(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="110105199001010011")
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
    body = envelope_1101(treating="110000", insured="990000", certno="110105199001010011")
    assert _post(http, stack, body, {})["err_code"] == "E9007"
    forged = {**signed(body["fixmedins_code"]), "x-tif-signature": "0" * 64}
    assert _post(http, stack, body, forged)["err_code"] == "E9007"


def test_an_institution_may_only_send_for_itself(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="110105199001010011")
    other = signed("H11000000002" if body["fixmedins_code"] != "H11000000002" else "H11000000003")
    assert _post(http, stack, body, other)["err_code"] == "E9009"


def test_stale_timestamps_and_reused_nonces_are_refused(http: httpx.Client, stack: Stack) -> None:
    body = envelope_1101(treating="110000", insured="990000", certno="110105199001010011")
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
    body = envelope_1101(treating="110000", insured="650100", certno="110105199001010011")
    body["input"]["padding"] = "x" * 2_100_000
    answer = _post(http, stack, body, signed(body["fixmedins_code"]))
    assert answer["err_code"] == "E9005"
    status = http.get(f"{stack.treating_url}/admin/messages/{body['msgid']}")
    assert status.status_code == 422  # no such message: nothing was recorded
