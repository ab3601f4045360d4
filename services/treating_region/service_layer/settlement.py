"""Settlement at the treating region: pre-settle, settle and cancel (design §2, §5).

A settle moves the visit to ``settling`` before it leaves, so a second settle cannot start while
the first is on its way; the answer moves it on. The settlement the insured region makes is kept
in the ledger (``adapters/ledger.py``), on time and from a late reply alike. Its 2601 is in
``reversal.py``.

The settle path (``_settleable`` and the ledger's record) runs single statements, each
autocommitted on the pool (``Visits(ctx.pool)``, ``Ledger(ctx.pool)``): a unit of work around
one statement would add a BEGIN and a COMMIT round trip and make nothing more atomic. Where a
use case writes more than one statement together, it does so in ``ctx.uow()``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from services.treating_region.adapters import ledger, visits
from services.treating_region.domain.categories import Totals, by_category, totals_of
from services.treating_region.domain.split import LineSplit
from services.treating_region.domain.visit import Action, VisitState, transition
from services.treating_region.service_layer.commands import CancelSettlement, Settle
from services.treating_region.service_layer.context import (
    Answered,
    Output,
    TreatingContext,
    check,
    china_date,
    own,
    relay,
    same_region,
    visit_of,
)
from shared import infno
from shared.envelope import NationalRequest, RelayEnvelope
from shared.errors import E3001, E3002, E3007, E3008, E5002, E9002, RelayError
from shared.money import MAX_AMOUNT, ZERO, to_cents
from shared.settlement import CancelPayload, CategoryTotal, SettlementPayload, SplitLine
from shared.web import describe_validation_error


def _amounts_match(command: Settle, totals: Totals) -> list[str]:
    """What the hospital computed, where it says, against the sum of the fee lines kept here."""
    pairs = [
        ("medfee_sumamt", command.medfee_sumamt, totals.medfee_sumamt),
        ("fulamt_ownpay_amt", command.fulamt_ownpay_amt, totals.fulamt_ownpay_amt),
        ("overlmt_selfpay", command.overlmt_selfpay, totals.overlmt_selfpay),
        ("preselfpay_amt", command.preselfpay_amt, totals.preselfpay_amt),
        ("inscp_scp_amt", command.inscp_scp_amt, totals.inscp_scp_amt),
    ]
    return [
        f"{name} {sent} 与费用明细合计 {ours} 不一致"
        for name, sent, ours in pairs
        if sent is not None and sent != ours
    ]


async def _settleable(
    ctx: TreatingContext,
    request: NationalRequest,
    command: Settle,
    *,
    inpatient: bool,
    store: bool,
) -> tuple[visits.VisitRecord, list[LineSplit], Totals]:
    """The visit (moved to ``settling`` for a settle), its lines and their totals, checked.

    A compare-and-set into ``settling`` (it waits for, then shuts out, any upload: no line comes
    or goes while a visit is settling), then the lines; a failed check moves the visit back. Two
    autocommitted statements, not a transaction: the checks that name what is wrong with the
    visit run only when the compare-and-set fails. A crash between the two leaves the visit
    ``settling`` under a message still pending, which is what an unknown outcome looks like and
    is cleared the same way (the hospital's query, then 2601).
    """
    if store:
        opened = VisitState.DISCHARGED if inpatient else VisitState.REGISTERED
        visit = await visits.Visits(ctx.pool).to_settling(
            command.mdtrt_id,
            request.fixmedins_code,
            command.psn_no,
            inpatient,
            opened.value,
            transition(opened, Action.SETTLE, inpatient=inpatient).value,
        )
        if visit is None:
            await _diagnose(ctx, request, command, inpatient=inpatient, action=Action.SETTLE)
            raise RelayError(E3002, detail=f"就诊 {command.mdtrt_id} 状态刚刚变化，请重试")
    else:
        visit = await _diagnose(
            ctx, request, command, inpatient=inpatient, action=Action.PRE_SETTLE
        )
    try:
        same_region(request, visit)
        lines = await visits.Visits(ctx.pool).active_splits(command.mdtrt_id)
        if not lines:
            raise RelayError(E3008, detail=command.mdtrt_id)
        totals = totals_of(lines)
        if abs(totals.medfee_sumamt) >= MAX_AMOUNT:  # no settlement column could hold it
            raise RelayError(
                E9002, detail=f"字段 medfee_sumamt：费用合计 {totals.medfee_sumamt} 超出上限"
            )
        problems = _amounts_match(command, totals)
        if problems:
            raise RelayError(E3007, detail="；".join(problems))
    except Exception:
        if store:
            await _reopen(ctx, command.mdtrt_id, inpatient=inpatient)
        raise
    return visit, lines, totals


async def _reopen(ctx: TreatingContext, mdtrt_id: str, *, inpatient: bool) -> None:
    """A settle refused (here, or by the insured region): the visit opens again."""
    state = transition(VisitState.SETTLING, Action.SETTLE_REFUSED, inpatient=inpatient)
    async with ctx.uow() as uow:
        await uow.visits.move(mdtrt_id, VisitState.SETTLING.value, state.value)
        await uow.commit()


async def _diagnose(
    ctx: TreatingContext,
    request: NationalRequest,
    command: Settle,
    *,
    inpatient: bool,
    action: Action,
) -> visits.VisitRecord:
    """The visit, or the error that says why it cannot be (pre-)settled."""
    visit = own(
        await visits.Visits(ctx.pool).get(command.mdtrt_id),
        request,
        command.mdtrt_id,
        command.psn_no,
    )
    if visit.inpatient != inpatient:
        raise RelayError(E3002, detail="住院请用 2303/2304，门诊请用 2206/2207")
    check(visit, action)
    return visit


def _cents(value: Decimal) -> Decimal:
    """Whole cents, as the wire has always carried them (``12.50``, never ``-0.00``)."""
    cents = to_cents(value)
    return cents if cents else ZERO


def _payload(
    ctx: TreatingContext,
    visit: visits.VisitRecord,
    command: Settle,
    lines: list[LineSplit],
    totals: Totals,
    *,
    inpatient: bool,
) -> SettlementPayload:
    """The settlement contract the insured region parses (``shared/settlement.py``): category
    totals for a stay, the split lines for outpatient care."""
    return SettlementPayload(
        psn_no=command.psn_no,
        insutype=command.insutype or visit.insutype,
        mdtrt_id=command.mdtrt_id,
        med_type=visit.med_type,
        medins_lv=ctx.institutions[visit.fixmedins_code].medins_lv,
        begntime=china_date(visit.begntime),
        endtime=china_date(visit.endtime or visit.begntime),
        emergency=visit.emergency,
        trum_flag=visit.trum_flag,
        rel_ttp_flag=visit.rel_ttp_flag,
        acct_used_flag=command.use_account,
        opsp_dise_code=visit.opsp_dise_code,
        medfee_sumamt=_cents(totals.medfee_sumamt),
        fulamt_ownpay_amt=_cents(totals.fulamt_ownpay_amt),
        overlmt_selfpay=_cents(totals.overlmt_selfpay),
        preselfpay_amt=_cents(totals.preselfpay_amt),
        inscp_scp_amt=_cents(totals.inscp_scp_amt),
        categories=tuple(
            CategoryTotal(
                med_chrgitm_type=category.med_chrgitm_type,
                det_item_fee_sumamt=_cents(category.det_item_fee_sumamt),
                fulamt_ownpay_amt=_cents(category.fulamt_ownpay_amt),
                overlmt_amt=_cents(category.overlmt_amt),
                preselfpay_amt=_cents(category.preselfpay_amt),
                inscp_scp_amt=_cents(category.inscp_scp_amt),
            )
            for category in (by_category(lines) if inpatient else ())
        ),
        lines=()
        if inpatient
        else tuple(
            SplitLine(
                feedetl_sn=line.feedetl_sn,
                med_chrgitm_type=line.med_chrgitm_type,
                det_item_fee_sumamt=_cents(line.det_item_fee_sumamt),
                fulamt_ownpay_amt=_cents(line.fulamt_ownpay_amt),
                overlmt_amt=_cents(line.overlmt_amt),
                preselfpay_amt=_cents(line.preselfpay_amt),
                inscp_scp_amt=_cents(line.inscp_scp_amt),
            )
            for line in lines
        ),
    )


async def settle(ctx: TreatingContext, request: NationalRequest, command: Settle) -> Output:
    """2303/2206 pre-settle (nothing kept), 2304/2207 settle.

    The visit moves to ``settling`` before the relay and the ledger keeps the answer after it
    (no transaction is held across the round trip); the ledger's one statement also answers the
    hospital's message. Both are single statements autocommitted on the pool — a unit of work
    would add a BEGIN and a COMMIT round trip to each; a refusal reopens the visit in a unit of
    work of its own (``_reopen``).
    """
    inpatient = request.infno in infno.INPATIENT
    store = request.infno in infno.SETTLE
    visit, lines, totals = await _settleable(
        ctx, request, command, inpatient=inpatient, store=store
    )
    try:
        payload = _payload(ctx, visit, command, lines, totals, inpatient=inpatient)
    except ValidationError as exc:  # what the insured region would refuse: refused here
        if store:
            await _reopen(ctx, command.mdtrt_id, inpatient=inpatient)
        detail = describe_validation_error(list(exc.errors()), prefix="settlement")
        raise RelayError(E9002, detail=detail) from exc
    try:
        answer = await relay(
            ctx, request, payload.model_dump(mode="json"), insured=visit.insuplc_admdvs
        )
    except RelayError as exc:
        if store and exc.code != E5002.code:  # refused: the visit opens again
            await _reopen(ctx, command.mdtrt_id, inpatient=inpatient)
        raise  # E5002: the visit stays "settling" until the outcome is known
    if not store:
        return answer
    categories = [category.model_dump(mode="json") for category in payload.categories]
    entry = ledger.entry_of(answer, msgid=request.msgid, infno=request.infno, categories=categories)
    await ledger.Ledger(ctx.pool).record(entry, answered=answer)
    return Answered(answer)


async def cancel(
    ctx: TreatingContext, request: NationalRequest, command: CancelSettlement
) -> Output:
    """2305/2208: the insured region makes the negative mirror; the ledger keeps it here.

    The visit moves to ``cancelling`` in one unit of work before the relay, and the ledger keeps
    the answer in one autocommitted statement after it; a refusal moves the visit back in a
    second unit of work (no transaction is held across the round trip).
    """
    inpatient = request.infno in infno.INPATIENT
    try:  # before the visit moves: what the insured region would refuse is refused here
        payload = CancelPayload(
            psn_no=command.psn_no, setl_id=command.setl_id, mdtrt_id=command.mdtrt_id
        )
    except ValidationError as exc:
        detail = describe_validation_error(list(exc.errors()), prefix="data")
        raise RelayError(E9002, detail=detail) from exc
    async with ctx.uow() as uow:
        visit = await visit_of(uow, request, command.mdtrt_id, command.psn_no)
        if visit.inpatient != inpatient:
            raise RelayError(E3002, detail="住院撤销结算请用 2305，门诊请用 2208")
        cancelling = check(visit, Action.CANCEL_SETTLEMENT)
        same_region(request, visit)
        original = await uow.ledger.by_setl_id(command.setl_id)
        if original is None or original.mdtrt_id != command.mdtrt_id:
            raise RelayError(E3001, detail=f"setl_id {command.setl_id}")
        await uow.visits.move(command.mdtrt_id, visit.state, cancelling.value)
        await uow.commit()
    try:
        answer = await relay(
            ctx, request, {"data": payload.model_dump(mode="json")}, insured=visit.insuplc_admdvs
        )
    except RelayError as exc:
        if exc.code != E5002.code:  # refused: the settlement stands
            settled = transition(cancelling, Action.CANCEL_REFUSED, inpatient=inpatient)
            async with ctx.uow() as uow:
                await uow.visits.move(command.mdtrt_id, cancelling.value, settled.value)
                await uow.commit()
        raise  # E5002: the visit stays "cancelling" until the outcome is known
    entry = ledger.entry_of(answer, msgid=request.msgid, infno=request.infno)
    await ledger.Ledger(ctx.pool).record(entry, answered=answer)
    return Answered(answer)


async def record_late(ctx: TreatingContext, reply: RelayEnvelope) -> None:
    """A settle's or cancel's answer after the deadline: the ledger entry the on-time answer
    would have made (the category totals were the request's: an answer does not carry them)."""
    entry = ledger.entry_of(reply.payload, msgid=reply.msgid, infno=reply.infno)
    await ledger.Ledger(ctx.pool).record(entry)
