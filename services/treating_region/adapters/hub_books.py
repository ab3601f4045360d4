"""The hub's books as the treating region reads them for its institutions (3260/3261): the
hub's admin API over HTTP, with the operator token the deployment gives the treating region."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from shared.errors import E6002, RelayError, lookup
from shared.operator_access import operator_headers


class HubBooks:
    def __init__(self, hub_url: str, token: str, timeout_s: float = 15.0) -> None:
        self._url = hub_url.rstrip("/")
        self._headers = operator_headers(token)
        self._timeout_s = timeout_s

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s, trust_env=False) as http:
                response = await http.request(
                    method, f"{self._url}{path}", json=body, headers=self._headers
                )
        except httpx.HTTPError as exc:
            raise RelayError(E6002, detail=f"平台清算数据暂不可得（{type(exc).__name__}）") from exc
        answer: Any = response.json() if response.content else {}
        if response.status_code != 200:
            code = answer.get("err_code") if isinstance(answer, dict) else None
            if isinstance(code, str) and code.startswith("E6"):
                raise RelayError(lookup(code), detail=_detail(answer))
            raise RelayError(E6002, detail=f"平台清算接口应答 {response.status_code}")
        return answer

    async def rows(self, month: str, fixmedins_code: str) -> dict[str, Any]:
        found: dict[str, Any] = await self._call(
            "GET", f"/clearing/{month}/institutions/{fixmedins_code}"
        )
        return found

    async def confirm(
        self, month: str, fixmedins_code: str, entries: int, amount: Decimal
    ) -> dict[str, Any]:
        done: dict[str, Any] = await self._call(
            "POST",
            f"/clearing/{month}/institutions/{fixmedins_code}/confirmation",
            {"entries": entries, "amount": str(amount)},
        )
        return done


def _detail(answer: dict[str, Any]) -> str:
    """The detail inside the hub's plain message ``[E6xxx] 原因（detail）。做法``."""
    message = str(answer.get("err_msg") or "")
    start, end = message.find("（"), message.rfind("）")
    return message[start + 1 : end] if 0 <= start < end else ""
