"""The region registry: 6-digit 医保区划 codes of the default scenario (design §1).

Same first two digits = same province: such traffic is intra-province (省内) and stays on the
provincial platform; otherwise it is cross-province (跨省).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Route(StrEnum):
    INTRA = "intra"
    CROSS = "cross"


@dataclass(frozen=True, slots=True)
class Region:
    admdvs: str
    name: str
    name_en: str
    is_pool: bool
    """A pool (统筹区) insures people and settles; a province code only groups pools."""

    @property
    def province(self) -> str:
        return self.admdvs[:2] + "0000"


REGIONS: dict[str, Region] = {
    r.admdvs: r
    for r in (
        Region("110000", "北京市", "Beijing", True),
        Region("120000", "天津市", "Tianjin", True),
        Region("130000", "河北省", "Hebei", False),
        Region("130100", "石家庄市", "Shijiazhuang", True),
        Region("150000", "内蒙古自治区", "Inner Mongolia", False),
        Region("159900", "内蒙古自治区区本级", "Inner Mongolia (region level)", True),
        Region("150200", "包头市", "Baotou", True),
        Region("150781", "满洲里市", "Manzhouli", True),
        Region("220000", "吉林省", "Jilin", False),
        Region("220100", "长春市", "Changchun", True),
        Region("650000", "新疆维吾尔自治区", "Xinjiang", False),
        Region("650100", "乌鲁木齐市", "Urumqi", True),
    )
}

PLATFORM = "000000"
"""The national platform's own code: the sender of the answers the hub makes itself, and the
identity of its broker connection."""

POOLS: tuple[str, ...] = tuple(code for code, r in REGIONS.items() if r.is_pool)


def is_known(admdvs: str) -> bool:
    return admdvs in REGIONS


def province_of(admdvs: str) -> str:
    return admdvs[:2] + "0000"


def covers(dest_admdvs: str, admdvs: str) -> bool:
    """A filing's destination covers a place: the same code, or its province (design §6)."""
    return dest_admdvs == admdvs or (dest_admdvs.endswith("0000") and dest_admdvs[:2] == admdvs[:2])


def route_between(treating_admdvs: str, insured_admdvs: str) -> Route:
    """Intra-province when both codes share a province (design §1)."""
    if province_of(treating_admdvs) == province_of(insured_admdvs):
        return Route.INTRA
    return Route.CROSS


def parse_region_list(value: str) -> tuple[str, ...]:
    """Parse a comma-separated list of region codes; `all` means every pool of the scenario."""
    text = value.strip()
    if text in ("", "all", "*"):
        return POOLS
    codes = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [c for c in codes if c not in REGIONS]
    if unknown:
        raise ValueError(f"unknown region codes: {', '.join(unknown)}")
    return codes
