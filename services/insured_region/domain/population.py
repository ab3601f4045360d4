"""A deterministic synthetic population: the same seed gives the same people, byte for byte.

Identity numbers and names come from the shared fixture ``shared.identities`` (well-formed GB 11643
numbers, invented; common family and given names), which the simulated hospitals use too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.insured_region.domain.person import Filing, Identity, Insurance, Person
from shared.identities import AREA_CODE, FAMILY, GIVEN, make_id_no

EMPLOYERS = (
    "市第一建筑公司",
    "新华书店",
    "市自来水公司",
    "农业银行分行",
    "市第三中学",
    "电网供电公司",
)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def birth_date_for_age(age: int, today: date, fraction: float) -> date:
    """A birth date that makes the person exactly ``age`` today; ``fraction`` picks which one."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=int((latest - earliest).days * fraction))


@dataclass(frozen=True, slots=True)
class PersonKind:
    insutype: str
    psn_type: str
    min_age: int
    max_age: int


KINDS = (
    PersonKind("310", "11", 22, 59),  # 在职职工
    PersonKind("310", "12", 60, 90),  # 退休职工
    PersonKind("390", "14", 1, 17),  # 居民(未成年)
    PersonKind("390", "15", 18, 59),  # 居民(成年)
    PersonKind("390", "16", 60, 90),  # 居民(老年)
)
FILING_CATEGORIES = ("11", "12", "13", "21", "22", "23")


def generate(
    seed: int, admdvs: str, count: int, *, today: date, destinations: tuple[str, ...]
) -> list[Person]:
    """``count`` persons insured in ``admdvs``; every kind, civil servants, assistance, filings."""
    rng = random.Random(f"{seed}:{admdvs}")
    area = AREA_CODE[admdvs]
    people = []
    others = tuple(d for d in destinations if d != admdvs) or destinations
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        gend = rng.choice("12")
        age = rng.randint(kind.min_age, kind.max_age)
        brdy = birth_date_for_age(age, today, rng.random())
        certno = make_id_no(area, brdy, (i % 500) * 2, gend)
        name = rng.choice(FAMILY) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        employee = kind.insutype == "310"
        insurance = Insurance(
            insutype=kind.insutype,
            psn_type=kind.psn_type,
            psn_insu_stas="1",
            psn_insu_date=date(max(brdy.year + 18, 1998), 1, 1) if employee else date(2016, 1, 1),
            cvlserv_flag=employee and kind.psn_type == "11" and i % 7 == 0,
            balc=Decimal(rng.randint(0, 800000)).scaleb(-2) if employee else Decimal("0.00"),
            emp_name=rng.choice(EMPLOYERS) if kind.psn_type == "11" else None,
        )
        identities: tuple[Identity, ...] = ()
        if i % 11 == 3:
            code = "2301" if i % 2 else "2302"
            identities = (Identity(code, date(today.year - 2, 1, 1), None),)
        filings: tuple[Filing, ...] = ()
        if i % 3 == 0:
            category = FILING_CATEGORIES[(i // 3) % len(FILING_CATEGORIES)]
            begin = today - timedelta(days=rng.randint(10, 200))
            long_term = category.startswith("1")
            filings = (
                Filing(
                    filing_id=f"F{admdvs}{seed % 1000:03d}{i:08d}",
                    category=category,
                    dest_admdvs=rng.choice(others),
                    begndate=begin,
                    enddate=None if long_term else begin + timedelta(days=180),
                    status="active",
                ),
            )
        people.append(
            Person(
                psn_no=f"{admdvs}{seed % 10000:04d}{i:010d}",
                insuplc_admdvs=admdvs,
                psn_cert_type="01",
                certno=certno,
                psn_name=name,
                gend=gend,
                naty="01",
                brdy=brdy,
                insurances=(insurance,),
                identities=identities,
                filings=filings,
            )
        )
    return people
