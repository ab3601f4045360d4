"""Invented but well-formed identities: the fixture the insured region's synthetic population, the
simulated hospitals and the tests all draw from.

Pure (stdlib and ``shared.certificates`` only), so that a domain layer and ``sim/`` may both use it
without one importing the other. Id numbers follow GB 11643 (area code, birth date, sequence, ISO
7064 MOD 11-2 check character from ``shared.certificates``); names are common family and given
names.
"""

from __future__ import annotations

from datetime import date

from shared.certificates import id_check_char

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
"""The first six digits of invented id numbers: one district per insured pool."""

ASSISTANCE_IDENTITIES = {"2301": "特困人员", "2302": "低保对象"}
"""Medical-assistance identity codes of the simulation (the national code list is not public)."""

FAMILY = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏建华红飞桂兰琴云辉"
    "波宁晶欣琳建军浩然子涵雨轩梓萱思远一诺"
)


def make_id_no(area: str, brdy: date, seq: int, gend: str) -> str:
    """An 18-character id number; the sequence's parity carries the sex: odd for men (1), even for
    women (2).

    Args:
        area: the six-digit area code (see ``AREA_CODE``).
        brdy: the birth date written into digits 7–14.
        seq: the sequence, taken modulo 1000 and moved up by one if its parity disagrees with gend.
        gend: ``"1"`` (male) or ``"2"`` (female).
    """
    seq3 = seq % 1000
    if (seq3 % 2 == 1) != (gend == "1"):
        seq3 = (seq3 + 1) % 1000
    first17 = f"{area}{brdy:%Y%m%d}{seq3:03d}"
    return first17 + id_check_char(first17)
