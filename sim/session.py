"""A short scripted hospital session through the relay, printed as it happens (``make demo``)."""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from services.insured_region.domain.population import AREA_CODE, make_id_no
from shared.logging import mask_id_no, mask_name
from shared.regions import POOLS, REGIONS, route_between
from shared.settlement import setlinfo_violations
from sim.his import His, HisError, person_body
from sim.stays import Patient, Settled, inpatient_stay, outpatient_visit

GATEWAY = "/fsi/api/rsfComIfsService/callService"


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    treating: str
    insured: str
    certno: str
    psn_name: str | None
    expect: str
    """``0`` for success, else the error code the step is meant to show."""
    msgid: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    step: Step
    msgid: str
    code: str
    latency_ms: float
    answer: dict[str, Any]


class Hospitals:
    def __init__(self) -> None:
        self._seq = 0

    def code(self, admdvs: str) -> str:
        return f"H{admdvs}00001"

    def msgid(self, admdvs: str) -> str:
        self._seq += 1
        return f"{self.code(admdvs)}{datetime.now():%Y%m%d%H%M%S}{self._seq % 10000:04d}"

    def envelope(self, step: Step, msgid: str) -> dict[str, Any]:
        return {
            "infno": "1101",
            "msgid": msgid,
            "mdtrtarea_admvs": step.treating,
            "insuplc_admdvs": step.insured,
            "recer_sys_code": "FSI",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.code(step.treating),
            "fixmedins_name": f"{REGIONS[step.treating].name}模拟医院",
            "input": {
                "data": {
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": step.certno,
                    "psn_cert_type": "01",
                    "certno": step.certno,
                    "psn_name": step.psn_name or "",
                }
            },
        }


def script(people: dict[str, list[dict[str, Any]]]) -> list[Step]:
    """Every pool's patients treated elsewhere, one intra-province pair, and each error."""
    steps = []
    pools = [p for p in POOLS if people.get(p)]
    for i, insured in enumerate(pools):
        treating = pools[(i + 1) % len(pools)]
        person = people[insured][0]["baseinfo"]
        steps.append(
            Step("person info", treating, insured, person["certno"], person["psn_name"], "0")
        )
    if people.get("159900"):
        person = people["159900"][-1]["baseinfo"]
        steps.append(Step("intra-province (区内)", "150200", "159900", person["certno"], None, "0"))
    some = people[pools[0]][0]["baseinfo"]
    steps += [
        Step("unknown person", "110000", "120000", "120101199901019999", None, "E1001"),
        Step("name mismatch", "120000", pools[0], some["certno"], "不是本人", "E1002"),
        Step("unknown insured region", "110000", "990000", some["certno"], None, "E5001"),
    ]
    return steps


def run(treating_url: str, insured_url: str, hub_url: str) -> int:
    hospitals = Hospitals()
    with httpx.Client(timeout=30) as http:
        people = {
            pool: http.get(
                f"{insured_url}/admin/persons", params={"admdvs": pool, "limit": 3}
            ).json()
            for pool in POOLS
        }
        steps = script(people)
        print(
            f"Scripted hospital session: {len(steps)} person-info (1101) calls through the relay\n"
        )
        print(
            f"{'#':>2}  {'hospital':<13} {'treated in':<10} {'insured in':<10} {'route':<6} "
            f"{'patient':<22} {'result':<8} {'ms':>6}  what"
        )
        outcomes = []
        for n, step in enumerate(steps, 1):
            msgid = hospitals.msgid(step.treating)
            started = time.perf_counter()
            answer = http.post(
                f"{treating_url}{GATEWAY}", json=hospitals.envelope(step, msgid)
            ).json()
            latency = (time.perf_counter() - started) * 1000
            code = "0" if answer["infcode"] == 0 else str(answer["err_code"])
            outcomes.append(Outcome(step, msgid, code, latency, answer))
            route = (
                route_between(step.treating, step.insured).value if step.insured in REGIONS else "-"
            )
            name = mask_name(step.psn_name) if step.psn_name else ""
            mark = "ok" if code == step.expect else f"UNEXPECTED (wanted {step.expect})"
            print(
                f"{n:>2}  {hospitals.code(step.treating):<13} {step.treating:<10} "
                f"{step.insured:<10} {route:<6} {mask_id_no(step.certno) + ' ' + name:<22} "
                f"{code:<8} {latency:6.1f}  {step.title} {mark}"
            )
        first_ok = next((o for o in outcomes if o.code == "0"), None)
        if first_ok is not None:
            print(f"\nWhat the hub logged for {first_ok.msgid}:")
            for row in http.get(f"{hub_url}/relay-log", params={"msgid": first_ok.msgid}).json():
                print(
                    f"  {row['kind']:<8} from {row['sender_admdvs']}  route {row['route']}  "
                    f"{row['outcome']}  {row['err_code'] or ''}  at {row['received_at']}"
                )
            base = first_ok.answer["output"]["baseinfo"]
            insu = first_ok.answer["output"]["insuinfo"][0]
            print(
                f"  answer: psn_no {base['psn_no']}, age {base['age']}, insutype "
                f"{insu['insutype']}, psn_type {insu['psn_type']}, account {insu['balc']}"
            )
        settled = settle_script(http, treating_url, insured_url)
    codes = Counter(o.code for o in outcomes)
    latencies = sorted(o.latency_ms for o in outcomes)
    unexpected = [o for o in outcomes if o.code != o.step.expect]
    print(
        f"\nSummary: {len(outcomes)} calls, {codes.get('0', 0)} answered, errors "
        + (", ".join(f"{k}×{v}" for k, v in sorted(codes.items()) if k != "0") or "none")
        + f"; latency median {statistics.median(latencies):.1f} ms, max {latencies[-1]:.1f} ms;"
        f" {len(unexpected)} unexpected outcomes"
    )
    broken = [
        s for s in settled if setlinfo_violations(s.output["setlinfo"], s.output["setldetail"])
    ]
    print(
        f"Settlements: {len(settled)} through the gateway, {len(broken)} breakdowns that do "
        "not balance"
    )
    return 1 if unexpected or broken or len(settled) < 4 else 0


def settle_script(http: httpx.Client, treating_url: str, insured_url: str) -> list[Settled]:
    """A cross- and an intra-province patient, each with a stay and a visit (issue 4 bar)."""
    stamp = f"{datetime.now():%m%d%H%M%S}"
    cases = [
        ("650100", "H11000000001", "110000", "23", "110000", "cross-province stay"),
        ("159900", "H15020000001", "150200", None, None, "intra-province stay (区内)"),
        ("110000", "H65010000003", "650100", "12", "650000", "cross-province visit"),
        ("150200", "H15990000002", "159900", None, None, "intra-province visit (区内)"),
    ]
    settled: list[Settled] = []
    print("\nSettlements through the gateway (2401…2304 / 2201…2207):")
    print(
        f"{'what':<28} {'hospital':<13} {'route':<6} {'lines':>5} {'total':>10} "
        f"{'funds':>10} {'hifp':>10} {'ratio':>5} {'account':>8} {'cash':>9}  balances"
    )
    for n, (insured, code, treating, category, dest, title) in enumerate(cases):
        psn_no = f"{insured}D{stamp}{n:02d}"
        rng = random.Random(f"{stamp}:{n}")
        brdy = date(rng.randint(1950, 1990), rng.randint(1, 12), rng.randint(1, 28))
        certno = make_id_no(AREA_CODE[insured], brdy, rng.randrange(0, 998, 2), "1")
        enrolled = http.post(
            f"{insured_url}/admin/persons", json=person_body(psn_no, insured, certno, f"演示{n}")
        )
        if enrolled.status_code != 201:
            print(f"{title:<28} could not enrol the patient: {enrolled.text[:200]}")
            continue
        if category:
            http.post(
                f"{insured_url}/admin/persons/{psn_no}/filings",
                json={
                    "category": category,
                    "dest_admdvs": dest,
                    "begndate": f"{date.today() - timedelta(days=30):%Y-%m-%d}",
                },
            )
        his = His(http, treating_url, code, treating, rng=random.Random(f"{stamp}{code}"))
        patient = Patient(psn_no, certno, insured, "310")
        try:
            done = (
                inpatient_stay(his, patient, lines=60, title=title)
                if "stay" in title
                else outpatient_visit(his, patient, lines=6, title=title)
            )
        except HisError as exc:
            print(f"{title:<28} {code:<13} FAILED {exc}")
            continue
        settled.append(done)
        info = done.output["setlinfo"]
        ok = "ok" if not setlinfo_violations(info, done.output["setldetail"]) else "BROKEN"
        print(
            f"{title:<28} {code:<13} {route_between(treating, insured).value:<6} "
            f"{done.lines:>5} {info['medfee_sumamt']:>10} {info['fund_pay_sumamt']:>10} "
            f"{info['hifp_pay']:>10} {info['pool_prop_selfpay']:>5} {info['acct_pay']:>8} "
            f"{info['psn_cash_pay']:>9}  {ok}"
        )
    return settled


def main() -> int:
    return run(
        os.environ.get("RELAY_TREATING_URL", "http://127.0.0.1:8001"),
        os.environ.get("RELAY_INSURED_URL", "http://127.0.0.1:8003"),
        os.environ.get("RELAY_HUB_URL", "http://127.0.0.1:8002"),
    )
