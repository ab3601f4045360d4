"""relay-sim supervise: the supervision side of the months a run covered (design §8), played by
the offices through the real admin APIs, every figure the services' own answers.

- **Monitoring**: the treating region analyses each month (indicators per institution and region
  pair, warnings raised once) and writes its analysis report (运行分析报告) as HTML.
- **Two-way benefits**: the hub's flags over the months.
- **Co-investigation**: the insured offices ask about the months' inpatient stays of 20,000
  yuan or more (the hub refuses those under their threshold, and says so); the batch is published
  on the 26th; the treating offices answer — every third one 核查有误 with a tenth of what the
  funds paid and a reason, the rest 核查无误 — and the insured offices confirm; the month of the
  answers is cleared, returning the deductions (第五十四条).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx

from shared import clock
from shared.months import first_day, month_of, next_month
from shared.operator_access import operator_headers
from sim.books import _until, _yuan
from sim.report import region_name
from sim.session import OPERATOR_PII_TOKEN
from sim.traffic import operator_token

MAX_REQUESTS = 12
"""Enough to show every path of a batch; a demo need not investigate every stay."""
CANDIDATE_TOTAL = Decimal("20000.00")
"""The lower of the two thresholds (第六十三条): the hub refuses cross-province stays under
30,000 itself."""


class Offices:
    """The three services' admin APIs, as the offices use them."""

    def __init__(self, http: httpx.AsyncClient, hub: str, treating: str, insured: str) -> None:
        self.http, self.hub, self.treating, self.insured = http, hub, treating, insured

    async def call(self, method: str, url: str, *, pii: bool = False, **kw: Any) -> Any:
        token = OPERATOR_PII_TOKEN if pii else operator_token()
        response = await self.http.request(method, url, headers=operator_headers(token), **kw)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return response.json()

    async def attempt(self, method: str, url: str, **kw: Any) -> tuple[int, Any]:
        response = await self.http.request(
            method, url, headers=operator_headers(operator_token()), **kw
        )
        return response.status_code, response.json()


async def _request_of(offices: Offices, entry: dict[str, Any]) -> dict[str, Any]:
    found = await offices.call(
        "GET", f"{offices.insured}/admin/persons/{entry['psn_no']}?unmasked=true", pii=True
    )
    person = found["baseinfo"]
    institution = await offices.call(
        "GET", f"{offices.treating}/institutions/{entry['fixmedins_code']}"
    )
    return {
        "insuplc_admdvs": entry["insuplc_admdvs"],
        "setl_id": entry["setl_id"],
        "certno": person["certno"],
        "psn_name": person["psn_name"],
        "gend": person["gend"],
        "fixmedins_name": institution["fixmedins_name"],
        "ipt_no": entry["mdtrt_id"],  # the stay's number as both sides know it
        "invono": "FP" + entry["setl_id"][-10:],
        "begndate": entry["day"],
        "enddate": entry["day"],
        "medfee_sumamt": entry["medfee_sumamt"],
        "memo": "模拟：费用较高，请协查",
    }


async def supervise(hub: str, treating: str, insured: str, months: list[str]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60, trust_env=False) as http:
        offices = Offices(http, hub, treating, insured)
        monitoring = [
            await offices.call("POST", f"{treating}/admin/monitoring/{m}") for m in months
        ]
        reports = {
            m: (
                await http.get(
                    f"{treating}/admin/monitoring/{m}/report",
                    headers=operator_headers(operator_token()),
                )
            ).text
            for m in months
        }
        span = f"from={first_day(months[0]).isoformat()}&to={clock.today().isoformat()}"
        two_way = await offices.call("GET", f"{hub}/supervision/two-way?{span}")

        candidates = [
            e
            for m in months
            for e in await offices.call("GET", f"{hub}/books?month={m}&limit=5000")
            if e["kind"] == "settlement" and e["infno"] == "2304" and e["route"]
            and Decimal(e["medfee_sumamt"]) >= CANDIDATE_TOTAL
        ]  # fmt: skip
        raised: list[dict[str, Any]] = []
        refusals: Counter[str] = Counter()
        for entry in candidates:
            if len(raised) == MAX_REQUESTS:
                break
            status, body = await offices.attempt(
                "POST", f"{hub}/coinvestigations", json=await _request_of(offices, entry)
            )
            if status == 200:
                raised.append(body)
            else:
                refusals[body["err_code"]] += 1
        answered: list[dict[str, Any]] = []
        batch: dict[str, Any] | None = None
        cleared: dict[str, Any] | None = None
        if raised:
            period = raised[0]["period"]
            batch = await offices.call("GET", f"{hub}/coinvestigation-batches/{period}")
            await _until(date.fromisoformat(batch["published_on"]))
            for _ in range(100):  # the keeper publishes a moment after 0:00 on the 26th
                batch = await offices.call("GET", f"{hub}/coinvestigation-batches/{period}")
                if batch["published_at"]:
                    break
                await asyncio.sleep(0.1)
            for n, request in enumerate(raised):
                wrong = n % 3 == 2
                fund = Decimal(request["fund_pay_sumamt"])
                cut = (fund / 10).quantize(Decimal("0.01"), ROUND_DOWN)
                answer = {"mdtrtarea_admvs": request["mdtrtarea_admvs"], "verdict": "1"}
                if wrong and cut > 0:
                    answer |= {"verdict": "2", "reason": "模拟：超标准收费", "deduct_amt": str(cut)}
                done = await offices.call(
                    "POST", f"{hub}/coinvestigations/{request['id']}/answer", json=answer
                )
                await offices.call(
                    "POST", f"{hub}/coinvestigations/{request['id']}/confirmation",
                    json={"insuplc_admdvs": request["insuplc_admdvs"], "agree": True},
                )  # fmt: skip
                answered.append(done)
            batch = await offices.call("GET", f"{hub}/coinvestigation-batches/{period}")
            month = month_of(clock.today())
            await _until(first_day(next_month(month)))
            cleared = await offices.call("POST", f"{hub}/clearing/{month}")
    return {
        "monitoring": monitoring,
        "reports": reports,
        "two_way": two_way,
        "candidates": len(candidates),
        "refusals": dict(refusals),
        "requests": raised,
        "answers": answered,
        "batch": batch,
        "clearing": cleared,
    }


def render(found: dict[str, Any]) -> str:
    out = ["\nsupervision"]
    for report in found["monitoring"]:
        institutions = [r for r in report["rows"] if r["scope"] == "institution"]
        out.append(
            f"  monitoring {report['month']}: {len(institutions)} institutions, "
            f"{sum(r['month']['visits'] for r in institutions)} visits; "
            f"{len(report['warnings'])} warnings"
        )
        for w in report["warnings"][:8]:
            out.append(f"    {w['subject']}: {w['message']}")
        if len(report["warnings"]) > 8:
            out.append(f"    … and {len(report['warnings']) - 8} more (see the report)")
    flags = found["two_way"]["flags"]
    out.append(f"  two-way benefits: {len(flags)} persons flagged for review")
    out.append(
        f"  co-investigation: {found['candidates']} inpatient stays of 20,000 or more; "
        f"{len(found['requests'])} requested"
        + (f"; refused: {found['refusals']}" if found["refusals"] else "")
    )
    batch = found["batch"]
    if batch:
        out.append(
            f"    batch {batch['period']} ({batch['begins']} – {batch['ends']}), published "
            f"{batch['published_on']}: {batch['requests']} requests, {batch['correct']} 核查无误, "
            f"{batch['wrong']} 核查有误, {_yuan(batch['deducted'])} yuan deducted, "
            f"{batch['confirmed']} confirmed"
        )
    cleared = found["clearing"]
    if cleared:
        out.append(f"    clearing {cleared['month']} returns the deductions:")
        for line in cleared["lines"]:
            out.append(
                f"      {line['mark'] or ' '} {region_name(line['payer'])} → "
                f"{region_name(line['payee'])}: {line['entries']} entries "
                f"{_yuan(line['amount'])}"
            )
    return "\n".join(out)


def main(hub: str, treating: str, insured: str, months: list[str], out: Path) -> int:
    found = asyncio.run(supervise(hub, treating, insured, months))
    print(render(found))
    out.mkdir(parents=True, exist_ok=True)
    reports = found.pop("reports")
    path = out / f"supervision-{months[0]}-{months[-1]}.json"
    path.write_text(json.dumps(found, ensure_ascii=False, indent=1))
    for month, page in reports.items():
        (out / f"monitoring-{month}.html").write_text(page, encoding="utf-8")
    print(f"\nsupervision: {path.resolve()}")
    for month in reports:
        print(f"             {(out / f'monitoring-{month}.html').resolve()}")
    return 0
