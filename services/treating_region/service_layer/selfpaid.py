"""Self-paid visits for manual reimbursement (零星报销; seed 003 第四条(二)、第十五、十六条;
三(三)).

When a hospital cannot settle a visit directly, the person pays in full and the hospital
uploads the fee lines and diagnoses, so that the insured region can reimburse the person later
under **its own** catalogue and policy (参保地目录、参保地政策, 第十六条). The lines are kept as
sent; the insured region asks for them split by its own pool's catalogue, and records here what
it paid, so both sides see the claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.treating_region.adapters import selfpaid as store
from services.treating_region.domain.catalogue import CatalogueEntry
from services.treating_region.domain.categories import by_category, totals_of
from services.treating_region.domain.split import FeeLine, LineRefused, LineSplit, split_line
from shared.canonical import canonical_hash
from shared.errors import E3005, E9002, E9004, E9012, RelayError

MAX_TOTAL = Decimal("999999999999.99")
"""What the visit's total column (Numeric(14, 2)) holds."""


def split(
    lines: list[dict[str, Any]], catalogue: Mapping[str, CatalogueEntry]
) -> tuple[LineSplit, ...]:
    """Each line split by ``catalogue`` (design §5's rule, whichever region's list it is)."""
    out = []
    for line in lines:
        fee = FeeLine(
            feedetl_sn=str(line["feedetl_sn"]),
            med_list_codg=str(line["med_list_codg"]),
            pric=Decimal(str(line["pric"])),
            cnt=Decimal(str(line["cnt"])),
            det_item_fee_sumamt=Decimal(str(line["det_item_fee_sumamt"])),
            med_chrgitm_type=line.get("med_chrgitm_type"),
        )
        try:
            out.append(split_line(fee, catalogue.get(fee.med_list_codg)))
        except LineRefused as exc:
            raise RelayError(E3005, detail=str(exc)) from None
    return tuple(out)


async def upload(
    pool: asyncpg.Pool,
    fixmedins_code: str,
    mdtrtarea_admvs: str,
    visit: dict[str, Any],
    catalogue: Mapping[str, CatalogueEntry],
) -> dict[str, Any]:
    """``visit`` as JSON (times in ISO form). Keep the visit once per institution and
    ``ipt_otp_no``; the same upload again answers
    the same, another body under that number is refused (E9004)."""
    begins, ends = (datetime.fromisoformat(visit[k]) for k in ("begntime", "endtime"))
    if ends < begins:
        raise RelayError(E9002, detail="结束时间 endtime 早于开始时间 begntime")
    split(visit["feedetail"], catalogue)  # every line must add up before anything is kept
    digest = canonical_hash(visit)
    total = sum((Decimal(str(x["det_item_fee_sumamt"])) for x in visit["feedetail"]), Decimal(0))
    if abs(total) > MAX_TOTAL:
        raise RelayError(E9002, detail=f"明细合计 {total} 超过 {MAX_TOTAL}")
    made = await store.add(
        pool,
        {
            "fixmedins_code": fixmedins_code,
            "mdtrtarea_admvs": mdtrtarea_admvs,
            "insuplc_admdvs": visit["insuplc_admdvs"],
            "psn_no": visit["psn_no"],
            "insutype": visit["insutype"],
            "med_type": visit["med_type"],
            "ipt_otp_no": visit["ipt_otp_no"],
            "begntime": begins,
            "endtime": ends,
            "medfee_sumamt": total,
            "visit": visit,
            "request_hash": digest,
            "claim": None,
            "claimed_at": None,
        },
    )
    if made is None:
        made = await store.by_number(pool, fixmedins_code, visit["ipt_otp_no"])
        assert made is not None
        if made["request_hash"] != digest:
            number = visit["ipt_otp_no"]
            raise RelayError(E9004, detail=f"就诊号 ipt_otp_no {number} 已上传过不同的自费明细")
    return made


async def of_institution(pool: asyncpg.Pool, visit_id: int, fixmedins_code: str) -> dict[str, Any]:
    found = await store.by_id(pool, visit_id)
    if found is None or found["fixmedins_code"] != fixmedins_code:
        raise RelayError(E9012, detail=f"自费就诊 {visit_id}")
    return found


def under(found: dict[str, Any], catalogue: Mapping[str, CatalogueEntry]) -> dict[str, Any]:
    """The visit's lines split by ``catalogue``: the totals and the 14 category totals a
    settlement carries."""
    lines = split(found["visit"]["feedetail"], catalogue)
    totals = totals_of(lines)
    return {
        "medfee_sumamt": str(totals.medfee_sumamt),
        "fulamt_ownpay_amt": str(totals.fulamt_ownpay_amt),
        "overlmt_selfpay": str(totals.overlmt_selfpay),
        "preselfpay_amt": str(totals.preselfpay_amt),
        "inscp_scp_amt": str(totals.inscp_scp_amt),
        "categories": [
            {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(c).items()}
            for c in by_category(lines)
        ],
    }
