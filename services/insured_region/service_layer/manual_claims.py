"""Manual reimbursement (零星报销; seed 003 第四条(二)、第十五、十六条; 乌鲁木齐 §一(四)).

A person who paid in full where direct settlement was impossible claims here. The insured
region reads the visit the hospital uploaded, split by **its own** catalogue (参保地目录), and
settles it under its own policy (参保地政策, 第十六条) through the same calculation and the same
accumulators as a direct settlement. Without a filing covering the visit, one is made now and
treated as temporary travel at the referral level (补办跨省临时外出就医备案，按参保地跨省转诊转院
待遇政策支付, 第十五条). The money goes to the person, not through clearing: a manual claim is kept
under its own ``infno`` and left out of the day statement the hub reconciles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from pydantic import ValidationError

from services.insured_region.domain.filing import Care, FilingRequest, coverage
from services.insured_region.domain.policy import RegionPolicy, policy_for
from services.insured_region.service_layer import filings, ledger
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from shared.clock import CHINA_TZ
from shared.errors import E1001, E2001, E6015, E9002, RelayError
from shared.operator_access import operator_headers
from shared.settlement import SettlementPayload

MANUAL_CLAIM = "LXBX"
"""The ``infno`` a manual claim is kept under (零星报销): not a national transaction, so never
mistaken for one, and left out of the reconciled day statement."""
REFERRAL_CATEGORY = "21"
"""异地转诊转院: the filing a manual claim without one is treated as (第十五条)."""


@dataclass(frozen=True, slots=True)
class TreatingSource:
    url: str
    operator_token: str


def _china_day(moment: str) -> str:
    """The China date of a time the treating region wrote in ISO form."""
    return datetime.fromisoformat(moment).astimezone(CHINA_TZ).date().isoformat()


async def _visit(
    http: httpx.AsyncClient, source: TreatingSource, visit_id: int, catalogue: str
) -> dict[str, Any]:
    try:
        response = await http.get(
            f"{source.url}/admin/selfpaid-visits/{visit_id}",
            params={"catalogue": catalogue, "unmasked": "false"},
            headers=operator_headers(source.operator_token),
        )
    except httpx.HTTPError as exc:
        raise RelayError(E6015, detail=f"就医地系统暂不可达（{type(exc).__name__}）") from None
    if response.status_code == 404:
        raise RelayError(E9002, detail=f"就医地未找到自费就诊 visit_id {visit_id}")
    if response.status_code in (409, 422):  # the visit cannot be settled as it stands
        try:
            said = str(response.json().get("err_msg") or "")[:200]
        except (ValueError, AttributeError):
            said = ""
        raise RelayError(E9002, detail=f"自费就诊 {visit_id} 无法按参保地目录结算：{said}")
    if response.status_code != 200:
        raise RelayError(E6015, detail=f"就医地系统应答状态 {response.status_code}")
    found: dict[str, Any] = response.json()
    return found


async def claim(
    uow: UnitOfWork,
    sessions: Any,
    policies: Mapping[str, RegionPolicy],
    http: httpx.AsyncClient,
    source: TreatingSource,
    psn_no: str,
    visit_id: int,
    today: date,
) -> dict[str, Any]:
    """The person's claim on an uploaded self-paid visit, settled once; claimed again, the same
    settlement (the claim's msgid is the visit's)."""
    person = await filings.listing(sessions, psn_no)
    admdvs = person.insuplc_admdvs
    visit = await _visit(http, source, visit_id, admdvs)
    if visit["psn_no"] != psn_no or visit["insuplc_admdvs"] != admdvs:
        raise RelayError(E1001, detail=f"自费就诊 {visit_id} 不是参保人 {psn_no} 的就诊")
    split = visit["split"]
    try:
        payload = SettlementPayload.model_validate(
            {
                "psn_no": psn_no,
                "insutype": visit["insutype"],
                "med_type": visit["med_type"],
                "medins_lv": visit["medins_lv"],
                "begntime": _china_day(visit["begntime"]),
                "endtime": _china_day(visit["endtime"]),
                "acct_used_flag": False,
                "medfee_sumamt": split["medfee_sumamt"],
                "fulamt_ownpay_amt": split["fulamt_ownpay_amt"],
                "overlmt_selfpay": split["overlmt_selfpay"],
                "preselfpay_amt": split["preselfpay_amt"],
                "inscp_scp_amt": split["inscp_scp_amt"],
                "categories": split["categories"],
            }
        )
    except ValidationError as exc:
        raise RelayError(
            E9002, detail=f"自费就诊 {visit_id} 的数据无法结算（{exc.error_count()} 处）"
        ) from None
    treating = visit["mdtrtarea_admvs"]
    msgid = f"{MANUAL_CLAIM}{visit['fixmedins_code']}{visit_id:012d}"
    filing = await _covered_or_filed(sessions, policies, person, treating, payload, today, msgid)
    answer = await ledger.settle(
        uow,
        policies,
        ledger.SettleCommand(
            msgid=msgid,
            infno=MANUAL_CLAIM,
            insured_admdvs=admdvs,
            treating_admdvs=treating,
            fixmedins_code=visit["fixmedins_code"],
            payload=payload,
        ),
    )
    info = answer["setlinfo"]
    told = await _tell_treating(http, source, visit_id, admdvs, info, filing)
    return {"visit_id": visit_id, "filing": filing, "treating_informed": told, **answer}


async def _covered_or_filed(
    sessions: Any,
    policies: Mapping[str, RegionPolicy],
    person: Any,
    treating: str,
    payload: SettlementPayload,
    today: date,
    msgid: str,
) -> dict[str, Any]:
    """The filing the claim settles under: the one covering the visit, or a referral filing
    made now from the visit's first day (第十五条) — once per claim (its msgid), however often
    or concurrently it is claimed."""
    policy = policy_for(policies, person.insuplc_admdvs)
    care = Care(
        insured_admdvs=person.insuplc_admdvs,
        treating_admdvs=treating,
        med_type=payload.med_type,
        admitted_on=payload.begntime,
        settled_on=payload.endtime,
        emergency=payload.emergency,
        trauma=payload.trum_flag,
        third_party=payload.rel_ttp_flag,
    )
    try:
        covered = coverage(policy.filing, person.filings, care)
        return {"category": covered.category, "filing_id": covered.filing_id, "made_now": False}
    except RelayError as exc:
        if exc.code != E2001.code:
            raise
    made = await filings.create(
        sessions,
        policies,
        person.psn_no,
        FilingRequest(REFERRAL_CATEGORY, treating, payload.begntime, None),
        today,
        msgid=msgid,
    )
    return {"category": made.category, "filing_id": made.filing_id, "made_now": True}


async def _tell_treating(
    http: httpx.AsyncClient,
    source: TreatingSource,
    visit_id: int,
    admdvs: str,
    info: dict[str, Any],
    filing: dict[str, Any],
) -> bool:
    """The treating side sees the claim too; False when it could not be told (claiming again
    answers the same settlement and tells it)."""
    body = {
        "setl_id": info["setl_id"],
        "insuplc_admdvs": admdvs,
        "setl_time": info["setl_time"],
        "filing_category": filing["category"],
        **{k: info[k] for k in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")},
    }
    try:
        response = await http.put(
            f"{source.url}/admin/selfpaid-visits/{visit_id}/claim",
            json=body,
            headers=operator_headers(source.operator_token),
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200
