"""A hospital's HIS as the tests drive it: the national envelope to the gateway."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from tests.e2e.harness import GATEWAY, Stack, signed

_SEQ = itertools.count(random.randrange(10000))
ALL_CATEGORIES = tuple(f"{c:02d}" for c in range(1, 15))


@dataclass
class Hospital:
    http: httpx.AsyncClient
    stack: Stack
    fixmedins_code: str
    admdvs: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def msgid(self) -> str:
        """Unique across every hospital object of the run: one counter for the process."""
        return f"{self.fixmedins_code}{datetime.now():%Y%m%d%H%M%S}{next(_SEQ) % 10000:04d}"

    def envelope(
        self, infno: str, insured: str, body: dict[str, Any], msgid: str | None = None
    ) -> dict[str, Any]:
        return {
            "infno": infno,
            "msgid": msgid or self.msgid(),
            "mdtrtarea_admvs": self.admdvs,
            "insuplc_admdvs": insured,
            "recer_sys_code": "FSI",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.fixmedins_code,
            "fixmedins_name": "测试医院",
            "input": body,
        }

    async def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.stack.treating_url}{GATEWAY}",
            json=envelope,
            headers=signed(envelope["fixmedins_code"]),
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def call(self, infno: str, insured: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.send(self.envelope(infno, insured, body))

    async def ok(self, infno: str, insured: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.call(infno, insured, body)
        assert answer["infcode"] == 0, f"{infno}: {answer['err_code']} {answer['err_msg']}"
        output: dict[str, Any] = answer["output"]
        return output

    async def items(self, category: str, count: int) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.stack.treating_url}/catalogue/{self.admdvs}/items",
            params={"med_chrgitm_type": category, "limit": 50},
        )
        found: list[dict[str, Any]] = response.json()
        return self.rng.sample(found, min(count, len(found)))

    async def lines(
        self,
        mdtrt_id: str,
        psn_no: str,
        per_category: int = 3,
        categories: tuple[str, ...] = ALL_CATEGORIES,
        start: int = 1,
    ) -> list[dict[str, Any]]:
        """Lines over the given categories, priced at the items' reference prices."""
        lines = []
        n = start
        for category in categories:
            for item in await self.items(category, per_category):
                pric = Decimal(item["ref_price"])
                cnt = Decimal(self.rng.choice([1, 1, 2, 3, 5]))
                lines.append(
                    {
                        "feedetl_sn": f"{n:06d}",
                        "mdtrt_id": mdtrt_id,
                        "psn_no": psn_no,
                        "fee_ocur_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                        "med_list_codg": item["med_list_codg"],
                        "medins_list_codg": f"HIS{n:05d}",
                        "pric": str(pric),
                        "cnt": str(cnt),
                        "det_item_fee_sumamt": str(
                            (pric * cnt).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                        ),
                        "bilg_dept_codg": "A03",
                        "bilg_dept_name": "内科",
                    }
                )
                n += 1
        return lines
