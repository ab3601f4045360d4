"""Operator access to the admin APIs (design §3: "Operator APIs need an operator token"; §8:
personal data masked, readable by operators only).

Two bearer tokens per deployment, from each service's settings::

    Authorization: Bearer <OPERATOR_TOKEN>        every admin route; personal data masked
    Authorization: Bearer <OPERATOR_PII_TOKEN>    the same, and ``?unmasked=true`` shows it in clear

A missing or wrong token is HTTP 401, ``unmasked=true`` without the second right HTTP 403, both in
the uniform error envelope.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, FastAPI, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import E9011
from shared.masking import mask_personal
from shared.settings import CommonSettings
from shared.web import ErrorEnvelope, StatusError

REFUSED = E9011
"""Until the catalogue has a code of its own for operator credentials, the one for missing or
failed request credentials; the detail says what an operator must send."""

OPERATOR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "No operator token, or a wrong one"},
    403: {"model": ErrorEnvelope, "description": "unmasked=true without the personal-data right"},
}
"""Declared on every operator route, so that the OpenAPI page documents the refusals."""

Body = TypeVar("Body")

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="operator",
    description="The deployment's operator token (<PREFIX>OPERATOR_TOKEN), or the token with the "
    "right to see personal data (<PREFIX>OPERATOR_PII_TOKEN)",
)


@dataclass(frozen=True, slots=True)
class OperatorTokens:
    token: str
    pii_token: str

    def right_of(self, presented: str) -> str | None:
        """``"pii"``, ``"operator"`` or None; compared in constant time (no timing oracle)."""
        given = presented.encode()
        if self.pii_token and hmac.compare_digest(given, self.pii_token.encode()):
            return "pii"
        if self.token and hmac.compare_digest(given, self.token.encode()):
            return "operator"
        return None


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator whose token was accepted, and whether this answer may show personal data."""

    unmasked: bool

    def view(self, body: Body) -> Body:
        """The answer as this operator may read it: personal data masked unless asked for with
        the right to see it."""
        return body if self.unmasked else cast(Body, mask_personal(body))


def install_operator_access(app: FastAPI, settings: CommonSettings) -> None:
    """The tokens every operator route of this app checks (``OperatorDep``)."""
    app.state.operator_tokens = OperatorTokens(settings.operator_token, settings.operator_pii_token)


def operator_access(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    unmasked: Annotated[
        bool,
        Query(description="show personal data in clear (needs the operator PII token)"),
    ] = False,
) -> Operator:
    tokens: OperatorTokens = request.app.state.operator_tokens
    right = tokens.right_of(credentials.credentials if credentials else "")
    if right is None:
        raise StatusError(
            REFUSED,
            status_code=401,
            detail="运维接口需要运维令牌：请求头 Authorization: Bearer <运维令牌>",
            headers={"WWW-Authenticate": 'Bearer realm="operator"'},
        )
    if unmasked and right != "pii":
        raise StatusError(
            REFUSED,
            status_code=403,
            detail="查看未脱敏的个人信息需要个人信息查看令牌；不带 unmasked=true 则返回脱敏数据",
        )
    return Operator(unmasked=unmasked)


OperatorDep = Annotated[Operator, Depends(operator_access)]
"""A route parameter of this type makes the route operator-only."""


def operator_headers(token: str) -> dict[str, str]:
    """What a client of the admin APIs sends (the simulator, the benchmark, the tests)."""
    return {"Authorization": f"Bearer {token}"}
