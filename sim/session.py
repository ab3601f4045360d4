"""A short scripted hospital session through the relay, printed as it happens (``make demo``)."""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from shared.auth import institution_token, signed_headers
from shared.logging import mask_id_no, mask_name
from shared.operator_access import operator_headers
from shared.regions import POOLS, REGIONS, route_between
from shared.settings import DEV_OPERATOR_PII_TOKEN, DEV_OPERATOR_TOKEN

GATEWAY = "/fsi/api/rsfComIfsService/callService"
SECRET = os.environ.get("RELAY_HOSPITAL_SECRET", "dev-hospital-secret")
OPERATOR_TOKEN = os.environ.get("RELAY_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN)
OPERATOR_PII_TOKEN = os.environ.get("RELAY_OPERATOR_PII_TOKEN", DEV_OPERATOR_PII_TOKEN)
"""The script's patients come from the insured region's person list with their id numbers and
names in clear (what a hospital reads off the patient's card): that list needs the PII right."""


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
        Step("unknown person", "110000", "120000", "12010119990101999X", None, "E1001"),
        Step("name mismatch", "120000", pools[0], some["certno"], "不是本人", "E1002"),
        Step("unknown insured region", "110000", "990000", some["certno"], None, "E5001"),
    ]
    return steps


def run(treating_url: str, insured_url: str, hub_url: str) -> int:
    hospitals = Hospitals()
    with httpx.Client(timeout=30, trust_env=False) as http:
        people = {
            pool: http.get(
                f"{insured_url}/admin/persons",
                params={"admdvs": pool, "limit": 3, "unmasked": "true"},
                headers=operator_headers(OPERATOR_PII_TOKEN),
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
            code = hospitals.code(step.treating)
            headers = signed_headers(
                code, institution_token(SECRET, code), str(int(time.time() * 1000))
            )
            answer = http.post(
                f"{treating_url}{GATEWAY}", json=hospitals.envelope(step, msgid), headers=headers
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
            log = http.get(
                f"{hub_url}/relay-log",
                params={"msgid": first_ok.msgid},
                headers=operator_headers(OPERATOR_TOKEN),
            )
            for row in log.json():
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
    codes = Counter(o.code for o in outcomes)
    latencies = sorted(o.latency_ms for o in outcomes)
    unexpected = [o for o in outcomes if o.code != o.step.expect]
    print(
        f"\nSummary: {len(outcomes)} calls, {codes.get('0', 0)} answered, errors "
        + (", ".join(f"{k}×{v}" for k, v in sorted(codes.items()) if k != "0") or "none")
        + f"; latency median {statistics.median(latencies):.1f} ms, max {latencies[-1]:.1f} ms;"
        f" {len(unexpected)} unexpected outcomes"
    )
    return 1 if unexpected else 0


def main() -> int:
    return run(
        os.environ.get("RELAY_TREATING_URL", "http://127.0.0.1:8001"),
        os.environ.get("RELAY_INSURED_URL", "http://127.0.0.1:8003"),
        os.environ.get("RELAY_HUB_URL", "http://127.0.0.1:8002"),
    )
