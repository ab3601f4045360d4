"""shared.operator_access: admin routes need the operator token; personal data in clear needs the
second right and the asking (design §3, §8). In-process ASGI app: no sockets, no database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from services.insured_region.settings import Settings as InsuredSettings
from services.national_hub.settings import Settings as HubSettings
from services.treating_region.settings import Settings as TreatingSettings
from shared.operator_access import (
    OPERATOR_RESPONSES,
    OperatorDep,
    OperatorTokens,
    install_operator_access,
    operator_headers,
)
from shared.settings import DEV_OPERATOR_PII_TOKEN, DEV_OPERATOR_TOKEN
from shared.web import install_error_handlers

TOKEN = "op-token-for-tests"
PII_TOKEN = "pii-token-for-tests"
PERSON = {"psn_no": "P1", "certno": "650102196001010023", "psn_name": "王伟"}


def make_app(pii_token: str = PII_TOKEN) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    settings = HubSettings(operator_token=TOKEN, operator_pii_token=pii_token)
    install_operator_access(app, settings)

    @app.get("/admin/person", responses=OPERATOR_RESPONSES)
    async def person(operator: OperatorDep) -> dict[str, Any]:
        return operator.view(PERSON)

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://operator.test") as http:
        yield http


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": TOKEN},
    ],
    ids=["none", "wrong", "not-bearer", "empty", "no-scheme"],
)
async def test_without_the_token_the_answer_is_401_in_the_envelope(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/admin/person", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert (body["infcode"], body["err_code"], body["output"]) == (-1, "E9011", None)
    assert "运维令牌" in body["err_msg"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert PERSON["certno"] not in response.text


async def test_with_the_token_personal_data_comes_masked(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/person", headers=operator_headers(TOKEN))

    assert response.status_code == 200
    assert response.json() == {
        "psn_no": "P1",
        "certno": "650102********0023",
        "psn_name": "王*",
    }


async def test_the_token_alone_may_not_ask_for_it_in_clear(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/admin/person", params={"unmasked": "true"}, headers=operator_headers(TOKEN)
    )

    assert response.status_code == 403
    assert response.json()["err_code"] == "E9011"
    assert PERSON["certno"] not in response.text


async def test_the_pii_token_sees_it_in_clear_only_when_asking(client: httpx.AsyncClient) -> None:
    headers = operator_headers(PII_TOKEN)

    masked = await client.get("/admin/person", headers=headers)
    clear = await client.get("/admin/person", params={"unmasked": "true"}, headers=headers)

    assert masked.json()["certno"] == "650102********0023"
    assert clear.status_code == 200
    assert clear.json() == PERSON


async def test_an_empty_pii_token_gives_nobody_the_right() -> None:
    transport = httpx.ASGITransport(app=make_app(pii_token=""))
    async with httpx.AsyncClient(transport=transport, base_url="http://operator.test") as http:
        plain = await http.get("/admin/person", headers=operator_headers(TOKEN))
        empty = await http.get(
            "/admin/person", params={"unmasked": "true"}, headers={"Authorization": "Bearer "}
        )
        clear = await http.get(
            "/admin/person", params={"unmasked": "true"}, headers=operator_headers(TOKEN)
        )

    assert plain.status_code == 200
    assert empty.status_code == 401
    assert clear.status_code == 403


def test_the_openapi_page_documents_the_bearer_scheme_and_the_refusals() -> None:
    schema = make_app().openapi()

    operation = schema["paths"]["/admin/person"]["get"]
    assert operation["security"] == [{"operator": []}]
    assert {"401", "403"} <= set(operation["responses"])
    assert schema["components"]["securitySchemes"]["operator"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("presented", "right"),
    [(TOKEN, "operator"), (PII_TOKEN, "pii"), ("", None), ("x" + TOKEN, None), ("令牌", None)],
)
def test_right_of(presented: str, right: str | None) -> None:
    assert OperatorTokens(TOKEN, PII_TOKEN).right_of(presented) == right


@pytest.mark.parametrize("settings", [TreatingSettings, HubSettings, InsuredSettings])
def test_every_service_has_both_tokens_with_loopback_defaults(settings: Any) -> None:
    fields = settings.model_fields

    assert (fields["operator_token"].default, fields["operator_pii_token"].default) == (
        DEV_OPERATOR_TOKEN,
        DEV_OPERATOR_PII_TOKEN,
    )


def test_the_pii_right_is_never_the_operator_token_itself() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        HubSettings(operator_token="same", operator_pii_token="same")


def test_the_operator_token_is_never_empty() -> None:
    with pytest.raises(ValidationError):
        HubSettings(operator_token="")
