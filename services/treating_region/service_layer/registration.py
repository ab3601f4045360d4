"""A visit from admission or registration to discharge, and the changes on the way (issue 4).

Admission (2401) and registration (2201) are relayed: the insured region answers the visit's
``mdtrt_id``; the rest (2402–2405, 2203) touch only this region's database.
"""

from __future__ import annotations

from typing import Any

from services.treating_region.domain.visit import Action, VisitState
from services.treating_region.service_layer.commands import (
    ChangeAdmission,
    ChangeOutpatientVisit,
    Discharge,
    Register,
    VisitRef,
)
from services.treating_region.service_layer.context import (
    TreatingContext,
    check,
    china_date,
    institution,
    insured_region,
    relay,
    visit_of,
)
from shared.envelope import NationalRequest
from shared.errors import E3002, E9002, RelayError
from shared.settlement import RegistrationPayload

PHARMACY = "41"
"""The medical type of a purchase at a pharmacy (药店购药)."""
CHRONIC = "14"
"""The medical type of chronic and special outpatient care (门诊慢特病)."""


async def register(
    ctx: TreatingContext, request: NationalRequest, command: Register
) -> dict[str, Any]:
    """2401 / 2201: the insured region checks the person and answers the visit's ``mdtrt_id``;
    the visit is kept here after the relay (no transaction is held across it)."""
    if command.inpatient:
        need = "inpatient"
    else:
        need = "pharmacy" if command.med_type == PHARMACY else "outpatient"
    inst = institution(ctx, request, need=need)
    answer = await relay(
        ctx,
        request,
        RegistrationPayload(
            psn_no=command.psn_no,
            insutype=command.insutype,
            med_type=command.med_type,
            begntime=china_date(command.begins_at),
            emergency=command.emergency,
            trum_flag=command.trauma,
            rel_ttp_flag=command.third_party,
            medins_lv=inst.medins_lv,
        ).model_dump(mode="json"),
    )
    result = answer.get("result") or {}
    mdtrt_id = str(result.get("mdtrt_id") or "")
    if not mdtrt_id:
        raise RelayError(E9002, detail="参保地应答中缺少 mdtrt_id")
    async with ctx.uow() as uow:
        await uow.visits.add(
            mdtrt_id=mdtrt_id,
            fixmedins_code=request.fixmedins_code,
            psn_no=command.psn_no,
            insutype=command.insutype,
            insuplc_admdvs=insured_region(request),
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            inpatient=command.inpatient,
            med_type=command.med_type,
            state=(VisitState.ADMITTED if command.inpatient else VisitState.REGISTERED).value,
            begntime=command.begins_at,
            endtime=None,
            emergency=command.emergency,
            trum_flag=command.trauma,
            rel_ttp_flag=command.third_party,
            ipt_otp_no=command.number,
            opsp_dise_code=None,
            details=command.as_sent,
        )
        await uow.commit()
    registered = {
        "mdtrt_id": mdtrt_id,
        "psn_no": command.psn_no,
        "ipt_otp_no": command.number,
        "filing_category": result.get("filing_category"),
        "coverage": result.get("coverage"),
    }
    return {"result": registered} if command.inpatient else {"data": registered}


async def discharge(
    ctx: TreatingContext, request: NationalRequest, command: Discharge
) -> dict[str, Any]:
    """2402."""
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, command.mdtrt_id, command.psn_no)
        state = check(visit, Action.DISCHARGE)
        if command.ends_at < visit.begntime:
            raise RelayError(E9002, detail="字段 dscginfo.endtime：出院时间早于入院时间")
        await uow.visits.update(command.mdtrt_id, state=state.value, endtime=command.ends_at)
        await uow.commit()
    return {"result": {"mdtrt_id": command.mdtrt_id, "state": state.value}}


def _given(**columns: object) -> dict[str, object]:
    """The visit columns a change names (a field left out changes nothing)."""
    return {column: value for column, value in columns.items() if value is not None}


async def change_admission(
    ctx: TreatingContext, request: NationalRequest, command: ChangeAdmission
) -> dict[str, Any]:
    """2403."""
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, command.mdtrt_id, command.psn_no)
        check(visit, Action.CHANGE)
        changes = _given(
            begntime=command.begins_at,
            med_type=command.med_type,
            ipt_otp_no=command.number,
            emergency=command.emergency,
            trum_flag=command.trauma,
            rel_ttp_flag=command.third_party,
        )
        if changes:
            await uow.visits.update(command.mdtrt_id, **changes)
        await uow.commit()
    return {"result": {"mdtrt_id": command.mdtrt_id, "changed": sorted(changes)}}


async def change_outpatient_visit(
    ctx: TreatingContext, request: NationalRequest, command: ChangeOutpatientVisit
) -> dict[str, Any]:
    """2203."""
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, command.mdtrt_id, command.psn_no)
        check(visit, Action.CHANGE)
        if visit.inpatient:
            raise RelayError(E3002, detail="2203 只用于门诊就诊，住院请用 2403")
        if command.med_type == CHRONIC:
            institution(ctx, request, need="chronic")
        changes = _given(
            med_type=command.med_type,
            opsp_dise_code=command.chronic_disease,
            begntime=command.begins_at,
            emergency=command.emergency,
            trum_flag=command.trauma,
            rel_ttp_flag=command.third_party,
        )
        await uow.visits.update(command.mdtrt_id, **changes)
        await uow.commit()
    return {"result": {"mdtrt_id": command.mdtrt_id, "med_type": command.med_type}}


async def _undo(
    ctx: TreatingContext, request: NationalRequest, ref: VisitRef, action: Action
) -> dict[str, Any]:
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, ref.mdtrt_id, ref.psn_no)
        state = check(visit, action)
        if action is Action.CANCEL_ADMISSION and any(
            line.status == "active" for line in await uow.visits.lines(ref.mdtrt_id)
        ):
            raise RelayError(E3002, detail="请先撤销费用明细（2302），再取消入院")
        extra = {"endtime": None} if action is Action.CANCEL_DISCHARGE else {}
        await uow.visits.update(ref.mdtrt_id, state=state.value, **extra)
        await uow.commit()
    return {"result": {"mdtrt_id": ref.mdtrt_id, "state": state.value}}


async def cancel_admission(
    ctx: TreatingContext, request: NationalRequest, command: VisitRef
) -> dict[str, Any]:
    """2404."""
    return await _undo(ctx, request, command, Action.CANCEL_ADMISSION)


async def cancel_discharge(
    ctx: TreatingContext, request: NationalRequest, command: VisitRef
) -> dict[str, Any]:
    """2405."""
    return await _undo(ctx, request, command, Action.CANCEL_DISCHARGE)
