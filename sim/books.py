"""relay-sim books: close the months a run covered and show what the hub's books say (design §8).

Waits for the business clock to pass the last month, has the hub generate each month's clearing
(in order; a month the hub already generated answers the same), reads the prepayment gauges and
their warnings, and reconciles every day of the months up to today. Prints the clearing matrix
(who pays whom), the gauges and the reconciliation; writes the figures as JSON beside the run
reports. Every figure is the hub's answer, counted here, nothing computed on the side.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from shared import clock
from shared.operator_access import operator_headers
from sim.report import region_name
from sim.traffic import operator_token


def _first(month: str) -> date:
    return date(int(month[:4]), int(month[4:]), 1)


def _after(month: str) -> date:
    return (_first(month) + timedelta(days=31)).replace(day=1)


async def _until(day: date) -> None:
    wait = clock.current().seconds_until(day)
    if wait > 0:
        print(f"waiting {wait:.0f} s for the business clock to reach {day}")
        await asyncio.sleep(wait + 0.05)


async def close(hub_url: str, months: list[str]) -> dict[str, Any]:
    """The hub's clearing of ``months``, its gauges, and each day's reconciliation."""
    await _until(_after(months[-1]))
    headers = operator_headers(operator_token())
    async with httpx.AsyncClient(timeout=60, trust_env=False, headers=headers) as http:

        async def answer(method: str, path: str) -> Any:
            response = await http.request(method, f"{hub_url}{path}")
            if response.status_code != 200:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            return response.json()

        cleared = [await answer("POST", f"/clearing/{m}") for m in months]
        prepayment = await answer("GET", "/prepayment")
        overview = await answer("GET", "/clearing")
        days = []
        day, today = _first(months[0]), clock.today()
        while day < min(_after(months[-1]), today + timedelta(days=1)):
            days.append(await answer("GET", f"/reconciliation/{day.isoformat()}"))
            day += timedelta(days=1)
    return {"clearing": cleared, "prepayment": prepayment, "overview": overview, "days": days}


def _china_day(moment: str) -> date:
    return datetime.fromisoformat(moment).astimezone(clock.CHINA_TZ).date()


def _yuan(text: str) -> str:
    return f"{Decimal(text):,.2f}"


def render(books: dict[str, Any]) -> str:
    out = []
    for month in books["clearing"]:
        out.append(
            f"\nclearing {month['month']}: {month['entries']} entries, "
            f"{_yuan(month['total'])} yuan moved (funds + personal accounts)"
        )
        for line in month["lines"]:
            out.append(
                f"  {line['mark'] or ' '} {region_name(line['payer'])} → "
                f"{region_name(line['payee'])} ({line['route']}): {line['entries']:>4} entries "
                f"{_yuan(line['amount']):>14}"
            )
        out.append("  notices (net; + receives, − pays):")
        for notice in month["notices"]:
            out.append(f"    {region_name(notice['party'])}: {_yuan(notice['net']):>14}")
    out.append("\nprepayment (insured provinces: uncleared usage of the quota now):")
    for gauge in books["prepayment"]["gauges"]:
        out.append(
            f"  {region_name(gauge['province'])}: {Decimal(gauge['ratio']) * 100:6.1f} % "
            f"of {_yuan(gauge['quota'])} — {gauge['level']}"
        )
    events = books["prepayment"]["events"]
    out.append(f"  warnings over the months ({len(events)}):")
    for e in events:
        topup = ", emergency top-up requested" if e["topup_requested"] else ""
        out.append(
            f"    {_china_day(e['raised_at'])} {region_name(e['province'])}: {e['level']} at "
            f"{Decimal(e['ratio']) * 100:.1f} %{topup}"
        )
    balanced = sum(1 for d in books["days"] if d["balanced"])
    breaks = Counter(b["category"] for d in books["days"] for b in d["breaks"])
    out.append(
        f"\ndaily reconciliation: {balanced} of {len(books['days'])} days balanced on all "
        "three ledgers" + (f"; breaks: {dict(breaks)}" if breaks else "")
    )
    for warning in books["overview"]["warnings"]:
        out.append(f"  clearing warning: {warning}")
    return "\n".join(out)


def main(hub_url: str, months: list[str], out: Path) -> int:
    books = asyncio.run(close(hub_url, months))
    print(render(books))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"books-{months[0]}-{months[-1]}.json"
    path.write_text(json.dumps(books, ensure_ascii=False, indent=1))
    print(f"\nbooks: {path.resolve()}")
    unbalanced = [d["day"] for d in books["days"] if not d["balanced"]]
    return 1 if unbalanced else 0
