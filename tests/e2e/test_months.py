"""Months closing on a fast business clock (design §8): a stack of its own whose clock runs a
simulated day per real second from 1 January, so that January and February close in about a
minute. A province's prepayment is pushed past 70 % and 90 % (a yellow warning, then a red one
with an emergency top-up request), January is cleared and confirmed (the usage released), and a
January settlement cancelled in February goes into February's clearing marked ``*``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from shared.clock import CHINA_TZ, BusinessClock
from tests.e2e.harness import (
    EXTERNAL,
    LOG_DIR,
    OPERATOR,
    ROOT,
    Stack,
    enrol,
    file,
    start_local_stack,
)
from tests.e2e.hospital import Hospital
from tests.e2e.test_hospital_flow import settle_body

pytestmark = pytest.mark.e2e

D = Decimal
INSURED, TREATING, PROVINCE = "650100", "110000", "650000"
FIRST_PORT = 18051
AMQP_URL = "amqp://relay:relay@127.0.0.1:5672/relay_months"
BUSINESS = BusinessClock(datetime(2026, 1, 1, 8, tzinfo=CHINA_TZ), 86400.0)
"""A simulated day per real second, from 1 January 2026."""


@pytest.fixture(scope="module")
def months() -> Iterator[tuple[Stack, BusinessClock]]:
    if EXTERNAL:
        pytest.skip("starts a stack of its own on a business clock, not the deployment's")
    business = BusinessClock(BUSINESS.start, BUSINESS.speed, datetime.now(UTC))
    stack = start_local_stack(
        amqp_url=AMQP_URL,
        suffix="_months",
        first_port=FIRST_PORT,
        log_dir=LOG_DIR / "months",
        business_clock=business,
        hub={"BOOKS_INTERVAL_S": "0.2"},
    )
    try:
        yield stack, business
    finally:
        stack.stop()


async def until(business: BusinessClock, day: date) -> None:
    """Sleep until the business clock reaches ``day``."""
    await asyncio.sleep(business.seconds_until(day) + 0.05)
    assert business.today() >= day, business.today()


def bill_of_about(total: Decimal, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines with their counts raised until the bill is about ``total``: past the
    outpatient deductible, so the funds pay a share."""
    now = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
    factor = max(1, int(total / now) + 1)
    return [
        {
            **x,
            "cnt": str(D(x["cnt"]) * factor),
            "det_item_fee_sumamt": str(
                (D(x["pric"]) * D(x["cnt"]) * factor).quantize(D("0.01"), ROUND_HALF_UP)
            ),
        }
        for x in lines
    ]


async def settle(
    clinic: Hospital, business: BusinessClock, person: dict[str, Any], lines: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """Registered today (the business day), its lines uploaded, settled: (mdtrt_id, setlinfo)."""
    registered = await clinic.ok(
        "2201",
        INSURED,
        {
            "data": {
                "psn_no": person["psn_no"],
                "insutype": "310",
                "begntime": business.today().isoformat(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person["certno"],
                "med_type": "11",
                "ipt_otp_no": "MZMONTH",
            }
        },
    )
    mdtrt_id = str(registered["data"]["mdtrt_id"])
    mine = [{**line, "mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]} for line in lines]
    await clinic.ok("2204", INSURED, {"feedetail": mine})
    total = sum((D(x["det_item_fee_sumamt"]) for x in mine), D(0))
    settled = await clinic.ok("2207", INSURED, settle_body(person, mdtrt_id, total))
    return mdtrt_id, settled["setlinfo"]


async def hub(http: httpx.AsyncClient, stack: Stack, method: str, path: str, **kw: Any) -> Any:
    response = await http.request(method, f"{stack.hub_url}{path}", headers=OPERATOR, **kw)
    assert response.status_code == 200, response.text
    return response.json()


async def events_until(
    http: httpx.AsyncClient, stack: Stack, level: str, wait_s: float = 10.0
) -> list[dict[str, Any]]:
    """The province's prepayment events, once its last one is at ``level``."""
    deadline = time.monotonic() + wait_s
    while True:
        found = await hub(http, stack, "GET", "/prepayment")
        mine = [e for e in found["events"] if e["province"] == PROVINCE]
        if (mine and mine[-1]["level"] == level) or time.monotonic() > deadline:
            return mine
        await asyncio.sleep(0.1)


def moved(info: dict[str, Any]) -> Decimal:
    """What clearing moves for a settlement: the funds and the personal account."""
    return D(info["fund_pay_sumamt"]) + D(info["acct_pay"])


async def test_two_months_close_with_warnings_confirmations_and_a_marked_return(
    ahttp: httpx.AsyncClient, months: tuple[Stack, BusinessClock]
) -> None:
    stack, business = months
    clinic = Hospital(ahttp, stack, "H11000000001", TREATING)
    people = []
    for _ in range(2):
        person = await enrol(ahttp, stack, INSURED, balc="0.00")
        await file(ahttp, stack, person["psn_no"], category="12", dest_admdvs=TREATING,
                   begndate="2025-12-01")  # fmt: skip
        people.append(person)
    lines = bill_of_about(
        D("3000"), await clinic.lines("M", "P", per_category=3, categories=("04", "09"))
    )
    assert business.today().month == 1, "the stack took a month to start"

    # January: one settlement takes three quarters of the quota the office sets, the next
    # (the same bill for another person) pushes it past 90 %
    first_visit, first = await settle(clinic, business, people[0], lines)
    amount = moved(first)
    assert amount > 0, first
    quota = (amount / D("0.75")).quantize(D("0.01"), ROUND_HALF_UP)
    await hub(ahttp, stack, "PUT", f"/prepayment/{PROVINCE}", json={"quota": str(quota)})
    yellow = await events_until(ahttp, stack, "yellow")
    assert [(e["level"], e["topup_requested"]) for e in yellow] == [("yellow", False)]
    assert D("0.70") <= D(yellow[0]["ratio"]) < D("0.90")

    _, second = await settle(clinic, business, people[1], lines)
    assert moved(second) == amount  # the same bill, the same policy, fresh accumulators
    red = await events_until(ahttp, stack, "red")
    assert [(e["level"], e["topup_requested"]) for e in red] == [
        ("yellow", False),
        ("red", True),
    ]
    gauge = next(
        g for g in (await hub(ahttp, stack, "GET", "/prepayment"))["gauges"]
        if g["province"] == PROVINCE
    )  # fmt: skip
    assert (D(gauge["usage"]), gauge["level"]) == (2 * amount, "red")

    # a month is cleared once it is over, and not before
    early = await ahttp.post(f"{stack.hub_url}/clearing/202601", headers=OPERATOR)
    assert (early.status_code, early.json()["err_code"]) == (409, "E6003")
    await until(business, date(2026, 2, 1))
    january = await hub(ahttp, stack, "POST", "/clearing/202601")
    assert [
        (ln["payer"], ln["payee"], ln["route"], ln["mark"], ln["entries"], D(ln["amount"]))
        for ln in january["lines"]
    ] == [(PROVINCE, TREATING, "cross", "", 2, 2 * amount)]
    assert await hub(ahttp, stack, "POST", "/clearing/202601") == january  # once, the same
    nets = {n["party"]: D(n["net"]) for n in january["notices"]}
    assert nets == {PROVINCE: -2 * amount, TREATING: 2 * amount}

    # each side confirms its lines; a repeat answers the first; a stranger is refused
    treating_ok = await hub(
        ahttp, stack, "POST", "/clearing/202601/confirmations",
        json={"party": TREATING, "side": "treating"},
    )  # fmt: skip
    again = await hub(
        ahttp, stack, "POST", "/clearing/202601/confirmations",
        json={"party": TREATING, "side": "treating"},
    )  # fmt: skip
    assert (again["confirmed_at"], again["repeated"]) == (treating_ok["confirmed_at"], True)
    insured_ok = await hub(
        ahttp, stack, "POST", "/clearing/202601/confirmations",
        json={"party": PROVINCE, "side": "insured"},
    )  # fmt: skip
    assert D(insured_ok["amount"]) == 2 * amount
    stranger = await ahttp.post(
        f"{stack.hub_url}/clearing/202601/confirmations",
        json={"party": "120000", "side": "insured"},
        headers=OPERATOR,
    )
    assert (stranger.status_code, stranger.json()["err_code"]) == (409, "E6005")

    # the hospital reads its rows of January's clearing (3260) and confirms them (3261)
    rows = await clinic.ok("3260", INSURED, {"data": {"clr_ym": "2026-01"}})
    assert (rows["clrinfo"]["fixmedins_setl_cnt"], D(rows["clrinfo"]["clr_sumamt"])) == (
        2, 2 * amount,
    )  # fmt: skip
    assert sorted(r["setl_id"] for r in rows["clrdetail"]) == sorted(
        [first["setl_id"], second["setl_id"]]
    )
    wrong = await clinic.call(
        "3261", INSURED,
        {"data": {"clr_ym": "202601", "fixmedins_setl_cnt": 2, "clr_sumamt": str(amount)}},
    )  # fmt: skip
    assert wrong["err_code"] == "E6008", wrong
    assert f"清算明细为 2 笔、{2 * amount} 元" in wrong["err_msg"]
    confirmed = await clinic.ok(
        "3261", INSURED,
        {"data": {"clr_ym": "202601", "fixmedins_setl_cnt": 2, "clr_sumamt": str(2 * amount)}},
    )  # fmt: skip
    assert confirmed["clrinfo"]["cnfm_time"]
    again = await clinic.ok("3260", INSURED, {"data": {"clr_ym": 202601}})
    assert again["clrinfo"]["cnfm_time"] == confirmed["clrinfo"]["cnfm_time"]
    unready = await clinic.call("3260", INSURED, {"data": {"clr_ym": "202603"}})
    assert unready["err_code"] == "E6004", unready

    # clearing released the usage: the gauge is back to normal, and says so
    released = await events_until(ahttp, stack, "normal")
    assert [e["level"] for e in released] == ["yellow", "red", "normal"]
    # and the insured region received each warning, as the platform sent it (the outbox)
    told: list[dict[str, Any]] = []
    for _ in range(100):
        response = await ahttp.get(
            f"{stack.insured_url}/admin/notices", params={"admdvs": INSURED}, headers=OPERATOR
        )
        assert response.status_code == 200, response.text
        told = response.json()
        if len(told) >= 3:
            break
        await asyncio.sleep(0.1)
    assert [
        (
            n["infno"],
            n["payload"]["prepayment"]["level"],
            n["payload"]["prepayment"]["topup_requested"],
        )
        for n in told
    ] == [("PREPAY", "yellow", False), ("PREPAY", "red", True), ("PREPAY", "normal", False)]

    # February: the first January settlement is cancelled (a return after clearing)
    cancelled = await clinic.ok(
        "2208",
        INSURED,
        {"data": {"psn_no": people[0]["psn_no"], "mdtrt_id": first_visit,
                  "setl_id": first["setl_id"]}},
    )  # fmt: skip
    assert cancelled["setlinfo"]["refd_setl_flag"] == "1"
    await until(business, date(2026, 3, 1))
    february = await hub(ahttp, stack, "POST", "/clearing/202602")
    assert [
        (ln["payer"], ln["payee"], ln["mark"], ln["entries"], D(ln["amount"]))
        for ln in february["lines"]
    ] == [(PROVINCE, TREATING, "*", 1, -amount)]
    # on the notices the return runs the other way: the treating province pays it back, and
    # the insured province is marked * beside it (第五十条)
    notices = {n["party"]: n for n in february["notices"]}
    assert [(ln["payee"], ln["mark"], D(ln["amount"])) for ln in notices[TREATING]["pays"]] == [
        (PROVINCE, "*", amount)
    ]
    csv_text = (
        await ahttp.get(
            f"{stack.hub_url}/clearing/202602", params={"format": "csv"}, headers=OPERATOR
        )
    ).text
    assert csv_text.splitlines()[0].startswith("payer,payee,route,marked,mark")
    assert f"{PROVINCE},{TREATING},cross,True,*,1," in csv_text

    overview = await hub(ahttp, stack, "GET", "/clearing")
    assert [m["month"] for m in overview["cleared"]] == ["202601", "202602"]
    assert overview["uncleared_months"] == []

    # the day of the first settlement reconciles on all three sides
    day = first["setl_time"]
    on = datetime.fromisoformat(day).astimezone(CHINA_TZ).date().isoformat()
    report = await hub(ahttp, stack, "GET", f"/reconciliation/{on}")
    assert report["balanced"], report["breaks"]
    assert sum(p["hub"]["count"] for p in report["pairs"]) >= 1
    # the same from the command line, as an operator runs it (exit 0: balanced)
    command = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.national_hub", "reconcile", on],
        env=stack.env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert command.returncode == 0, command.stderr
    assert json.loads(command.stdout) == report
