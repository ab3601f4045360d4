"""The traffic plan: a seed in, the same plan out, in the published mix, with every policy case."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from shared.identities import ASSISTANCE_IDENTITIES
from shared.regions import POOLS
from sim.plan import CASES, KIND_WEIGHTS, plan_cares

TODAY = date(2026, 11, 24)


def institutions() -> list[dict[str, Any]]:
    made = []
    for n, admdvs in enumerate(POOLS):
        for level in (1, 2, 3):
            made.append(
                {
                    "fixmedins_code": f"H{admdvs}{level:05d}",
                    "admdvs": admdvs,
                    "medins_lv": level,
                    "inpatient": level > 1,
                    "outpatient": True,
                    "chronic": True,
                    "pharmacy": False,
                }
            )
        made.append(
            {
                "fixmedins_code": f"P{admdvs}{n:05d}",
                "admdvs": admdvs,
                "medins_lv": 1,
                "inpatient": False,
                "outpatient": False,
                "chronic": False,
                "pharmacy": True,
            }
        )
    return made


def test_the_same_seed_gives_the_same_plan() -> None:
    first = plan_cares(7, 300, today=TODAY, institutions=institutions(), tag="T1")
    again = plan_cares(7, 300, today=TODAY, institutions=institutions(), tag="T1")
    other = plan_cares(8, 300, today=TODAY, institutions=institutions(), tag="T1")
    assert first == again
    assert first != other


def test_the_mix_follows_the_published_shares() -> None:
    plans = plan_cares(1, 5000, today=TODAY, institutions=institutions(), tag="T2")
    kinds = Counter(p.kind for p in plans)
    for kind, weight in KIND_WEIGHTS.items():
        share = kinds[kind] / len(plans)
        assert abs(share - weight / 100) < 0.02, (kind, share)


def test_every_policy_case_and_both_routes_occur() -> None:
    plans = plan_cares(2, 5000, today=TODAY, institutions=institutions(), tag="T3")
    seen = {(p.kind, p.case) for p in plans}
    assert {(k, c) for k, cases in CASES.items() for c in cases} <= seen
    assert {p.insured[:2] == p.treating[:2] for p in plans} == {True, False}
    assert any(p.admitted.year < TODAY.year for p in plans)  # cross-year stays
    assert any(p.refunds for p in plans)
    assert any(p.cancel_resettle for p in plans)


def test_inpatient_stays_carry_tens_to_hundreds_of_lines() -> None:
    plans = plan_cares(3, 4000, today=TODAY, institutions=institutions(), tag="T4")
    lines = [p.lines for p in plans if p.kind == "inpatient"]
    assert min(lines) >= 20
    assert max(lines) >= 150


def test_every_care_happens_where_the_institution_offers_it() -> None:
    by_code = {i["fixmedins_code"]: i for i in institutions()}
    for plan in plan_cares(4, 2000, today=TODAY, institutions=institutions(), tag="T5"):
        inst = by_code[plan.fixmedins_code]
        assert inst["admdvs"] == plan.treating
        need = {"inpatient": "inpatient", "pharmacy": "pharmacy", "chronic": "chronic"}
        assert inst[need.get(plan.kind, "outpatient")]


def test_a_few_per_cent_of_patients_hold_an_assistance_identity() -> None:
    """特困 / 低保 residents, so that the assistance fund (610100, maf_pay) pays in a demo run;
    the identity travels with the person's enrolment and is valid over the care."""
    plans = plan_cares(5, 2000, today=TODAY, institutions=institutions(), tag="T6")
    aided = [p for p in plans if p.assistance]
    assert 0.02 <= len(aided) / len(plans) <= 0.08
    assert {p.assistance for p in aided} == set(ASSISTANCE_IDENTITIES)
    assert {p.insured for p in aided} == set(POOLS)
    for plan in aided:
        assert plan.insutype == "390"
        (identity,) = plan.person_body()["identities"]
        assert identity["psn_idet_type"] == plan.assistance
        assert date.fromisoformat(identity["begntime"]) <= plan.admitted.date()
    assert all(p.person_body()["identities"] == [] for p in plans if not p.assistance)
