"""Supervision on a fast business clock (design §8): co-investigation (协查, seed 003 第六十三条)
from the thresholds' edges to the batch published on the 26th, answers and confirmations, an
intra-region request left unanswered closed as 核查无误, the amount found 有误 and an audit
deduction returned through the next clearing (第五十四条), and a person flagged for two-way
benefits. A stack of its own whose clock runs a simulated day per real second from 19 January.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.clock import CHINA_TZ, BusinessClock
from tests.e2e.harness import EXTERNAL, LOG_DIR, OPERATOR, Stack, enrol, file, start_local_stack
from tests.e2e.hospital import Hospital
from tests.e2e.test_books import booked
from tests.e2e.test_hospital_flow import settle_body
from tests.e2e.test_months import bill_of_about, settle, until

pytestmark = pytest.mark.e2e

D = Decimal
FIRST_PORT = 18061
AMQP_URL = "amqp://relay:relay@127.0.0.1:5672/relay_supervision"
START = datetime(2025, 12, 28, 8, tzinfo=CHINA_TZ)
"""A simulated day per real second from 28 December 2025 (the stack takes some to start): the
batch of 26 December – 25 January is published about half a minute in, February is over about
a minute in."""
THRESHOLDS = LOG_DIR / "supervision" / "monitoring.json"
"""The treating region's monitoring thresholds: two visits a month are enough to judge."""


@pytest.fixture(scope="module")
def supervised() -> Iterator[tuple[Stack, BusinessClock]]:
    if EXTERNAL:
        pytest.skip("starts a stack of its own on a business clock, not the deployment's")
    business = BusinessClock(START, 86400.0, datetime.now(UTC))
    (LOG_DIR / "supervision").mkdir(parents=True, exist_ok=True)
    THRESHOLDS.write_text(json.dumps({"min_visits": 2}), encoding="utf-8")
    stack = start_local_stack(
        amqp_url=AMQP_URL,
        suffix="_supervision",
        first_port=FIRST_PORT,
        log_dir=LOG_DIR / "supervision",
        business_clock=business,
        hub={"BOOKS_INTERVAL_S": "0.2"},
        treating={"MONITORING_THRESHOLDS_FILE": str(THRESHOLDS)},
    )
    try:
        yield stack, business
    finally:
        stack.stop()


async def filed(http: httpx.AsyncClient, stack: Stack, insured: str, dest: str) -> dict[str, Any]:
    person = await enrol(http, stack, insured)
    await file(http, stack, person["psn_no"], category="12", dest_admdvs=dest,
               begndate="2025-12-01")  # fmt: skip
    return person


async def lines_of(clinic: Hospital, mdtrt_id: str, psn_no: str, total: Decimal) -> list[Any]:
    """Two lines that come to ``total`` exactly: a class-A treatment as many times as fits, and
    the remainder as one more line."""
    response = await clinic.http.get(
        f"{clinic.stack.treating_url}/catalogue/{clinic.admdvs}/items",
        params={"med_chrgitm_type": "05", "limit": 50},
    )
    items = [i for i in response.json() if i["chrgitm_lv"] == "01" and i.get("ref_price")]
    first, other = items[0], items[1]
    pric = D(first["ref_price"])
    cnt = int((total - D("0.01")) / pric)
    rest = total - pric * cnt
    now = f"{datetime.now(UTC).astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}"
    return [
        {"feedetl_sn": f"{n:06d}", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "fee_ocur_time": now,
         "med_list_codg": item["med_list_codg"], "medins_list_codg": f"HIS{n:05d}",
         "pric": str(p), "cnt": str(c), "det_item_fee_sumamt": str(p * c),
         "bilg_dept_codg": "A03", "bilg_dept_name": "内科"}
        for n, (item, p, c) in enumerate(((first, pric, cnt), (other, rest, 1)), 1)
    ]  # fmt: skip


async def stay(
    clinic: Hospital, business: BusinessClock, person: dict[str, Any], total: Decimal
) -> dict[str, Any]:
    """An inpatient stay of exactly ``total``, admitted, discharged and settled (2304)."""
    insured = person["insuplc_admdvs"]
    admitted = await clinic.ok(
        "2401",
        insured,
        {
            "mdtrtinfo": {
                "psn_no": person["psn_no"],
                "insutype": "310",
                "begntime": f"{business.now():%Y-%m-%d %H:%M:%S}",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person["certno"],
                "med_type": "21",
                "ipt_no": "ZY" + person["psn_no"][-8:],
            },
            "diseinfo": [{"diag_type": "1", "diag_code": "I21.9", "diag_name": "急性心肌梗死"}],
        },
    )
    mdtrt_id = admitted["result"]["mdtrt_id"]
    lines = await lines_of(clinic, mdtrt_id, person["psn_no"], total)
    for line in lines:
        line["fee_ocur_time"] = f"{business.now():%Y-%m-%d %H:%M:%S}"
    await clinic.ok("2301", insured, {"feedetail": lines})
    await clinic.ok(
        "2402",
        insured,
        {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"],
                      "endtime": f"{business.now():%Y-%m-%d %H:%M:%S}"}},
    )  # fmt: skip
    settled = await clinic.ok("2304", insured, settle_body(person, mdtrt_id, total))
    info: dict[str, Any] = settled["setlinfo"]
    assert D(info["medfee_sumamt"]) == total
    await booked(clinic.http, clinic.stack, setl_id=info["setl_id"])
    return info


def request_of(person: dict[str, Any], info: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "insuplc_admdvs": person["insuplc_admdvs"],
        "setl_id": info["setl_id"],
        "certno": person["certno"],
        "psn_name": person["psn_name"],
        "gend": person["gend"],
        "fixmedins_name": "住院医院",
        "ipt_no": "ZY" + person["psn_no"][-8:],
        "invono": "FP" + info["setl_id"][-8:],
        "begndate": info["setl_time"][:10],
        "enddate": info["setl_time"][:10],
        "medfee_sumamt": info["medfee_sumamt"],
        **over,
    }


async def call(
    http: httpx.AsyncClient, stack: Stack, method: str, path: str, **kw: Any
) -> tuple[int, Any]:
    response = await http.request(method, f"{stack.hub_url}{path}", headers=OPERATOR, **kw)
    return response.status_code, response.json()


async def ok(http: httpx.AsyncClient, stack: Stack, method: str, path: str, **kw: Any) -> Any:
    status, body = await call(http, stack, method, path, **kw)
    assert status == 200, body
    return body


async def refused(
    http: httpx.AsyncClient, stack: Stack, method: str, path: str, **kw: Any
) -> tuple[str, str]:
    status, body = await call(http, stack, method, path, **kw)
    assert status in (404, 409, 422), body
    return body["err_code"], body["err_msg"]


async def eventually(
    http: httpx.AsyncClient, stack: Stack, path: str, key: str, want: Any = None
) -> Any:
    """The hub's answer at ``path`` once its ``key`` is ``want`` (or set, when ``want`` is None):
    the keeper acts a moment after the business clock passes a deadline."""
    for _ in range(100):
        found = await ok(http, stack, "GET", path)
        if (found[key] is not None) if want is None else (found[key] == want):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path}: {key} = {found[key]!r}, not {want!r}")


def cancel_of(person: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": person["psn_no"],
            "mdtrt_id": info["mdtrt_id"],
            "setl_id": info["setl_id"],
        }
    }


def moved(info: dict[str, Any]) -> Decimal:
    """What clearing moves for a settlement: the funds and the personal account."""
    return D(info["fund_pay_sumamt"]) + D(info["acct_pay"])


def lines_between(statement: dict[str, Any], payer: str, payee: str) -> list[tuple[str, Decimal]]:
    return sorted(
        (ln["mark"], D(ln["amount"]))
        for ln in statement["lines"]
        if (ln["payer"], ln["payee"]) == (payer, payee)
    )


async def test_co_investigation_from_request_to_the_next_clearing(
    ahttp: httpx.AsyncClient, supervised: tuple[Stack, BusinessClock]
) -> None:
    stack, business = supervised
    cross = Hospital(ahttp, stack, "H11000000001", "110000")
    intra = Hospital(ahttp, stack, "H15078100001", "150781")
    people = [await filed(ahttp, stack, "650100", "110000") for _ in range(2)]
    locals_ = [await filed(ahttp, stack, "150200", "150781") for _ in range(2)]

    # the thresholds at their edges (第六十三条): 3 万 across provinces, 2 万 within the region
    below_x = await stay(cross, business, people[0], D("29999.99"))
    at_x = await stay(cross, business, people[1], D("30000.00"))
    below_i = await stay(intra, business, locals_[0], D("19999.99"))
    at_i = await stay(intra, business, locals_[1], D("20000.00"))
    for person, info, limit in (
        (people[0], below_x, "30,000.00"),
        (locals_[0], below_i, "20,000.00"),
    ):
        code, message = await refused(
            ahttp, stack, "POST", "/coinvestigations", json=request_of(person, info)
        )
        assert code == "E6010"
        assert limit in message
    raised_on = business.today()
    cross_request = await ok(
        ahttp, stack, "POST", "/coinvestigations", json=request_of(people[1], at_x)
    )
    assert (cross_request["state"], cross_request["route"]) == ("pending", "cross")
    assert cross_request["period"] == "202601"
    assert cross_request["request"]["certno"] != people[1]["certno"]  # masked to operators
    again = await ok(ahttp, stack, "POST", "/coinvestigations", json=request_of(people[1], at_x))
    assert again["id"] == cross_request["id"]  # the same request, answered the same

    # an incomplete request is returned to be completed, and completed
    incomplete = await ok(
        ahttp, stack, "POST", "/coinvestigations", json=request_of(locals_[1], at_i, invono="")
    )
    assert incomplete["state"] == "incomplete"
    assert any("invono" in p for p in incomplete["problems"])
    intra_request = await ok(
        ahttp, stack, "PUT", f"/coinvestigations/{incomplete['id']}",
        json=request_of(locals_[1], at_i),
    )  # fmt: skip
    assert intra_request["state"] == "pending"

    # not answered before its batch is published at 0:00 on the 26th
    answer_path = f"/coinvestigations/{cross_request['id']}/answer"
    assert business.today() < date(2026, 1, 25), "the stays took too long for this clock"
    code, _ = await refused(
        ahttp, stack, "POST", answer_path, json={"mdtrtarea_admvs": "110000", "verdict": "1"}
    )
    assert code == "E6013"
    assert raised_on < date(2026, 1, 26)
    await until(business, date(2026, 1, 26))
    batch = await eventually(ahttp, stack, "/coinvestigation-batches/202601", "published_at")
    assert batch["requests"] == 2
    assert (batch["begins"], batch["ends"]) == ("2025-12-26", "2026-01-25")

    # January is cleared with both stays in it
    await until(business, date(2026, 2, 1))
    january = await ok(ahttp, stack, "POST", "/clearing/202601")
    cross_moved = D(at_x["fund_pay_sumamt"]) + D(at_x["acct_pay"])
    assert ("", cross_moved + D(below_x["fund_pay_sumamt"]) + D(below_x["acct_pay"])) in (
        lines_between(january, "650000", "110000")
    )

    # an extension moves the deadline a period on, once however often it is asked
    extension = f"/coinvestigations/{cross_request['id']}/extension"
    for _ in range(2):
        extended = await ok(ahttp, stack, "POST", extension, json={"mdtrtarea_admvs": "110000"})
        assert (extended["extensions"], extended["answer_due"]) == (1, "2026-03-26")

    # 核查有误 needs a reason; with one, the amount is deducted
    no_reason = {"mdtrtarea_admvs": "110000", "verdict": "2", "deduct_amt": "1000.00"}
    code, message = await refused(ahttp, stack, "POST", answer_path, json=no_reason)
    assert code == "E6012", message
    assert "原因" in message
    answered = await ok(
        ahttp, stack, "POST", answer_path, json={**no_reason, "reason": "串换诊疗项目"}
    )
    assert (answered["verdict"], answered["closed_by"], D(answered["deduct_amt"])) == (
        "2", "treating", D("1000.00"),
    )  # fmt: skip
    repeat = await ok(
        ahttp, stack, "POST", answer_path, json={**no_reason, "reason": "串换诊疗项目"}
    )
    assert repeat["answered_on"] == answered["answered_on"]
    code, _ = await refused(
        ahttp, stack, "POST", answer_path, json={"mdtrtarea_admvs": "110000", "verdict": "1"}
    )
    assert code == "E6012"  # an answer given is not changed
    confirmed = await ok(
        ahttp, stack, "POST", f"/coinvestigations/{cross_request['id']}/confirmation",
        json={"insuplc_admdvs": "650100", "agree": True},
    )  # fmt: skip
    assert confirmed["state"] == "confirmed"

    # an audit deduction agreed on the cleared stay (第四十六条), and one disputed then upheld
    audit = await ok(
        ahttp, stack, "POST", "/deductions",
        json={"mdtrtarea_admvs": "110000", "setl_id": below_x["setl_id"], "amount": "200.00",
              "reason": "超标准收费"},
    )  # fmt: skip
    assert audit["state"] == "agreed"
    disputed = await ok(
        ahttp, stack, "POST", "/deductions",
        json={"mdtrtarea_admvs": "150781", "setl_id": at_i["setl_id"], "amount": "300.00",
              "reason": "重复收费", "agreed": False},
    )  # fmt: skip
    assert (disputed["state"], disputed["book_id"]) == ("disputed", None)
    upheld = await ok(
        ahttp, stack, "POST", f"/deductions/{disputed['id']}/decision",
        json={"mdtrtarea_admvs": "150781", "upheld": True},
    )  # fmt: skip
    assert upheld["state"] == "upheld"

    # a stay refunded after its deduction: the deduction is undone beside the refund, so the
    # stay nets to nothing (never less); a refunded stay takes no deduction
    for clinic, insured, person, info in (
        (cross, "650100", people[0], below_x),
        (intra, "150200", locals_[0], below_i),
    ):
        refund = await clinic.ok("2305", insured, cancel_of(person, info))
        await booked(ahttp, stack, setl_id=refund["setlinfo"]["setl_id"])  # the hub has it
    code, message = await refused(
        ahttp, stack, "POST", "/deductions",
        json={"mdtrtarea_admvs": "150781", "setl_id": below_i["setl_id"], "amount": "10.00",
              "reason": "重复收费"},
    )  # fmt: skip
    assert code == "E6014"
    assert "已退费" in message

    # the intra-region request left unanswered is closed as 核查无误 at its deadline
    await until(business, date(2026, 2, 26))
    closed = await eventually(
        ahttp, stack, f"/coinvestigations/{intra_request['id']}", "state", "answered"
    )
    assert (closed["verdict"], closed["closed_by"]) == ("1", "overdue")

    # February's clearing returns both deductions of the cleared stay to the insured province,
    # marked * (第五十条), and the upheld intra-region one to the insured pool
    await until(business, date(2026, 3, 1))
    february = await ok(ahttp, stack, "POST", "/clearing/202602")
    refunded_x, refunded_i = moved(below_x), moved(below_i)
    assert lines_between(february, "650000", "110000") == [("*", D("-1000.00") - refunded_x)]
    assert lines_between(february, "150200", "150781") == [("*", D("-300.00") - refunded_i)]
    notice = next(n for n in february["notices"] if n["party"] == "110000")
    assert D(notice["net"]) == D("-1000.00") - refunded_x  # the treating province pays back
    entries = await booked(ahttp, stack, setl_id=below_x["setl_id"], wait_for=3)
    assert sorted(e["kind"] for e in entries) == ["deduction", "deduction", "settlement"]
    [undone] = [e for e in entries if not e["book_id"].startswith(below_x["setl_id"])]
    [mirror] = await booked(ahttp, stack, setl_id=undone["book_id"].split("/")[0])
    assert (mirror["kind"], mirror["init_setl_id"]) == ("cancel", below_x["setl_id"])
    assert sum(D(e["fund_pay_sumamt"]) for e in [*entries, mirror]) == 0
    for info, book_id, month in (
        (at_x, f"{at_x['setl_id']}/xc", "202602"),
        (below_x, f"{below_x['setl_id']}/audit", "202602"),
        (at_i, f"{at_i['setl_id']}/audit", "202602"),
    ):
        entries = await booked(ahttp, stack, setl_id=info["setl_id"], wait_for=2)
        [deduction] = [e for e in entries if e["book_id"] == book_id]
        assert (deduction["kind"], deduction["cleared_month"]) == ("deduction", month)
        assert D(deduction["medfee_sumamt"]) == 0
    report = await ok(ahttp, stack, "GET", "/coinvestigation-batches/202601")
    assert (report["wrong"], report["correct"], report["closed_overdue"]) == (1, 1, 1)
    assert (report["extended"], report["answered_late"]) == (1, 0)
    assert D(report["deducted"]) == D("1000.00")


async def test_settling_at_home_and_away_at_the_same_time_is_flagged_with_its_evidence(
    ahttp: httpx.AsyncClient, supervised: tuple[Stack, BusinessClock]
) -> None:
    stack, business = supervised
    person = await filed(ahttp, stack, "650100", "110000")
    home = Hospital(ahttp, stack, "H65010000001", "650100")
    away = Hospital(ahttp, stack, "H11000000001", "110000")
    settled = []
    for clinic in (away, home):
        lines = await clinic.lines("X", person["psn_no"], per_category=1, categories=("09",))
        settled.append((await settle(clinic, business, person, lines))[1])
        await booked(ahttp, stack, setl_id=settled[-1]["setl_id"])
    flags = await ok(ahttp, stack, "GET", "/supervision/two-way")
    [flag] = [f for f in flags["flags"] if f["psn_no"] == person["psn_no"]]
    assert any("同时段" in reason for reason in flag["reasons"])
    assert sorted((e["setl_id"], e["at_home"]) for e in flag["evidence"]) == sorted(
        [(settled[0]["setl_id"], False), (settled[1]["setl_id"], True)]
    )
    # a person who only settled away is not two-way
    other = await filed(ahttp, stack, "650100", "110000")
    lines = await away.lines("X", other["psn_no"], per_category=1, categories=("09",))
    _, info = await settle(away, business, other, lines)
    await booked(ahttp, stack, setl_id=info["setl_id"])
    flags = await ok(ahttp, stack, "GET", "/supervision/two-way")
    assert other["psn_no"] not in {f["psn_no"] for f in flags["flags"]}


async def test_a_cost_jump_raises_a_monitoring_warning_once_and_the_report_shows_it(
    ahttp: httpx.AsyncClient, supervised: tuple[Stack, BusinessClock]
) -> None:
    stack, business = supervised
    clinic = Hospital(ahttp, stack, "H11000000003", "110000")
    catalogue = await clinic.lines("X", "X", per_category=1, categories=("02", "09"))
    months = []
    for factor in (1, 2):  # the second month's bills are about twice the first's
        months.append(f"{business.today():%Y%m}")
        for _ in range(2):
            person = await filed(ahttp, stack, "650100", "110000")
            await settle(clinic, business, person, bill_of_about(D(300 * factor), catalogue))
        await until(business, (business.today().replace(day=1) + timedelta(days=32)).replace(day=1))
    assert months[0] != months[1]

    treating = f"{stack.treating_url}/admin/monitoring/{months[1]}"
    first = (await ahttp.post(treating, headers=OPERATOR)).json()
    mine = [w for w in first["warnings"] if w["subject"] == "H11000000003"]
    assert "avg_cost" in {w["indicator"] for w in mine}, first
    [row] = [r for r in first["rows"] if r["subject"] == "H11000000003"]
    assert (row["month"]["visits"], row["previous"]["visits"]) == (2, 2)
    assert D(row["growth"]["avg_cost"]) > D("0.20")
    again = (await ahttp.post(treating, headers=OPERATOR)).json()
    assert again["new_warnings"] == 0  # raised once
    assert len(again["warnings"]) == len(first["warnings"])
    report = await ahttp.get(f"{treating}/report", headers=OPERATOR)
    assert report.status_code == 200
    assert "运行分析报告" in report.text
    assert "<svg" in report.text
    assert "H11000000003" in report.text
