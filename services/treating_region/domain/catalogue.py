"""The treating-region catalogue (就医地目录) and designated institutions (design §1, §5)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CHARGE_CATEGORIES = {
    "01": "床位费", "02": "诊察费", "03": "检查费", "04": "化验费", "05": "治疗费", "06": "手术费",
    "07": "护理费", "08": "卫生材料费", "09": "西药费", "10": "中药饮片费", "11": "中成药费",
    "12": "一般诊疗费", "13": "挂号费", "14": "其他费",
}  # fmt: skip
CLASS_A, CLASS_B, CLASS_C = "01", "02", "03"
"""甲类 (fully in scope), 乙类 (a first self-pay share), 丙类 (self-paid)."""


def normalize_level(value: str) -> str:
    """Some platforms send chrgitm_lv as 1/2/3: accept both, answer with two digits."""
    text = value.strip()
    if text in ("1", "2", "3"):
        text = "0" + text
    if text not in (CLASS_A, CLASS_B, CLASS_C):
        raise ValueError(f"chrgitm_lv {value!r} is not 01, 02 or 03")
    return text


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    med_list_codg: str
    name: str
    med_chrgitm_type: str
    chrgitm_lv: str
    selfpay_prop: Decimal
    """乙类 first self-pay ratio; 0 for 甲类 and 丙类."""
    pric_uplmt_amt: Decimal | None
    """Price cap per unit; the part of the price above it is over-limit (超限价)."""
    unit: str = ""
    ref_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Institution:
    fixmedins_code: str
    fixmedins_name: str
    admdvs: str
    medins_lv: int
    inpatient: bool
    outpatient: bool
    chronic: bool
    pharmacy: bool
