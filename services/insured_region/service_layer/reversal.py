"""2601 冲正 at the insured region: undo what the original message did here (design §4).

Each kind of original leaves something different behind: a settlement (its negative mirror undoes
it), a cancel (the settlement stands again), a filing (taken back), a registration (nothing kept
here, so only the tombstone). When the original has not arrived, a tombstone makes it refused
when it does. A reversal is refused (E4008) when later business rests on the original; undoing
that silently would move money nobody asked to move.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.insured_region.adapters import filings as filing_store
from services.insured_region.adapters import outbox
from services.insured_region.adapters import settlements as store
from services.insured_region.adapters.outbox import Debt
from services.insured_region.domain.filing import ACTIVE, REVERSED
from services.insured_region.domain.person import Person
from services.insured_region.service_layer import settlement
from shared import infno
from shared.errors import E1001, E4003, E4008, E9002, RelayError


async def reverse(
    sessions: async_sessionmaker[AsyncSession],
    cmd: settlement.ReverseCommand,
    debt: Debt | None = None,
) -> dict[str, Any]:
    if cmd.oinfno in infno.SETTLE:
        return await settlement.reverse(sessions, cmd, debt)
    if cmd.oinfno not in infno.REVERSIBLE - infno.UPLOAD:
        raise RelayError(E9002, detail=f"字段 oinfno：{cmd.oinfno} 交易不能冲正")
    async with sessions() as session, session.begin():
        done = await store.reversal(session, cmd.msgid)
        if done is not None:
            return done
        # one reversal per original at a time; a second one (a retry under a new msgid, after
        # the first one's answer was lost) gets the first one's answer, not a tombstone
        await store.lock_msgid(session, cmd.omsgid)
        earlier = await store.reversal_of(session, cmd.omsgid)
        if earlier is not None:
            return earlier
        person = await settlement.person_or_error(session, cmd.psn_no, cmd.insured_admdvs)
        if cmd.oinfno in infno.CANCEL:
            answer = await _reverse_cancel(session, cmd, person)
        elif cmd.oinfno in infno.FILING:
            answer = await _reverse_filing(session, cmd)
        else:  # a registration keeps nothing here; the tombstone refuses it if it comes late
            await _tombstone(session, cmd)
            answer = _result(cmd, "registration")
        await store.add_reversal(
            session, msgid=cmd.msgid, omsgid=cmd.omsgid, oinfno=cmd.oinfno, answer=answer
        )
        await outbox.owe(session, debt)
    return answer


def _result(cmd: settlement.ReverseCommand, what: str, **more: Any) -> dict[str, Any]:
    return {"result": {"omsgid": cmd.omsgid, "oinfno": cmd.oinfno, "reversed": what, **more}}


async def _tombstone(session: AsyncSession, cmd: settlement.ReverseCommand) -> None:
    await store.add_tombstone(session, omsgid=cmd.omsgid, oinfno=cmd.oinfno, msgid=cmd.msgid)


async def _reverse_cancel(
    session: AsyncSession, cmd: settlement.ReverseCommand, person: Person
) -> dict[str, Any]:
    """The cancelled settlement stands again, with its accumulators and account debit."""
    mirror = await store.by_msgid(session, cmd.omsgid)
    if mirror is None:
        await _tombstone(session, cmd)
        return _result(cmd, "tombstone")
    if mirror.refd_setl_flag != "1" or mirror.infno not in infno.CANCEL:
        raise RelayError(
            E9002, detail=f"字段 oinfno：原报文 {cmd.omsgid} 是 {mirror.infno} 交易，不是撤销结算"
        )
    if mirror.psn_no != cmd.psn_no:
        raise RelayError(E4003, detail=f"原报文 {cmd.omsgid} 不属于人员 {cmd.psn_no}")
    original = await store.by_setl_id(session, mirror.init_setl_id or "")
    assert original is not None  # a mirror always points at a stored original
    year = await store.lock_year(session, person.psn_no, original.year)
    if await store.later_than(session, person.psn_no, original.year, mirror.setl_time):
        # the caps and deductible used since then assumed the cancel: reinstating would break them
        raise RelayError(
            E4008, detail=f"人员 {person.psn_no} 在原报文 {cmd.omsgid} 之后已有新的结算"
        )
    balance = await store.lock_account(session, person.psn_no, original.insutype)
    if balance < original.acct_pay:
        raise RelayError(E4008, detail="个人账户余额已不足以扣回撤销时退回的金额")
    await store.save_year(session, person.psn_no, year.plus(store.acc_from_json(original.delta)))
    if original.acct_pay:
        await store.set_account(
            session, person.psn_no, original.insutype, balance - original.acct_pay
        )
    await store.remove(session, mirror.setl_id)
    await _tombstone(session, cmd)  # the cancel's msgid is spent: a redelivery of it is refused
    return {
        **_result(cmd, "cancel", setl_id=mirror.setl_id, init_setl_id=original.setl_id),
        **settlement.view_of_row(original, person),
    }


async def _reverse_filing(session: AsyncSession, cmd: settlement.ReverseCommand) -> dict[str, Any]:
    """The filing is taken back unless a standing settlement was made while it was there."""
    if not await filing_store.lock_person(session, cmd.psn_no):
        raise RelayError(E1001, detail=f"psn_no {cmd.psn_no}")
    made = await filing_store.by_msgid(session, cmd.omsgid)
    if made is None:
        await _tombstone(session, cmd)
        return _result(cmd, "tombstone")
    if made.psn_no != cmd.psn_no or made.chronic != (cmd.oinfno == "2503"):
        raise RelayError(
            E9002,
            detail=f"字段 omsgid：原报文 {cmd.omsgid} 不是人员 {cmd.psn_no} 的 {cmd.oinfno} 交易",
        )
    status = made.status  # one already cancelled (2502/2504) has nothing left to undo
    if status == ACTIVE:
        if await store.standing_since(session, cmd.psn_no, made.created_at):
            raise RelayError(E4008, detail=f"备案 {made.filing_id} 之后已有未撤销的结算")
        await filing_store.set_status(session, made, REVERSED)
        status = REVERSED
    return _result(cmd, "filing", trt_dcla_detl_sn=made.filing_id, status=status)


async def stored_answer(
    sessions: async_sessionmaker[AsyncSession], msgid: str
) -> dict[str, Any] | None:
    """What a reversal with this msgid already answered, if it ran."""
    async with sessions() as session:
        done = await store.reversal(session, msgid)
    return done if done is not None else await settlement.stored_answer(sessions, msgid)
