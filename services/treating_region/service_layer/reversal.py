"""冲正 (2601) at the treating region, every kind in one place (design §4).

What a 2601 names decides what it undoes here:

* a settlement (2304/2207): the insured region answers its negative mirror, which the ledger
  keeps as it keeps a cancel; the visit opens again. If the settle has not come yet, a tombstone
  there refuses it when it does;
* a cancel (2305/2208): the cancelled settlement stands again on both sides (the mirror goes);
* an admission or registration (2401/2201): the visit is cancelled, if nothing came after it;
* a fee upload (2301/2204): its lines are cancelled here; nothing is relayed;
* a filing (2501/2503): the insured region undoes it; nothing is kept here.

``apply`` is what the insured region's answer means here, whether it comes on time or late.
"""

from __future__ import annotations

from typing import Any

from services.treating_region.adapters import ledger, messages
from services.treating_region.domain.visit import Action, VisitState, transition
from services.treating_region.service_layer.commands import Reverse
from services.treating_region.service_layer.context import (
    TreatingContext,
    check,
    insured_region,
    move_if,
    relay,
    visit_of,
)
from shared import infno
from shared.envelope import NationalRequest, RelayEnvelope, spec_form_owner
from shared.errors import E4007, E4008, E5002, E9002, E9006, E9009, RelayError
from shared.settlement import ReversalPayload

REVERSED = "reversed"
"""The status of a message a 2601 undid (or came before): its msgid is spent."""


async def reverse(
    ctx: TreatingContext, request: NationalRequest, command: Reverse
) -> dict[str, Any]:
    """Undo the original at every hop that saw it, or refuse it if it is late.

    The original's msgid is spent either way: a tombstone if it has not come yet, ``reversed``
    if it has. Where later business rests on the original (fee lines on an admission, a refund
    of an uploaded line, a settlement after a cancel) the reversal is refused with E4008.
    No transaction is held across the relay: what moves before it and what ``apply`` records
    after it are short transactions of their own (a unit of work each, or one autocommitted
    statement of the message log or the ledger).
    """
    stored = await messages.find(ctx.pool, command.omsgid)
    owner = stored.fixmedins_code if stored is not None else spec_form_owner(command.omsgid)
    if owner is not None and owner != request.fixmedins_code:
        raise RelayError(E9009, detail="一家机构只能冲正本机构的报文")
    if stored is None:
        await messages.tombstone(
            ctx.pool,
            msgid=command.omsgid,
            infno=command.oinfno,
            fixmedins_code=request.fixmedins_code,
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            insuplc_admdvs=insured_region(request),
            inf_refmsgid=request.msgid,
        )
    else:
        if stored.infno != command.oinfno:
            raise RelayError(
                E9002,
                detail=f"字段 oinfno：原报文 {command.omsgid} 是 {stored.infno} 交易，"
                f"不是 {command.oinfno}",
            )
        if stored.status == "pending" and not stored.stuck(ctx.deadline_s):
            raise RelayError(E9006, detail=command.omsgid)
        if stored.status == REVERSED and command.oinfno not in infno.SETTLE:
            return _reversed(command, "already reversed")
    # the reversal goes where the original went, whatever this request names
    insured = stored.insuplc_admdvs if stored and stored.insuplc_admdvs else insured_region(request)
    if command.oinfno in infno.UPLOAD:
        answer = await _reverse_upload(ctx, request, command, stored)
        await _spend(ctx, command.omsgid, request.msgid)
        return answer
    if command.oinfno in infno.CANCEL:
        answer, mdtrt_id = await _reverse_cancel(ctx, request, command, insured)
        # the visit the cancel's mirror belongs to, whatever this request names
        return await apply(ctx, request, answer, mdtrt_hint=mdtrt_id or command.mdtrt_id)
    if command.oinfno in infno.REGISTER:
        await _check_registration_reversible(ctx, request, command, stored)
    answer = await _relay(ctx, request, command, insured)
    return await apply(ctx, request, answer, mdtrt_hint=command.mdtrt_id)


async def _spend(ctx: TreatingContext, omsgid: str, by: str) -> None:
    """The original's msgid is spent: a repeat of it is refused (E4007)."""
    await messages.answer(
        ctx.pool, omsgid, status=REVERSED, err_code=E4007.code, err_detail=f"已被报文 {by} 冲正"
    )


async def apply(
    ctx: TreatingContext,
    source: NationalRequest | RelayEnvelope,
    answer: dict[str, Any],
    *,
    mdtrt_hint: str | None = None,
) -> dict[str, Any]:
    """What the insured region's answer to a 2601 means here — on time or as a late reply.

    Idempotent: a settlement is recorded once, a visit moves only from the states it can.
    """
    result = answer.get("result") or {}
    omsgid, oinfno = str(result.get("omsgid") or ""), result.get("oinfno")
    if not omsgid:
        return answer
    info = answer.get("setlinfo") or {}
    mdtrt_id = mdtrt_hint or info.get("mdtrt_id")
    if oinfno in infno.SETTLE:
        if info:  # the settlement's negative mirror, kept like a cancel's: the visit opens again
            entry = ledger.entry_of(answer, msgid=source.msgid, infno=source.infno)
            await ledger.Ledger(ctx.pool).record(entry)  # one statement, autocommitted
        elif mdtrt_id:  # a tombstone: a settle still on its way will be refused
            await move_if(ctx, mdtrt_id, VisitState.SETTLING, Action.SETTLE_REFUSED)
    elif oinfno in infno.CANCEL and mdtrt_id:
        await _apply_cancel_reversal(ctx, omsgid, mdtrt_id, result)
    elif oinfno in infno.REGISTER:
        mdtrt_id = _visit_registered_by(await messages.find(ctx.pool, omsgid))
        if mdtrt_id is not None:
            await _cancel_registered_visit(ctx, mdtrt_id)
            answer = {**answer, "result": {**result, "mdtrt_id": mdtrt_id}}
    await _spend(ctx, omsgid, source.msgid)
    return answer


def _reversed(command: Reverse, what: str, **more: Any) -> dict[str, Any]:
    return {
        "result": {"omsgid": command.omsgid, "oinfno": command.oinfno, "reversed": what, **more}
    }


async def _relay(
    ctx: TreatingContext, request: NationalRequest, command: Reverse, insured: str
) -> dict[str, Any]:
    return await relay(
        ctx,
        request,
        {
            "data": ReversalPayload(
                psn_no=command.psn_no, omsgid=command.omsgid, oinfno=command.oinfno
            ).model_dump(mode="json")
        },
        insured=insured,
    )


# ---------------------------------------------------------------- a fee upload
async def _reverse_upload(
    ctx: TreatingContext,
    request: NationalRequest,
    command: Reverse,
    stored: messages.StoredMessage | None,
) -> dict[str, Any]:
    """The lines of that upload are cancelled, unless settled or refunded since."""
    if stored is None:
        return _reversed(command, "tombstone")
    async with ctx.uow() as uow:
        lines = await uow.visits.lines_uploaded_by(command.omsgid)
        if not lines:  # the upload was refused: nothing of it is kept
            return _reversed(command, "nothing kept")
        mdtrt_id = lines[0].mdtrt_id
        visit = await visit_of(uow, request, mdtrt_id, command.psn_no)
        check(visit, Action.CANCEL_LINES)
        if any(line.setl_id is not None for line in lines):
            raise RelayError(E4008, detail=f"报文 {command.omsgid} 上传的明细已结算")
        sns = [line.feedetl_sn for line in lines]
        if await uow.visits.refunds_of(mdtrt_id, sns, other_than=command.omsgid):
            raise RelayError(E4008, detail=f"报文 {command.omsgid} 上传的明细之后已有退费")
        count = await uow.visits.cancel_upload(command.omsgid)
        await uow.commit()
    return _reversed(command, "fee lines", mdtrt_id=mdtrt_id, cancelled=count)


# ---------------------------------------------------------------- an admission or registration
def _visit_registered_by(stored: messages.StoredMessage | None) -> str | None:
    """The mdtrt_id an admission (2401 ``result``) or registration (2201 ``data``) answered."""
    output = (stored.output if stored is not None else None) or {}
    part = output.get("result") or output.get("data") or {}
    return str(part["mdtrt_id"]) if isinstance(part, dict) and part.get("mdtrt_id") else None


async def _check_registration_reversible(
    ctx: TreatingContext,
    request: NationalRequest,
    command: Reverse,
    stored: messages.StoredMessage | None,
) -> None:
    """The visit must still be as admitted: no fee lines, nothing after it."""
    mdtrt_id = _visit_registered_by(stored)
    if mdtrt_id is None:
        return
    async with ctx.uow() as uow:  # reads only: nothing to commit
        visit = await visit_of(uow, request, mdtrt_id, command.psn_no, lock=False)
        check(visit, Action.REVERSE_REGISTRATION)
        if any(line.status == "active" for line in await uow.visits.lines(mdtrt_id)):
            raise RelayError(
                E4008, detail=f"就诊 {mdtrt_id} 已有费用明细，请先撤销明细（2302/2205）"
            )


async def _cancel_registered_visit(ctx: TreatingContext, mdtrt_id: str) -> None:
    """The visit is cancelled — unless fee lines came meanwhile (the insured region keeps
    nothing for a registration, so the visit simply stays as it is then)."""
    async with ctx.uow() as uow:
        visit = await uow.visits.get(mdtrt_id, lock=True)
        if visit is None:
            return
        if any(line.status == "active" for line in await uow.visits.lines(mdtrt_id)):
            raise RelayError(E4008, detail=f"就诊 {mdtrt_id} 在冲正期间上传了费用明细")
        state = transition(VisitState(visit.state), Action.REVERSE_REGISTRATION, inpatient=True)
        await uow.visits.move(mdtrt_id, visit.state, state.value)
        await uow.commit()


# ---------------------------------------------------------------- a settlement's cancel
async def _reverse_cancel(
    ctx: TreatingContext, request: NationalRequest, command: Reverse, insured: str
) -> tuple[dict[str, Any], str | None]:
    """The cancelled settlement stands again on both sides, its lines settled by it again.

    While the reversal is on its way the visit is ``cancelling`` again: no settle, no upload
    can start on it (a new settlement there and the reinstated one would both stand). One unit
    of work before the relay; after it, the ledger's statement (``apply``), or a second unit of
    work to move it back.
    """
    moved: tuple[str, str] | None = None
    async with ctx.uow() as uow:
        mirror = await uow.ledger.by_msgid(command.omsgid)
        if mirror is not None:
            visit = await visit_of(uow, request, mirror.mdtrt_id, command.psn_no)
            check(visit, Action.REVERSE_CANCEL)
            if await uow.visits.unsettled_total(visit.mdtrt_id) != -mirror.medfee_sumamt:
                raise RelayError(
                    E4008, detail=f"就诊 {visit.mdtrt_id} 的费用明细在撤销结算后已有变化"
                )
            if visit.state != VisitState.CANCELLING.value:
                await uow.visits.move(visit.mdtrt_id, visit.state, VisitState.CANCELLING.value)
                moved = (visit.mdtrt_id, visit.state)
        await uow.commit()
    try:
        answer = await _relay(ctx, request, command, insured)
    except RelayError as exc:
        if moved is not None and exc.code != E5002.code:  # refused: as it was
            async with ctx.uow() as uow:
                await uow.visits.move(moved[0], VisitState.CANCELLING.value, moved[1])
                await uow.commit()
        raise  # E5002: it stays cancelling until the outcome is known
    return answer, mirror.mdtrt_id if mirror is not None else None


async def _apply_cancel_reversal(
    ctx: TreatingContext, omsgid: str, mdtrt_id: str, result: dict[str, Any]
) -> None:
    """The insured region reinstated the settlement (or had already): so does the ledger here.
    If the cancel never got there, the visit simply is settled again."""
    if result.get("reversed") in ("cancel", "already reversed"):
        setl_id = result.get("init_setl_id")
        await ledger.Ledger(ctx.pool).reinstate(  # one statement, autocommitted
            cancel_msgid=omsgid,
            mdtrt_id=mdtrt_id,
            setl_id=str(setl_id) if setl_id else None,
        )
    else:
        await move_if(ctx, mdtrt_id, VisitState.CANCELLING, Action.CANCEL_REFUSED)
