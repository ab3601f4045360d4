"""A deployment that requires 9001 sign-in (issue 12, item 7): strictness is per deployment.

A second treating-region process, beside the suite's own, started with
``TREATING_REGION_REQUIRE_SIGN_IN=true`` on the same databases and broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import GATEWAY, LOG_DIR, PORT_OFFSET, Stack, envelope_1101, signed

pytestmark = pytest.mark.e2e

HOSPITAL = "H11000000003"


@pytest.fixture(scope="module")
def strict_url(stack: Stack) -> Iterator[str]:
    if not stack.env:
        pytest.skip("needs the suite's own processes (not an external deployment)")
    port = 18009 + PORT_OFFSET
    proc = stack.start_extra(
        "treating_region",
        port,
        LOG_DIR / "treating_region_strict.log",
        REQUIRE_SIGN_IN="true",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def call(http: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(f"{url}{GATEWAY}", json=body, headers=signed(body["fixmedins_code"]))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def query(sign_no: str | None) -> dict[str, Any]:
    body = envelope_1101(
        treating="110000", insured="650100", certno="11010519491231002X", fixmedins_code=HOSPITAL
    )
    body["sign_no"] = sign_no
    return body


def sign_in() -> dict[str, Any]:
    body = query(None)
    return {**body, "infno": "9001", "input": {"signIn": {"opter_no": "0001"}}}


def test_without_sign_in_a_strict_deployment_refuses_naming_9001(
    http: httpx.Client, strict_url: str
) -> None:
    for sign_no in (None, "never-issued"):
        answer = call(http, strict_url, query(sign_no))
        assert (answer["infcode"], answer["err_code"]) == (-1, "E9010"), answer
        assert "9001" in answer["err_msg"]


def test_after_sign_in_it_serves_and_after_sign_out_it_refuses_again(
    http: httpx.Client, strict_url: str
) -> None:
    signed_in = call(http, strict_url, sign_in())
    assert signed_in["infcode"] == 0, signed_in
    sign_no = signed_in["output"]["signinoutb"]["sign_no"]
    # E1001: served, and answered by the insured region (no such person) — not E9010
    assert call(http, strict_url, query(sign_no))["err_code"] == "E1001"
    sign_out = {
        **query(sign_no),
        "infno": "9002",
        "input": {"signOut": {"sign_no": sign_no, "opter_no": "0001"}},
    }
    assert call(http, strict_url, sign_out)["infcode"] == 0
    assert call(http, strict_url, query(sign_no))["err_code"] == "E9010"


def test_another_institutions_sign_no_is_not_yours(http: httpx.Client, strict_url: str) -> None:
    signed_in = call(http, strict_url, sign_in())
    sign_no = signed_in["output"]["signinoutb"]["sign_no"]
    other = envelope_1101(
        treating="110000",
        insured="650100",
        certno="11010519491231002X",
        fixmedins_code="H11000000001",
    )
    other["sign_no"] = sign_no
    assert call(http, strict_url, other)["err_code"] == "E9010"


def test_the_lenient_default_serves_without_sign_in(http: httpx.Client, stack: Stack) -> None:
    answer = call(http, stack.treating_url, query(None))
    assert answer["err_code"] == "E1001"  # served: no such person at the insured region
