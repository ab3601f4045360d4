"""The insured region's settlement ledger: settle, cancel and 2601 冲正 (design §4, §7).

Every handler has one shape: a command in, one ``async with uow:``, the domain's rule, one
commit (rolled back unless committed). A settle writes the settlement, the person-year's new
accumulators, the account and the owed reply in one statement under the person-year lock; a
cancel writes the negative mirror the same way; a 2601 undoes what its original did here. A
redelivered or retried msgid gets the stored answer; the outbox relay of owed replies
(``owed_replies.py``) reads it with ``stored_answer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import Any

import asyncpg

from services.insured_region.adapters.ledger import (
    OwedReply,
    Settlement,
    acc_from_json,
    ids_of,
    new_settlement,
)
from services.insured_region.domain.breakdown import (
    Accumulators,
    Breakdown,
    FeeTotals,
    NotSettleable,
    SettlementInputs,
    breakdown_violations,
    compute_breakdown,
)
from services.insured_region.domain.filing import ACTIVE, REVERSED, Care, coverage
from services.insured_region.domain.person import Person
from services.insured_region.domain.policy import RegionPolicy, policy_for, pool_of
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from shared import clock, infno
from shared.canonical import canonical_hash
from shared.errors import (
    E1001,
    E2008,
    E4001,
    E4002,
    E4003,
    E4004,
    E4005,
    E4006,
    E4007,
    E4008,
    E4009,
    E9002,
    RelayError,
)
from shared.money import ZERO, format_amount, parts_violation
from shared.settlement import REVERSED_ELSEWHERE, CancelPayload, SettlementPayload

REVERSIBLE_HERE = REVERSED_ELSEWHERE
"""A fee upload's reversal stays at the treating region; everything else comes here."""


@dataclass(frozen=True, slots=True)
class SettleCommand:
    """2303/2206 (pre-settle) and 2304/2207 (settle)."""

    msgid: str
    infno: str
    insured_admdvs: str
    treating_admdvs: str
    fixmedins_code: str
    payload: SettlementPayload


@dataclass(frozen=True, slots=True)
class CancelCommand:
    """2305/2208: cancel the settlement ``payload.setl_id``."""

    msgid: str
    infno: str
    insured_admdvs: str
    treating_admdvs: str
    fixmedins_code: str
    payload: CancelPayload


@dataclass(frozen=True, slots=True)
class ReverseCommand:
    """2601: undo the message ``omsgid`` (an ``oinfno``) of person ``psn_no``."""

    msgid: str
    insured_admdvs: str
    treating_admdvs: str
    fixmedins_code: str
    omsgid: str
    oinfno: str
    psn_no: str


# ---------------------------------------------------------------- settle


async def settle(
    uow: UnitOfWork,
    policies: Mapping[str, RegionPolicy],
    cmd: SettleCommand,
    owed: OwedReply | None = None,
) -> dict[str, Any]:
    """2304/2207: compute, and store settlement + accumulators + account + owed reply.

    The hot path: three statements in one transaction — the locks (msgid, a share of the
    person, the person-year made on first use), one look that locks the person-year then the
    account, and one write.
    """
    policy = policy_for(policies, cmd.insured_admdvs)
    check_balance(cmd.payload)
    digest = canonical_hash(cmd.payload.model_dump(mode="json"))
    p = cmd.payload
    try:
        async with uow:
            entry, person = await uow.ledger.enter(
                cmd.msgid, p.psn_no, settlement_year(p), p.insutype
            )
            if not entry.settled:
                if entry.tombstone:
                    raise RelayError(E4007, detail=cmd.msgid)
                person = insured_here(person, p.psn_no, cmd.insured_admdvs)
                if entry.year is None:  # the lock statement makes the row for every known person
                    raise LookupError(f"no accumulator row for {p.psn_no} in {p.endtime.year}")
                inputs = inputs_of(policy, person, cmd, entry.balance)
                breakdown = compute(inputs, policy, entry.year)
                now = clock.now()
                mdtrt_id, setl_id = ids_of(entry.seq, cmd.insured_admdvs, now)
                row = new_settlement(
                    setl_id=setl_id,
                    mdtrt_id=p.mdtrt_id or mdtrt_id,
                    b=breakdown,
                    meta=_meta(cmd, digest, inputs.filing_category),
                    now=now,
                )
                if not await uow.ledger.write(
                    row,
                    year=entry.year.plus(breakdown.delta),
                    account_moved=bool(breakdown.acct_pay),
                    owed=owed,
                    only_if_visit_unsettled=True,
                ):
                    raise RelayError(E4009, detail=f"就诊 {row.mdtrt_id} 已有未撤销的结算")
                await uow.commit()
                return answer_of(row, person)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "uq_settlement_medins_setl_id":
            raise  # not a repeat of this msgid: a bug to see, not to paper over
        # the same msgid settled concurrently (the lock makes it rare): answer with it
    async with uow:  # a repeat: the stored answer, if the body is the same
        existing = await uow.ledger.by_msgid(cmd.msgid)
        if existing is None:
            raise RelayError(E4004, detail=f"报文 {cmd.msgid} 已结算，但结算记录已不存在")
        person = insured_here(await uow.ledger.person(p.psn_no), p.psn_no, cmd.insured_admdvs)
    return _replay(existing, digest, person)


def settlement_year(payload: SettlementPayload) -> int:
    """The accumulators a settlement counts in: its discharge's (or visit's) year, so a stay
    across New Year counts in the year it ends (design §7)."""
    return payload.endtime.year


def _replay(existing: Settlement, digest: str, person: Person) -> dict[str, Any]:
    if existing.request_hash != digest:
        raise RelayError(E4002, detail=existing.medins_setl_id)
    return answer_of(existing, person)


def _meta(cmd: SettleCommand, digest: str, category: str | None) -> dict[str, Any]:
    return {
        "psn_no": cmd.payload.psn_no,
        "insutype": cmd.payload.insutype,
        "insuplc_admdvs": cmd.insured_admdvs,
        "mdtrtarea_admvs": cmd.treating_admdvs,
        "fixmedins_code": cmd.fixmedins_code,
        "medins_setl_id": cmd.msgid,
        "infno": cmd.infno,
        "med_type": cmd.payload.med_type,
        "request_hash": digest,
        "year": settlement_year(cmd.payload),
        "refd_setl_flag": "0",
        "init_setl_id": None,
        "filing_category": category,
    }


# ---------------------------------------------------------------- cancel


async def cancel(
    uow: UnitOfWork, cmd: CancelCommand, owed: OwedReply | None = None
) -> dict[str, Any]:
    """2305/2208: a negative mirror; the year it came from gets its amounts back."""
    p = cmd.payload
    digest = canonical_hash(p.model_dump(mode="json"))
    async with uow:
        person = insured_here(await uow.ledger.person(p.psn_no), p.psn_no, cmd.insured_admdvs)
        await uow.ledger.lock_msgid(cmd.msgid)
        existing = await uow.ledger.by_msgid(cmd.msgid)
        if existing is not None:
            return _replay(existing, digest, person)
        if await uow.ledger.tombstoned(cmd.msgid):
            raise RelayError(E4007, detail=cmd.msgid)
        original = await uow.ledger.by_setl_id(p.setl_id)
        if original is None or original.psn_no != p.psn_no or original.refd_setl_flag != "0":
            raise RelayError(E4003, detail=p.setl_id)
        mirror = await _mirror(uow, original, msgid=cmd.msgid, infno=cmd.infno, digest=digest,
                               owed=owed)  # fmt: skip
        await uow.commit()
    return answer_of(mirror, person)


async def _mirror(
    uow: UnitOfWork,
    original: Settlement,
    *,
    msgid: str,
    infno: str,
    digest: str,
    owed: OwedReply | None,
) -> Settlement:
    """Write the cancel of ``original`` under ``msgid``: E4004 if it was cancelled already.

    The person-year lock comes first, so two cancels of one settlement take turns and the
    second one sees the first.
    """
    if original.refd_setl_flag != "0":
        raise ValueError(f"{original.setl_id} is a mirror: a mirror is never mirrored")
    year = await uow.ledger.lock_year(original.psn_no, original.year)
    if await uow.ledger.cancellation_of(original.setl_id) is not None:
        raise RelayError(E4004, detail=original.setl_id)
    balance = await uow.ledger.lock_account(original.psn_no, original.insutype)
    now = clock.now()
    _, setl_id = ids_of(await uow.ledger.next_seq(), original.insuplc_admdvs, now)
    mirror = original.mirror(
        setl_id=setl_id,
        balc=balance + original.acct_pay,
        medins_setl_id=msgid,
        infno=infno,
        request_hash=digest,
        now=now,
    )
    try:
        await uow.ledger.write(
            mirror,
            year=year.plus(acc_from_json(original.delta), sign=-1),
            account_moved=bool(original.acct_pay),
            owed=owed,
            only_if_visit_unsettled=False,
        )
    except asyncpg.UniqueViolationError as exc:  # the locks make these unreachable; if not:
        if exc.constraint_name == "uq_settlement_init_setl_id":
            raise RelayError(E4004, detail=original.setl_id) from exc
        if exc.constraint_name == "uq_settlement_medins_setl_id":
            raise RelayError(E4002, detail=msgid) from exc
        raise
    return mirror


# ---------------------------------------------------------------- 2601 冲正


async def reverse(
    uow: UnitOfWork, cmd: ReverseCommand, owed: OwedReply | None = None
) -> dict[str, Any]:
    """2601: undo what the original message did here, or leave a tombstone if it has not come.

    Each kind of original leaves something different behind: a settlement (its negative mirror
    undoes it), a cancel (the settlement stands again), a filing (taken back), a registration
    (nothing kept here, so only the tombstone). A tombstone makes the late original refused
    (E4007). A reversal is refused (E4008) when later business rests on the original; undoing
    that silently would move money nobody asked to move. The same reversal answers the same.
    """
    if cmd.oinfno in infno.SETTLE:
        return await _reverse_settlement(uow, cmd, owed)
    if cmd.oinfno not in REVERSIBLE_HERE:
        raise RelayError(E9002, detail=f"字段 oinfno：{cmd.oinfno} 交易不能冲正")
    async with uow:
        done = await uow.ledger.reversal(cmd.msgid)
        if done is not None:
            return done
        # one reversal per original at a time; a second one (a retry under a new msgid, after
        # the first one's answer was lost) gets the first one's answer, not a tombstone
        await uow.ledger.lock_msgid(cmd.omsgid)
        earlier = await uow.ledger.reversal_of(cmd.omsgid)
        if earlier is not None:
            return earlier
        person = insured_here(await uow.ledger.person(cmd.psn_no), cmd.psn_no, cmd.insured_admdvs)
        if cmd.oinfno in infno.CANCEL:
            answer = await _reverse_cancel(uow, cmd, person)
        elif cmd.oinfno in infno.FILING:
            answer = await _reverse_filing(uow, cmd)
        else:  # a registration keeps nothing here; the tombstone refuses it if it comes late
            await _tombstone(uow, cmd)
            answer = _result(cmd, "registration")
        await uow.ledger.add_reversal(
            msgid=cmd.msgid, omsgid=cmd.omsgid, oinfno=cmd.oinfno, answer=answer
        )
        await uow.ledger.owe_reply(owed)
        await uow.commit()
    return answer


async def _reverse_settlement(
    uow: UnitOfWork, cmd: ReverseCommand, owed: OwedReply | None
) -> dict[str, Any]:
    """A settlement: its mirror, stored under the 2601's msgid (so a repeat finds it)."""
    async with uow:
        # both msgids' locks, in one order (two 2601s naming each other cannot deadlock); the
        # original's settle holds its lock until it commits, so after it the original is either
        # here or will be refused by the tombstone
        for msgid in sorted({cmd.omsgid, cmd.msgid}):
            await uow.ledger.lock_msgid(msgid)
        done = await uow.ledger.by_msgid(cmd.msgid)
        if done is not None:
            person = insured_here(
                await uow.ledger.person(cmd.psn_no), cmd.psn_no, cmd.insured_admdvs
            )
            return {**_result(cmd, "settlement"), **answer_of(done, person)}
        original = await uow.ledger.by_msgid(cmd.omsgid)
        if original is None:  # nothing here to check the person against: the msgid is spent
            await _tombstone(uow, cmd)
            await uow.commit()
            return _result(cmd, "tombstone")
        person = insured_here(await uow.ledger.person(cmd.psn_no), cmd.psn_no, cmd.insured_admdvs)
        if original.psn_no != cmd.psn_no:
            raise RelayError(E4003, detail=f"原报文 {cmd.omsgid} 不属于人员 {cmd.psn_no}")
        if original.refd_setl_flag != "0" or original.infno not in infno.SETTLE:
            # a cancel or a reversal is no settlement: undoing it as one would move money twice
            raise RelayError(
                E4003, detail=f"原报文 {cmd.omsgid} 是 {original.infno} 交易，不是结算"
            )
        if await uow.ledger.tombstoned(cmd.msgid):
            raise RelayError(E4007, detail=cmd.msgid)
        cancelled = await uow.ledger.cancellation_of(original.setl_id)
        if cancelled is not None:
            return {**_result(cmd, "already cancelled"), **answer_of(cancelled, person)}
        digest = canonical_hash(
            CancelPayload(
                psn_no=cmd.psn_no, setl_id=original.setl_id, mdtrt_id=original.mdtrt_id
            ).model_dump(mode="json")
        )
        mirror = await _mirror(uow, original, msgid=cmd.msgid, infno=infno.REVERSAL,
                               digest=digest, owed=owed)  # fmt: skip
        await uow.commit()
    return {**_result(cmd, "settlement"), **answer_of(mirror, person)}


async def _reverse_cancel(uow: UnitOfWork, cmd: ReverseCommand, person: Person) -> dict[str, Any]:
    """The cancelled settlement stands again, with its accumulators and account debit."""
    mirror = await uow.ledger.by_msgid(cmd.omsgid)
    if mirror is None:
        await _tombstone(uow, cmd)
        return _result(cmd, "tombstone")
    if mirror.refd_setl_flag != "1" or mirror.infno not in infno.CANCEL:
        raise RelayError(
            E9002, detail=f"字段 oinfno：原报文 {cmd.omsgid} 是 {mirror.infno} 交易，不是撤销结算"
        )
    if mirror.psn_no != cmd.psn_no:
        raise RelayError(E4003, detail=f"原报文 {cmd.omsgid} 不属于人员 {cmd.psn_no}")
    original = await uow.ledger.by_setl_id(mirror.init_setl_id or "")
    if original is None:
        raise LookupError(f"the mirror {mirror.setl_id} points at no settlement")
    year = await uow.ledger.lock_year(person.psn_no, original.year)
    if await uow.ledger.later_than(person.psn_no, original.year, mirror.setl_time):
        # the caps and deductible used since then assumed the cancel: reinstating would break them
        raise RelayError(
            E4008, detail=f"人员 {person.psn_no} 在原报文 {cmd.omsgid} 之后已有新的结算"
        )
    balance = await uow.ledger.lock_account(person.psn_no, original.insutype)
    if balance < original.acct_pay:
        raise RelayError(E4008, detail="个人账户余额已不足以扣回撤销时退回的金额")
    await uow.ledger.reinstate(
        mirror,
        original,
        year.plus(acc_from_json(original.delta)),
        balance - original.acct_pay,
    )
    await _tombstone(uow, cmd)  # the cancel's msgid is spent: a redelivery of it is refused
    return {
        **_result(cmd, "cancel", setl_id=mirror.setl_id, init_setl_id=original.setl_id),
        **answer_of(original, person),
    }


async def _reverse_filing(uow: UnitOfWork, cmd: ReverseCommand) -> dict[str, Any]:
    """The filing is taken back unless a standing settlement was made while it was there."""
    if not await uow.filings.lock_person(cmd.psn_no):
        raise RelayError(E1001, detail=f"psn_no {cmd.psn_no}")
    made = await uow.filings.made_by(cmd.omsgid)
    if made is None:
        await _tombstone(uow, cmd)
        return _result(cmd, "tombstone")
    if made.psn_no != cmd.psn_no or made.chronic != (cmd.oinfno == "2503"):
        raise RelayError(
            E9002,
            detail=f"字段 omsgid：原报文 {cmd.omsgid} 不是人员 {cmd.psn_no} 的 {cmd.oinfno} 交易",
        )
    status = made.status  # one already cancelled (2502/2504) has nothing left to undo
    if status == ACTIVE:
        if await uow.ledger.standing_since(cmd.psn_no, made.created_at):
            raise RelayError(E4008, detail=f"备案 {made.filing_id} 之后已有未撤销的结算")
        await uow.filings.set_status(made, REVERSED)
        status = REVERSED
    return _result(cmd, "filing", trt_dcla_detl_sn=made.filing_id, status=status)


def _result(cmd: ReverseCommand, what: str, **more: Any) -> dict[str, Any]:
    return {"result": {"omsgid": cmd.omsgid, "oinfno": cmd.oinfno, "reversed": what, **more}}


async def _tombstone(uow: UnitOfWork, cmd: ReverseCommand) -> None:
    await uow.ledger.add_tombstone(omsgid=cmd.omsgid, oinfno=cmd.oinfno, msgid=cmd.msgid)


# ---------------------------------------------------------------- stored answers


async def stored_answer(uow: UnitOfWork, msgid: str) -> dict[str, Any] | None:
    """What a settle, cancel or reversal with this msgid already did here, if anything (for a
    redelivery that came too late, and for the outbox relay of owed replies)."""
    async with uow:
        done = await uow.ledger.reversal(msgid)
        if done is not None:
            return done
        row = await uow.ledger.by_msgid(msgid)
        if row is None:
            return None
        person = await uow.ledger.person(row.psn_no)
        original = None
        if row.infno == infno.REVERSAL and row.init_setl_id:
            original = await uow.ledger.by_setl_id(row.init_setl_id)
    if person is None:
        raise LookupError(f"the settlement {row.setl_id} names no person")
    if original is not None:  # a settlement's 2601: its answer says what it reversed
        reversed_ = {"omsgid": original.medins_setl_id, "oinfno": original.infno}
        return {"result": {**reversed_, "reversed": "settlement"}, **answer_of(row, person)}
    return answer_of(row, person)


# ---------------------------------------------------------------- the rules a settle applies


def balance_violations(p: SettlementPayload) -> list[str]:
    """The bill must balance before anyone pays any of it (design §5)."""
    problems = []
    unbalanced = parts_violation(
        "medfee_sumamt",
        p.medfee_sumamt,
        p.fulamt_ownpay_amt,
        p.overlmt_selfpay,
        p.preselfpay_amt,
        p.inscp_scp_amt,
    )
    if unbalanced:
        problems.append(unbalanced)
    amounts = (
        p.medfee_sumamt,
        p.fulamt_ownpay_amt,
        p.overlmt_selfpay,
        p.preselfpay_amt,
        p.inscp_scp_amt,
    )
    if any(a < 0 for a in amounts):
        problems.append("结算金额不能为负数")
    if any(a != a.quantize(Decimal("0.01")) for a in amounts):
        problems.append("金额须精确到分（最多两位小数）")
    for label, rows in (("费用类别汇总", p.categories), ("费用明细", p.lines)):
        if not rows:
            continue
        for field, total in (
            ("det_item_fee_sumamt", p.medfee_sumamt),
            ("fulamt_ownpay_amt", p.fulamt_ownpay_amt),
            ("overlmt_amt", p.overlmt_selfpay),
            ("preselfpay_amt", p.preselfpay_amt),
            ("inscp_scp_amt", p.inscp_scp_amt),
        ):
            summed = sum((getattr(r, field) for r in rows), ZERO)
            if summed != total:
                problems.append(f"{label}的 {field} 合计 {summed} 不等于 {total}")
        for r in rows:
            unbalanced = parts_violation(
                f"{label} {r.med_chrgitm_type} 的 det_item_fee_sumamt",
                r.det_item_fee_sumamt,
                r.fulamt_ownpay_amt,
                r.overlmt_amt,
                r.preselfpay_amt,
                r.inscp_scp_amt,
            )
            if unbalanced:
                problems.append(unbalanced)
    return problems


def check_balance(payload: SettlementPayload) -> None:
    problems = balance_violations(payload)
    if problems:
        raise RelayError(E4001, detail="；".join(problems)[:400])


def insured_here(person: Person | None, psn_no: str, admdvs: str) -> Person:
    """The person, if insured in ``admdvs``; E1001 otherwise (unknown, or another region's)."""
    if person is None or person.insuplc_admdvs != admdvs:
        raise RelayError(E1001, detail=f"psn_no {psn_no}")
    return person


def insurance_of(person: Person, insutype: str) -> tuple[str, bool]:
    """The person's class and civil-servant flag in the insurance; E4006 if not insured in it."""
    for insurance in person.insurances:
        if insurance.insutype == insutype:
            if insurance.psn_insu_stas != "1":
                raise RelayError(E4006, detail=f"参保状态 psn_insu_stas {insurance.psn_insu_stas}")
            return insurance.psn_type, insurance.cvlserv_flag
    raise RelayError(E4006, detail=f"未参加险种 insutype {insutype}")


def check_med_type(med_type: str) -> None:
    try:
        pool_of(med_type)
    except ValueError as exc:
        raise RelayError(E4005, detail=str(exc)) from exc


def _assistance(person: Person, on: date) -> str | None:
    for identity in person.identities:
        if identity.begntime <= on and (identity.endtime is None or on <= identity.endtime):
            return identity.psn_idet_type
    return None


def inputs_of(
    policy: RegionPolicy, person: Person, cmd: SettleCommand, balance: Decimal
) -> SettlementInputs:
    """What the breakdown needs, from the bill, the person and the filing rule (design §6, §7)."""
    p = cmd.payload
    check_med_type(p.med_type)
    psn_type, civil_servant = insurance_of(person, p.insutype)
    covered = coverage(
        policy.filing,
        person.filings,
        Care(
            insured_admdvs=cmd.insured_admdvs,
            treating_admdvs=cmd.treating_admdvs,
            med_type=p.med_type,
            admitted_on=p.begntime,
            settled_on=p.endtime,
            emergency=p.emergency,
            trauma=p.trum_flag,
            third_party=p.rel_ttp_flag,
        ),
    )
    if p.med_type == "14":
        code = p.opsp_dise_code or ""
        if not any(c.covers(code, p.endtime) for c in person.chronic_filings):
            raise RelayError(E2008, detail=code or "字段 opsp_dise_code：未填写门诊慢特病病种")
    return SettlementInputs(
        totals=FeeTotals(p.fulamt_ownpay_amt, p.overlmt_selfpay, p.preselfpay_amt, p.inscp_scp_amt),
        med_type=p.med_type,
        hospital_level=p.medins_lv,
        insutype=p.insutype,
        psn_type=psn_type,
        civil_servant=civil_servant,
        assistance=_assistance(person, p.endtime),
        filing_category=covered.category,
        settled_on=p.endtime,
        acct_used=p.acct_used_flag,
        acct_balance=balance,
        chronic_code=p.opsp_dise_code,
        emergency=p.emergency,
    )


def compute(inputs: SettlementInputs, policy: RegionPolicy, year: Accumulators) -> Breakdown:
    try:
        breakdown = compute_breakdown(inputs, policy, year)
    except NotSettleable as exc:
        raise RelayError(E4005, detail=str(exc)) from exc
    problems = breakdown_violations(breakdown)
    if problems:  # never persist a breakdown that does not balance (style §4)
        raise RelayError(E4001, detail="；".join(problems))
    return breakdown


# ---------------------------------------------------------------- the answer


_ZERO_FIELDS = ("hifes_pay", "hosp_part_amt", "acct_mulaid_pay")
_AMOUNT_FIELDS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc",
)  # fmt: skip


def answer_of(row: Settlement, person: Person) -> dict[str, Any]:
    """``setlinfo`` + ``setldetail`` (docs/codes.md) of a settlement, a mirror or a pre-settle."""
    insurance = next((i for i in person.insurances if i.insutype == row.insutype), None)
    setlinfo = {
        "mdtrt_id": row.mdtrt_id,
        "setl_id": row.setl_id,
        "psn_no": person.psn_no,
        "psn_name": person.psn_name,
        "psn_cert_type": person.psn_cert_type,
        "certno": person.certno,
        "gend": person.gend,
        "naty": person.naty,
        "brdy": person.brdy.isoformat(),
        "insutype": row.insutype,
        "psn_type": insurance.psn_type if insurance else None,
        "cvlserv_flag": "1" if insurance and insurance.cvlserv_flag else "0",
        "setl_time": row.setl_time.astimezone(UTC).isoformat(),
        "med_type": row.med_type,
        **{name: format_amount(getattr(row, name)) for name in _AMOUNT_FIELDS},
        **dict.fromkeys(_ZERO_FIELDS, "0.00"),
        "pool_prop_selfpay": str(row.pool_prop_selfpay.normalize()),
        "medins_setl_id": row.medins_setl_id,
        "refd_setl_flag": row.refd_setl_flag,
        "init_setl_id": row.init_setl_id,
        "clr_type": "21" if row.med_type.startswith("2") else "11",
        "clr_way": "1",
        "clr_optins": row.insuplc_admdvs,
    }
    return {"setlinfo": setlinfo, "setldetail": list(row.details)}
