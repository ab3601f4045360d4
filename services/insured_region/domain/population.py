"""A deterministic synthetic population: the same seed gives the same people, byte for byte.

Identity numbers are well-formed (GB 11643: area code, birth date, sequence, ISO 7064 MOD 11-2
check character) but invented; names are drawn from common family and given names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from services.insured_region.domain.person import Filing, Identity, Insurance, Person
from shared.certificates import id_check_char

# area codes used as the first six digits of invented id numbers, one district per pool
AREA_CODE = {
    "110000": "110105",
    "120000": "120101",
    "130100": "130102",
    "159900": "150102",
    "150200": "150202",
    "150781": "150781",
    "220100": "220102",
    "650100": "650102",
}

ASSISTANCE_IDENTITIES = {"2301": "特困人员", "2302": "低保对象"}
"""Simulation codes (the national identity code list is not public)."""

FAMILY = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏建华红飞桂兰琴云辉"
    "波宁晶欣琳建军浩然子涵雨轩梓萱思远一诺"
)
EMPLOYERS = (
    "市第一建筑公司",
    "新华书店",
    "市自来水公司",
    "农业银行分行",
    "市第三中学",
    "电网供电公司",
)


def make_id_no(area: str, brdy: date, seq: int, gend: str) -> str:
    """Sequence parity carries the sex: odd for men (1), even for women (2)."""
    seq3 = seq % 1000
    if (seq3 % 2 == 1) != (gend == "1"):
        seq3 = (seq3 + 1) % 1000
    first17 = f"{area}{brdy:%Y%m%d}{seq3:03d}"
    return first17 + id_check_char(first17)


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
            balc=f"{rng.randint(0, 800000) / 100:.2f}" if employee else "0.00",
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
