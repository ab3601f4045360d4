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
from sim.report import _CSS, _e, _table, region_name
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
        span = f"from={_first(months[0]).isoformat()}&to={clock.today().isoformat()}"
        prepayment["history"] = await answer("GET", f"/prepayment/history?{span}")
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


# ------------------------------------------------------------------------------- the page

COLOURS = ("#1f5f99", "#d1603d", "#2ca58d", "#e3a33b", "#7f5fb0", "#4a98d3", "#84c9a0")


def svg_gauges(history: list[dict[str, Any]]) -> str:
    """Each province's usage of its quota per business day, with the 70 % and 90 % lines."""
    days = sorted({h["day"] for h in history})
    provinces = sorted({h["province"] for h in history})
    if not days:
        return '<p class="muted">no gauge readings</p>'
    width, height, left, bottom = 760, 280, 48, 24
    top = max([1.0, *(float(h["ratio"]) for h in history)]) * 1.05

    def x(day: str) -> float:
        return left + (width - left - 10) * days.index(day) / max(1, len(days) - 1)

    def y(ratio: float) -> float:
        return 10 + (height - bottom - 10) * (1 - ratio / top)

    parts = [f'<svg viewBox="0 0 {width} {height}" class="chart" role="img">']
    for level, colour in ((0.7, "#e3a33b"), (0.9, "#d1603d")):
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            f'stroke="{colour}" stroke-dasharray="4 3"/>'
            f'<text x="2" y="{y(level) + 4:.1f}" font-size="11">{level:.0%}</text>'
        )
    for n, province in enumerate(provinces):
        points = " ".join(
            f"{x(h['day']):.1f},{y(float(h['ratio'])):.1f}"
            for h in history
            if h["province"] == province
        )
        colour = COLOURS[n % len(COLOURS)]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{left + 8 + 120 * (n % 5)}" y="{height - 4 - 14 * (n // 5)}" '
            f'font-size="11" fill="{colour}">{_e(region_name(province))}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - bottom + 12}" font-size="10">{_e(days[0])}</text>'
        f'<text x="{width - 80}" y="{height - bottom + 12}" font-size="10">{_e(days[-1])}</text>'
    )
    return "".join(parts) + "</svg>"


def matrix_table(month: dict[str, Any]) -> str:
    """Who pays whom in the month: payer rows, payee columns, shaded by amount."""
    lines = month["lines"]
    payers = sorted({ln["payer"] for ln in lines})
    payees = sorted({ln["payee"] for ln in lines})
    cells: dict[tuple[str, str], Decimal] = {}
    for ln in lines:
        key = (ln["payer"], ln["payee"])
        cells[key] = cells.get(key, Decimal(0)) + Decimal(ln["amount"])
    top = max([Decimal(1), *(abs(v) for v in cells.values())])
    head = "".join(f"<th>{_e(region_name(p))}</th>" for p in payees)
    body = []
    for payer in payers:
        row = [f"<th>{_e(region_name(payer))}</th>"]
        for payee in payees:
            value = cells.get((payer, payee))
            shade = 0 if value is None else int(200 * abs(value) / top)
            colour = f"rgba(31,95,153,{shade / 255:.2f})"
            row.append(
                f'<td style="background:{colour}">{"" if value is None else _yuan(str(value))}</td>'
            )
        body.append("<tr>" + "".join(row) + "</tr>")
    return (
        f"<table><caption>clearing {_e(month['month'])}: payer (rows) → payee (columns), "
        f"yuan; {month['entries']} entries</caption><tr><th></th>{head}</tr>"
        + "".join(body)
        + "</table>"
    )


def render_html(books: dict[str, Any]) -> str:
    days = books["days"]
    breaks = Counter(b["category"] for d in days for b in d["breaks"])
    day_rows = [
        [d["day"], "balanced" if d["balanced"] else "breaks", len(d["breaks"]),
         sum(p["hub"]["count"] for p in d["pairs"])]
        for d in days
    ]  # fmt: skip
    events = [
        [_china_day(e["raised_at"]), region_name(e["province"]), e["level"],
         f"{Decimal(e['ratio']) * 100:.1f} %", "yes" if e["topup_requested"] else ""]
        for e in books["prepayment"]["events"]
    ]  # fmt: skip
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        f"<title>relay-sim books</title><style>{_CSS}</style></head><body>",
        "<h1>The hub's books</h1>",
        "<h2>Monthly clearing (who pays whom)</h2>",
        *(matrix_table(m) for m in books["clearing"]),
        *(
            _table(
                f"notices {m['month']} (net: + receives, − pays)",
                ["party", "net"],
                [[region_name(n["party"]), _yuan(n["net"])] for n in m["notices"]],
            )
            for m in books["clearing"]
        ),
        "<h2>Prepayment gauges over time</h2>",
        svg_gauges(books["prepayment"].get("history", [])),
        _table("warnings", ["day", "province", "level", "usage", "top-up"], events),
        "<h2>Daily three-way reconciliation</h2>",
        f"<p>{sum(1 for d in days if d['balanced'])} of {len(days)} days balanced"
        + (f"; breaks: {_e(dict(breaks))}" if breaks else "")
        + "</p>",
        _table("days", ["day", "result", "breaks", "settlements (hub)"], day_rows),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def main(hub_url: str, months: list[str], out: Path) -> int:
    books = asyncio.run(close(hub_url, months))
    print(render(books))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"books-{months[0]}-{months[-1]}.json"
    path.write_text(json.dumps(books, ensure_ascii=False, indent=1))
    page = path.with_suffix(".html")
    page.write_text(render_html(books), encoding="utf-8")
    print(f"\nbooks: {page.resolve()}\n       {path.resolve()}")
    unbalanced = [d["day"] for d in books["days"] if not d["balanced"]]
    return 1 if unbalanced else 0
