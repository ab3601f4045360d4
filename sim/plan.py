"""What the simulated hospitals will do: a deterministic plan of cares (a seed in, one plan out).

The mix follows the published shares of cross-province direct settlement in Q1 2025 (ordinary
outpatient 64 %, pharmacy 27 %, chronic outpatient 4 %, inpatient 5 %) and includes the policy
cases of design §6: long-term residents and each temporary category, emergencies without filing,
retro-filings, trauma (with and without a third party), refunds, cancels, cross-year stays,
intra- and cross-province traffic, and a few per cent of patients with a medical-assistance
identity (特困 / 低保, so that the assistance fund 610100 pays, design §7 step 5). Identifiers
carry a run tag so that repeated runs against the same databases never collide; everything else
depends on the seed alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared.identities import AREA_CODE, FAMILY, GIVEN, make_id_no
from shared.regions import POOLS, province_of

KIND_WEIGHTS = {"outpatient": 64, "pharmacy": 27, "chronic": 4, "inpatient": 5}
INNER_MONGOLIA = ("159900", "150200", "150781")
CHRONIC_CODES = ("M03900", "M01600", "M00500", "M07800", "M08300")
INTRA_SHARE = 0.25
ASSISTANCE_SHARES = (("2301", 0.02), ("2302", 0.08))
"""Of residents (390), the share holding 特困 / 低保 (shared.identities.ASSISTANCE_IDENTITIES):
assisted people are insured as residents, premiums subsidised. 10 % of residents is about 4 % of
all patients, the few per cent real pools have. Illustrative: no seed gives the share."""

CASES: dict[str, dict[str, int]] = {
    "inpatient": {"long_term": 30, "referral": 14, "other_temporary": 14, "emergency_no_filing": 10,
                  "retro_filing": 10, "intra": 8, "cross_year": 6, "trauma_no_third_party": 3,
                  "trauma_third_party": 3, "no_filing": 2},
    "outpatient": {"long_term": 55, "other_temporary": 15, "referral": 8, "intra": 17,
                   "emergency_no_filing": 5},
    "pharmacy": {"long_term": 65, "intra": 20, "other_temporary": 15},
    "chronic": {"long_term": 85, "intra": 15},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filing:
    category: str
    dest_admdvs: str
    begndate: date


@dataclass(frozen=True, slots=True)
class CarePlan:
    n: int
    kind: str
    case: str
    insured: str
    treating: str
    fixmedins_code: str
    psn_no: str
    certno: str
    psn_name: str
    insutype: str
    psn_type: str
    balc: str
    cvlserv: bool
    assistance: str | None
    """A medical-assistance identity (2301 特困 / 2302 低保), held since two years before."""
    filing: Filing | None
    """Made before the care (the national app); None for no-filing and retro cases."""
    retro_filing: Filing | None
    """Made after the refused admission, before discharge (补办)."""
    med_type: str
    emergency: bool
    trauma: bool
    third_party: bool
    lines: int
    refunds: int
    cancel_resettle: bool
    admitted: datetime
    discharged: datetime
    chronic_code: str | None
    acct_used: bool
    expect: str
    """``settled`` or the error the case is meant to show (E2001, E2007)."""

    @property
    def inpatient(self) -> bool:
        return self.kind == "inpatient"

    def person_body(self) -> dict[str, Any]:
        identities = (
            [
                {
                    "psn_idet_type": self.assistance,
                    "begntime": f"{self.admitted.year - 2}-01-01",
                }
            ]
            if self.assistance
            else []
        )
        return {
            "psn_no": self.psn_no,
            "insuplc_admdvs": self.insured,
            "certno": self.certno,
            "psn_name": self.psn_name,
            "gend": "1" if int(self.certno[16]) % 2 else "2",
            "brdy": f"{self.certno[6:10]}-{self.certno[10:12]}-{self.certno[12:14]}",
            "insurances": [
                {
                    "insutype": self.insutype,
                    "psn_type": self.psn_type,
                    "psn_insu_date": "2010-01-01",
                    "balc": self.balc,
                    "cvlserv_flag": self.cvlserv,
                }
            ],
            "identities": identities,
        }


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _pair(rng: random.Random, intra: bool) -> tuple[str, str]:
    if intra:
        insured, treating = rng.sample(INNER_MONGOLIA, 2)
        return insured, treating
    insured = rng.choice(POOLS)
    treating = rng.choice([p for p in POOLS if province_of(p) != province_of(insured)])
    return insured, treating


def _assistance(draw: float, employee: bool) -> str | None:
    """The identity a ``draw`` in [0, 1) gives a resident; employees hold none here."""
    if employee:
        return None
    bound = 0.0
    for code, share in ASSISTANCE_SHARES:
        bound += share
        if draw < bound:
            return code
    return None


def _inpatient_lines(rng: random.Random) -> int:
    """Tens to hundreds of lines, long-tailed like real stays."""
    return max(20, min(600, int(rng.lognormvariate(4.3, 0.6))))


def plan_cares(
    seed: int,
    count: int,
    *,
    today: date,
    institutions: list[dict[str, Any]],
    tag: str,
) -> list[CarePlan]:
    rng = random.Random(seed)
    # a stream of its own: adding identities leaves every other draw of a seed's plan as it was
    aid_rng = random.Random(f"{seed}:assistance")
    run_offset = sum(map(ord, tag)) * 7919 % 500
    by_region: dict[str, list[dict[str, Any]]] = {}
    for inst in sorted(institutions, key=lambda i: i["fixmedins_code"]):
        by_region.setdefault(inst["admdvs"], []).append(inst)
    plans = []
    now = datetime.combine(today, datetime.min.time()).replace(hour=10)
    for n in range(count):
        kind = _weighted(rng, KIND_WEIGHTS)
        case = _weighted(rng, CASES[kind])
        intra = case == "intra" or (case in ("long_term", "referral") and rng.random() < 0.1)
        insured, treating = _pair(rng, intra)
        need = {"inpatient": "inpatient", "chronic": "chronic", "pharmacy": "pharmacy"}.get(
            kind, "outpatient"
        )
        candidates = [i for i in by_region.get(treating, []) if i[need]]
        if kind == "inpatient":
            candidates = [i for i in candidates if i["medins_lv"] >= 2] or candidates
        inst = rng.choice(candidates)
        employee = rng.random() < 0.6
        assistance = _assistance(aid_rng.random(), employee)
        age = rng.randint(25, 59) if employee else rng.randint(3, 85)
        psn_type = (
            ("11" if age < 60 else "12")
            if employee
            else ("14" if age < 18 else "15" if age < 60 else "16")
        )
        if employee and rng.random() < 0.25:
            psn_type, age = "12", rng.randint(60, 85)
        brdy = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        # the run tag shifts the sequence so that reruns against one database do not collide
        certno = make_id_no(
            AREA_CODE[insured], brdy, ((n + run_offset) % 500) * 2, rng.choice("12")
        )
        dest = treating if rng.random() < 0.6 else province_of(treating)
        if dest in ("150000",) and intra:
            dest = treating
        begin = today - timedelta(days=rng.randint(20, 150))
        filing: Filing | None = None
        retro: Filing | None = None
        if case in ("long_term", "cross_year", "trauma_third_party", "trauma_no_third_party") or (
            kind == "chronic"
        ):
            filing = Filing(rng.choice(("11", "12", "13")), dest, begin - timedelta(days=400))
        elif case == "referral":
            filing = Filing("21", dest, begin)
        elif case == "other_temporary":
            filing = Filing("23", dest, begin)
        elif case == "intra" and insured not in INNER_MONGOLIA:
            filing = Filing("12", dest, begin)
        elif case == "retro_filing":
            retro = Filing("23", dest, today)
        emergency = case == "emergency_no_filing"
        med_type = {
            "inpatient": "24" if emergency else "21",
            "outpatient": "13" if emergency else "11",
            "pharmacy": "41",
            "chronic": "14",
        }[kind]
        stay_days = rng.randint(3, 20) if kind == "inpatient" else 0
        admitted = now - timedelta(days=stay_days, hours=rng.randint(0, 8))
        if case == "cross_year":
            admitted = datetime(today.year - 1, 12, rng.randint(20, 30), 9)
        lines = {
            "inpatient": _inpatient_lines(rng),
            "outpatient": rng.randint(2, 8),
            "pharmacy": rng.randint(1, 5),
            "chronic": rng.randint(2, 6),
        }[kind]
        plans.append(
            CarePlan(
                n=n,
                kind=kind,
                case=case,
                insured=insured,
                treating=treating,
                fixmedins_code=inst["fixmedins_code"],
                psn_no=f"{insured}S{tag}{n:07d}",
                certno=certno,
                psn_name=rng.choice(FAMILY) + rng.choice(GIVEN) + rng.choice(GIVEN),
                insutype="310" if employee else "390",
                psn_type=psn_type,
                balc=f"{rng.randint(0, 500000) / 100:.2f}" if employee else "0.00",
                cvlserv=employee and psn_type == "11" and rng.random() < 0.06,
                assistance=assistance,
                filing=filing,
                retro_filing=retro,
                med_type=med_type,
                emergency=emergency,
                trauma=case.startswith("trauma"),
                third_party=case == "trauma_third_party",
                lines=lines,
                refunds=rng.choice((0, 0, 1, 2)) if kind == "inpatient" else 0,
                cancel_resettle=(kind == "inpatient" and rng.random() < 0.1)
                or (kind == "outpatient" and rng.random() < 0.02),
                admitted=admitted,
                discharged=now,
                chronic_code=rng.choice(CHRONIC_CODES) if kind == "chronic" else None,
                acct_used=employee and rng.random() < 0.7,
                expect={"trauma_third_party": "E2007", "no_filing": "E2001"}.get(case, "settled"),
            )
        )
    return plans
