"""Self-paid visits for manual reimbursement (零星报销): the hospital uploads one (signed with
the x-tif headers, as on the gateway) and reads it back with the claim on it; the insured
region's operators read it split by their own catalogue and record what they paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from services.treating_region.adapters import selfpaid as store
from services.treating_region.domain.catalogue import CatalogueEntry, Institution
from services.treating_region.entrypoints.access import signed_reader
from services.treating_region.entrypoints.schemas import (
    Amount,
    ChargeCategory,
    Code,
    HospitalInput,
    Price,
    PsnNo,
    Quantity,
    Time,
)
from services.treating_region.service_layer import selfpaid
from shared.errors import E9002, E9009, E9012, RelayError
from shared.operator_access import OPERATOR_RESPONSES, OperatorDep
from shared.runtime import Runtime
from shared.web import ErrorEnvelope, StatusError, StorableInput, plain

router = APIRouter(tags=["manual reimbursement"])

HOSPITAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "x-tif headers missing, not verifying or stale"},
    404: {"model": ErrorEnvelope, "description": "No such visit of this institution (E9012)"},
}
ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    **OPERATOR_RESPONSES,
    404: {"model": ErrorEnvelope, "description": "No such visit (E9012)"},
    409: {"model": ErrorEnvelope, "description": "Another claim is recorded on the visit"},
}

VisitId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the self-paid visit's number")]
Region = Annotated[str, Field(pattern=r"^\d{6}$")]


class SelfPaidLine(HospitalInput):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    med_list_codg: Code
    medins_list_codg: str | None = Field(default=None, max_length=50)
    fee_ocur_time: Time | None = None
    det_item_fee_sumamt: Amount
    cnt: Quantity
    pric: Price
    med_chrgitm_type: ChargeCategory | None = None


class Diagnosis(HospitalInput):
    diag_type: str = Field(max_length=3)
    diag_code: str = Field(min_length=1, max_length=20)
    diag_name: str = Field(min_length=1, max_length=100)


class SelfPaidVisitIn(HospitalInput, StorableInput):
    psn_no: PsnNo
    insuplc_admdvs: Region
    insutype: str = Field(pattern=r"^(310|390)$")
    med_type: str = Field(pattern=r"^\d{2}$")
    ipt_otp_no: str = Field(min_length=1, max_length=30, description="住院号或门诊号")
    begntime: Time
    endtime: Time
    diseinfo: list[Diagnosis] = Field(min_length=1, max_length=50)
    feedetail: list[SelfPaidLine] = Field(min_length=1, max_length=5000)
    memo: str | None = Field(default=None, max_length=500, description="未能直接结算的原因")


class ClaimIn(HospitalInput, StorableInput):
    """What the insured region paid on the visit (its manual settlement)."""

    setl_id: str = Field(min_length=1, max_length=30)
    insuplc_admdvs: Region
    medfee_sumamt: Amount
    fund_pay_sumamt: Amount
    acct_pay: Amount
    psn_cash_pay: Amount
    setl_time: str = Field(max_length=40)
    filing_category: str | None = Field(default=None, max_length=2)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _catalogue(request: Request, admdvs: str) -> Mapping[str, CatalogueEntry]:
    catalogues: Mapping[str, Mapping[str, CatalogueEntry]] = request.app.state.catalogues
    found = catalogues.get(admdvs)
    if found is None:
        raise RelayError(E9002, detail=f"目录区划 {admdvs} 不在本平台")
    return found


def _hospital(request: Request) -> Institution:
    """The signing institution (reads and uploads are always signed: the signature says whose
    visits the caller may upload and read)."""
    paasid = signed_reader(request)
    institutions: Mapping[str, Institution] = request.app.state.institutions
    found = institutions.get(paasid)
    if found is None:
        raise RelayError(E9009, detail=f"定点医药机构 {paasid[:12]} 不是本平台的异地联网定点机构")
    return found


def _out(found: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = plain({k: v for k, v in found.items() if k != "request_hash"})
    return out


@router.post(
    "/selfpaid-visits",
    summary="A hospital uploads a visit it could not settle directly (paid in full by the "
    "person), with its fee lines and diagnoses, for manual reimbursement",
    responses=HOSPITAL_RESPONSES,
)
async def upload(request: Request, body: SelfPaidVisitIn) -> dict[str, Any]:
    hospital = _hospital(request)
    visit = body.model_dump(mode="json")
    found = await selfpaid.upload(
        _runtime(request).pool,
        hospital.fixmedins_code,
        hospital.admdvs,
        visit,
        _catalogue(request, hospital.admdvs),
    )
    return _out(found)


@router.get(
    "/selfpaid-visits/{visit_id}",
    summary="A hospital reads its own self-paid visit, with the claim the insured region paid",
    responses=HOSPITAL_RESPONSES,
)
async def read_own(request: Request, visit_id: VisitId) -> dict[str, Any]:
    hospital = _hospital(request)
    return _out(
        await selfpaid.of_institution(_runtime(request).pool, visit_id, hospital.fixmedins_code)
    )


@router.get(
    "/admin/selfpaid-visits/{visit_id}",
    summary="Operators: a self-paid visit, with its lines split by the catalogue of the "
    "region named (the insured region's own, for manual reimbursement: 参保地目录)",
    responses=ADMIN_RESPONSES,
)
async def read_visit(
    request: Request,
    operator: OperatorDep,
    visit_id: VisitId,
    catalogue: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> dict[str, Any]:
    found = await store.by_id(_runtime(request).pool, visit_id)
    if found is None:
        raise RelayError(E9012, detail=f"自费就诊 {visit_id}")
    out = _out(found)
    institutions: Mapping[str, Institution] = request.app.state.institutions
    out["medins_lv"] = institutions[found["fixmedins_code"]].medins_lv
    if catalogue is not None:
        out["split"] = selfpaid.under(found, _catalogue(request, catalogue))
    return operator.view(out)


@router.get(
    "/admin/selfpaid-visits",
    summary="Operators: self-paid visits by person or institution, each with its claim",
    responses=ADMIN_RESPONSES,
)
async def listing(
    request: Request,
    operator: OperatorDep,
    psn_no: Annotated[str | None, Query(max_length=30, pattern=r"^[0-9A-Za-z_-]+$")] = None,
    fixmedins_code: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z]{1,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    found = await store.listing(
        _runtime(request).pool, psn_no=psn_no, fixmedins_code=fixmedins_code, limit=limit
    )
    return operator.view([_out(f) for f in found])


@router.put(
    "/admin/selfpaid-visits/{visit_id}/claim",
    summary="Operators of the insured region: record what was paid on the visit (once)",
    responses=ADMIN_RESPONSES,
)
async def record_claim(
    request: Request, operator: OperatorDep, visit_id: VisitId, body: ClaimIn
) -> dict[str, Any]:
    pool = _runtime(request).pool
    found = await store.by_id(pool, visit_id)
    if found is None or found["insuplc_admdvs"] != body.insuplc_admdvs:
        raise RelayError(E9012, detail=f"自费就诊 {visit_id}")
    if not await store.record_claim(pool, visit_id, body.model_dump(mode="json")):
        raise StatusError(
            E9002, status_code=409, detail=f"自费就诊 {visit_id} 已记录另一笔零星报销"
        )
    updated = await store.by_id(pool, visit_id)
    assert updated is not None
    return operator.view(_out(updated))
