"""A simulated hospital information system: the national envelope, sent to the gateway."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

GATEWAY = "/fsi/api/rsfComIfsService/callService"
ALL_CATEGORIES = tuple(f"{c:02d}" for c in range(1, 15))
_SEQ = itertools.count(random.randrange(10000))


class HisError(Exception):
    """The gateway answered infcode -1 where the script expected success."""

    def __init__(self, infno: str, answer: dict[str, Any]) -> None:
        self.infno = infno
        self.err_code = str(answer.get("err_code"))
        super().__init__(f"{infno}: {answer.get('err_code')} {answer.get('err_msg')}")


@dataclass
class His:
    http: httpx.Client
    treating_url: str
    fixmedins_code: str
    admdvs: str
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    _items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def msgid(self) -> str:
        return f"{self.fixmedins_code}{datetime.now():%Y%m%d%H%M%S}{next(_SEQ) % 10000:04d}"

    def call(self, infno: str, insured: str, body: dict[str, Any]) -> dict[str, Any]:
        envelope = {
            "infno": infno,
            "msgid": self.msgid(),
            "mdtrtarea_admvs": self.admdvs,
            "insuplc_admdvs": insured,
            "recer_sys_code": "FSI",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.fixmedins_code,
            "input": body,
        }
        answer: dict[str, Any] = self.http.post(
            f"{self.treating_url}{GATEWAY}", json=envelope
        ).json()
        return answer

    def ok(self, infno: str, insured: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.call(infno, insured, body)
        if answer.get("infcode") != 0:
            raise HisError(infno, answer)
        output: dict[str, Any] = answer["output"]
        return output

    def items(self, category: str) -> list[dict[str, Any]]:
        if category not in self._items:
            self._items[category] = self.http.get(
                f"{self.treating_url}/catalogue/{self.admdvs}/items",
                params={"med_chrgitm_type": category, "limit": 200},
            ).json()
        return self._items[category]

    def lines(
        self, mdtrt_id: str, psn_no: str, count: int, categories: tuple[str, ...] = ALL_CATEGORIES
    ) -> list[dict[str, Any]]:
        """``count`` lines, every listed category at least once, at reference prices."""
        lines = []
        for n in range(count):
            category = categories[n] if n < len(categories) else self.rng.choice(categories)
            item = self.rng.choice(self.items(category))
            pric = Decimal(item["ref_price"] or "1.00")
            cnt = Decimal(self.rng.choice((1, 1, 1, 2, 3, 5, 10)))
            lines.append(
                {
                    "feedetl_sn": f"{n + 1:06d}",
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "fee_ocur_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                    "med_list_codg": item["med_list_codg"],
                    "medins_list_codg": f"HIS{n + 1:05d}",
                    "pric": str(pric),
                    "cnt": str(cnt),
                    "det_item_fee_sumamt": str(
                        (pric * cnt).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    ),
                }
            )
        return lines


def person_body(
    psn_no: str,
    admdvs: str,
    certno: str,
    name: str,
    *,
    insutype: str = "310",
    psn_type: str = "11",
    balc: str = "800.00",
) -> dict[str, Any]:
    return {
        "psn_no": psn_no,
        "insuplc_admdvs": admdvs,
        "certno": certno,
        "psn_name": name,
        "gend": "1",
        "brdy": "1968-05-12",
        "insurances": [
            {
                "insutype": insutype,
                "psn_type": psn_type,
                "psn_insu_date": "2005-01-01",
                "balc": balc,
            }
        ],
    }


def total_of(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(x["det_item_fee_sumamt"]) for x in lines), Decimal(0))


def settle_body(
    psn_no: str, mdtrt_id: str, total: Decimal, insutype: str, acct_used: bool
) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": psn_no,
            "mdtrt_id": mdtrt_id,
            "medfee_sumamt": str(total),
            "insutype": insutype,
            "acct_used_flag": "1" if acct_used else "0",
        }
    }


def today_str(day: date) -> str:
    return f"{day:%Y-%m-%d}"
