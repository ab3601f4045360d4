"""Settlement use cases: pre-settle, settle, cancel, accumulators (design §7, issue 3).

A settle writes the settlement, the new accumulators and the account balance in one transaction
under the person-year row lock; a redelivered or retried msgid gets the stored answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.insured_region.adapters import outbox, persons
from services.insured_region.adapters import settlements as store
from services.insured_region.adapters.orm import SettlementRow
from services.insured_region.adapters.outbox import Debt
from services.insured_region.domain.breakdown import (
    FOUR_PARTS,
    Accumulators,
    Breakdown,
    FeeTotals,
    NotSettleable,
    SettlementInputs,
    breakdown_violations,
    compute_breakdown,
)
from services.insured_region.domain.filing import Care, coverage
from services.insured_region.domain.person import Person
from services.insured_region.domain.policy import RegionPolicy, policy_for, pool_of
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
    RelayError,
)
from shared.money import ZERO, format_amount
from shared.settlement import CancelPayload, SettlementPayload


@dataclass(frozen=True, slots=True)
class SettleCommand:
    msgid: str
    infno: str
    insured_admdvs: str
    treating_admdvs: str
    fixmedins_code: str
    payload: SettlementPayload


def request_hash(payload: SettlementPayload | CancelPayload) -> str:
    return canonical_hash(payload.model_dump(mode="json"))


def balance_violations(p: SettlementPayload) -> list[str]:
    """The bill must balance before anyone pays any of it (design §5)."""
    problems = []
    parts = p.fulamt_ownpay_amt + p.overlmt_selfpay + p.preselfpay_amt + p.inscp_scp_amt
    if p.medfee_sumamt != parts:
        problems.append(f"medfee_sumamt {p.medfee_sumamt} 不等于{FOUR_PARTS} {parts}")
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
            four = r.fulamt_ownpay_amt + r.overlmt_amt + r.preselfpay_amt + r.inscp_scp_amt
            if four != r.det_item_fee_sumamt:
                problems.append(
                    f"{label} {r.med_chrgitm_type}：四项之和 {four} 不等于 "
                    f"det_item_fee_sumamt {r.det_item_fee_sumamt}"
                )
    return problems


def _insurance(person: Person, insutype: str) -> tuple[str, bool]:
    for insurance in person.insurances:
        if insurance.insutype == insutype:
            if insurance.psn_insu_stas != "1":
                raise RelayError(E4006, detail=f"参保状态 psn_insu_stas {insurance.psn_insu_stas}")
            return insurance.psn_type, insurance.cvlserv_flag
    raise RelayError(E4006, detail=f"未参加险种 insutype {insutype}")


def _assistance(person: Person, on: Any) -> str | None:
    for identity in person.identities:
        if identity.begntime <= on and (identity.endtime is None or on <= identity.endtime):
            return identity.psn_idet_type
    return None


def _inputs(
    policy: RegionPolicy, person: Person, cmd: SettleCommand, balance: Decimal
) -> SettlementInputs:
    p = cmd.payload
    try:
        pool_of(p.med_type)
    except ValueError as exc:
        raise RelayError(E4005, detail=str(exc)) from exc
    psn_type, civil_servant = _insurance(person, p.insutype)
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


def _compute(inputs: SettlementInputs, policy: RegionPolicy, year: Accumulators) -> Breakdown:
    try:
        breakdown = compute_breakdown(inputs, policy, year)
    except NotSettleable as exc:
        raise RelayError(E4005, detail=str(exc)) from exc
    problems = breakdown_violations(breakdown)
    if problems:  # never persist a breakdown that does not balance (style §4)
        raise RelayError(E4001, detail="；".join(problems))
    return breakdown


def insured_here(person: Person | None, psn_no: str, admdvs: str) -> Person:
    """The person, if insured in ``admdvs``; E1001 otherwise (unknown, or another region's)."""
    if person is None or person.insuplc_admdvs != admdvs:
        raise RelayError(E1001, detail=f"psn_no {psn_no}")
    return person


async def person_or_error(session: AsyncSession, psn_no: str, admdvs: str) -> Person:
    return insured_here(await persons.by_psn_no(session, psn_no), psn_no, admdvs)


async def _person(session: AsyncSession, cmd: SettleCommand) -> Person:
    return await person_or_error(session, cmd.payload.psn_no, cmd.insured_admdvs)


def _check_balance(payload: SettlementPayload) -> None:
    problems = balance_violations(payload)
    if problems:
        raise RelayError(E4001, detail="；".join(problems)[:400])


async def pre_settle(
    sessions: async_sessionmaker[AsyncSession],
    policies: Mapping[str, RegionPolicy],
    cmd: SettleCommand,
) -> dict[str, Any]:
    """2303/2206: what the settlement would be now; nothing is stored."""
    policy = policy_for(policies, cmd.insured_admdvs)
    _check_balance(cmd.payload)
    async with sessions() as session:
        person = await _person(session, cmd)
        balance = await store.read_account(session, person.psn_no, cmd.payload.insutype)
        inputs = _inputs(policy, person, cmd, balance)
        year = await store.read_year(session, person.psn_no, cmd.payload.endtime.year)
    breakdown = _compute(inputs, policy, year)
    return view_of_breakdown(breakdown, person, cmd, setl_id=None, mdtrt_id=cmd.payload.mdtrt_id)


async def settle(
    sessions: async_sessionmaker[AsyncSession],
    pool: asyncpg.Pool,
    policies: Mapping[str, RegionPolicy],
    cmd: SettleCommand,
    debt: Debt | None = None,
) -> dict[str, Any]:
    """2304/2207: compute, and store settlement + accumulators + account in one transaction.

    Plain asyncpg (the hot path): lock the msgid; look, load the person and lock the person-year
    then the account (every settlement takes them in this order); compute; write once.
    """
    policy = policy_for(policies, cmd.insured_admdvs)
    _check_balance(cmd.payload)
    digest = request_hash(cmd.payload)
    p = cmd.payload
    try:
        async with pool.acquire() as conn, conn.transaction():
            entry, person = await store.enter(conn, cmd.msgid, p.psn_no, p.endtime.year, p.insutype)
            if not entry.settled:
                if entry.tombstone:
                    raise RelayError(E4007, detail=cmd.msgid)
                person = insured_here(person, p.psn_no, cmd.insured_admdvs)
                year, balance = entry.year, entry.balance
                if year is None:  # the lock statement makes the row for every known person
                    raise LookupError(f"no accumulator row for {p.psn_no} in {p.endtime.year}")
                inputs = _inputs(policy, person, cmd, balance)
                breakdown = _compute(inputs, policy, year)
                now = datetime.now(UTC)
                mdtrt_id, setl_id = store.ids_of(entry.seq, cmd.insured_admdvs, now)
                row = await store.write(
                    conn,
                    setl_id=setl_id,
                    mdtrt_id=p.mdtrt_id or mdtrt_id,
                    b=breakdown,
                    meta=_meta(cmd, digest, now, inputs.filing_category),
                    year=year.plus(breakdown.delta),
                    debt=(debt.relay_id, debt.msgid, debt.request) if debt else None,
                )
                return view_of_row(row, person)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "uq_settlement_medins_setl_id":
            raise  # not a repeat of this msgid: a bug to see, not to paper over
        # the same msgid settled concurrently (the lock makes it rare): answer with it
    async with sessions() as session:  # a repeat: the stored answer, if the body is the same
        existing = await store.by_msgid(session, cmd.msgid)
        if existing is None:
            raise RelayError(E4004, detail=f"报文 {cmd.msgid} 已结算，但结算记录已不存在")
        return _replay(existing, digest, await _person(session, cmd))


def _replay(existing: SettlementRow, digest: str, person: Person) -> dict[str, Any]:
    if existing.request_hash != digest:
        raise RelayError(E4002, detail=existing.medins_setl_id)
    return view_of_row(existing, person)


def _meta(cmd: SettleCommand, digest: str, now: datetime, category: str | None) -> dict[str, Any]:
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
        "setl_time": now,
        "year": cmd.payload.endtime.year,
        "refd_setl_flag": "0",
        "init_setl_id": None,
        "filing_category": category,
    }


@dataclass(frozen=True, slots=True)
class RegisterCommand:
    msgid: str
    insured_admdvs: str
    treating_admdvs: str
    psn_no: str
    insutype: str
    med_type: str
    begntime: date
    emergency: bool
    trauma: bool
    third_party: bool


async def register(
    sessions: async_sessionmaker[AsyncSession],
    policies: Mapping[str, RegionPolicy],
    cmd: RegisterCommand,
) -> dict[str, Any]:
    """2401/2201: may this person be treated here on direct settlement? Mints the mdtrt_id.

    The filing is checked by the rule the settlement uses, on the admission date the hospital
    states (design §6); a stay that could not be registered may still be registered after a
    filing made before discharge (补办).
    """
    policy = policy_for(policies, cmd.insured_admdvs)
    async with sessions() as session, session.begin():
        await store.lock_msgid(session, cmd.msgid)
        if await store.tombstone(session, cmd.msgid):
            raise RelayError(E4007, detail=cmd.msgid)
        person = await person_or_error(session, cmd.psn_no, cmd.insured_admdvs)
        _insurance(person, cmd.insutype)
        try:
            pool_of(cmd.med_type)
        except ValueError as exc:
            raise RelayError(E4005, detail=str(exc)) from exc
        covered = coverage(
            policy.filing,
            person.filings,
            Care(
                insured_admdvs=cmd.insured_admdvs,
                treating_admdvs=cmd.treating_admdvs,
                med_type=cmd.med_type,
                admitted_on=cmd.begntime,
                settled_on=None,  # the stay is open: the settlement's rule, on the same dates
                emergency=cmd.emergency,
                trauma=cmd.trauma,
                third_party=cmd.third_party,
            ),
        )
        mdtrt_id, _ = await store.mint_ids(session, cmd.insured_admdvs, datetime.now(UTC))
    return {
        "result": {
            "mdtrt_id": mdtrt_id,
            "psn_no": cmd.psn_no,
            "filing_category": covered.category,
            "coverage": covered.reason,
        }
    }


@dataclass(frozen=True, slots=True)
class CancelCommand:
    msgid: str
    infno: str
    insured_admdvs: str
    treating_admdvs: str
    fixmedins_code: str
    payload: CancelPayload


async def cancel(
    sessions: async_sessionmaker[AsyncSession], cmd: CancelCommand, debt: Debt | None = None
) -> dict[str, Any]:
    """2305/2208: a negative mirror; the year it came from gets its amounts back."""
    p = cmd.payload
    digest = request_hash(p)
    try:
        async with sessions() as session, session.begin():
            person = await person_or_error(session, p.psn_no, cmd.insured_admdvs)
            await store.lock_msgid(session, cmd.msgid)
            existing = await store.by_msgid(session, cmd.msgid)
            if existing is not None:
                return _replay(existing, digest, person)
            if await store.tombstone(session, cmd.msgid):
                raise RelayError(E4007, detail=cmd.msgid)
            original = await store.by_setl_id(session, p.setl_id)
            if original is None or original.psn_no != p.psn_no or original.refd_setl_flag != "0":
                raise RelayError(E4003, detail=p.setl_id)
            if await store.cancellation_of(session, original.setl_id) is not None:
                raise RelayError(E4004, detail=original.setl_id)
            year = await store.lock_year(session, p.psn_no, original.year)
            delta = store.acc_from_json(original.delta)
            balance = await store.lock_account(session, p.psn_no, original.insutype)
            balc = balance + original.acct_pay
            now = datetime.now(UTC)
            _, setl_id = await store.mint_ids(session, cmd.insured_admdvs, now)
            mirror = await store.add_mirror(
                session,
                original,
                setl_id=setl_id,
                balc=balc,
                meta={
                    "medins_setl_id": cmd.msgid,
                    "infno": cmd.infno,
                    "request_hash": digest,
                    "setl_time": now,
                },
            )
            await store.save_year(session, p.psn_no, year.plus(delta, sign=-1))
            if original.acct_pay:
                await store.set_account(session, p.psn_no, original.insutype, balc)
            await outbox.owe(session, debt)
            return view_of_row(mirror, person)
    except IntegrityError:
        async with sessions() as session:
            existing = await store.by_msgid(session, cmd.msgid)
            if existing is None:
                raise RelayError(E4004, detail=p.setl_id) from None
            person = await person_or_error(session, p.psn_no, cmd.insured_admdvs)
            return _replay(existing, digest, person)


async def cumulative(
    sessions: async_sessionmaker[AsyncSession], admdvs: str, psn_no: str, year: int
) -> dict[str, Any]:
    """5206: the year's accumulators, one ``cuminfo`` row per counter."""
    async with sessions() as session:
        person = await person_or_error(session, psn_no, admdvs)
        acc = await store.read_year(session, psn_no, year)
    values = store.acc_to_json(acc)
    chronic = values.pop("chronic")
    values.pop("year")
    insutype = person.insurances[0].insutype if person.insurances else None
    rows = [
        {"insutype": insutype, "year": year, "cum_type_code": k, "cum": str(v)}
        for k, v in values.items()
    ]
    rows += [
        {"insutype": insutype, "year": year, "cum_type_code": f"chronic.{code}", "cum": v}
        for code, v in chronic.items()
    ]
    return {"cuminfo": rows}


def _setlinfo_base(person: Person, insutype: str) -> dict[str, Any]:
    insurance = next((i for i in person.insurances if i.insutype == insutype), None)
    return {
        "psn_no": person.psn_no,
        "psn_name": person.psn_name,
        "psn_cert_type": person.psn_cert_type,
        "certno": person.certno,
        "gend": person.gend,
        "naty": person.naty,
        "brdy": person.brdy.isoformat(),
        "insutype": insutype,
        "psn_type": insurance.psn_type if insurance else None,
        "cvlserv_flag": "1" if insurance and insurance.cvlserv_flag else "0",
    }


_ZERO_FIELDS = ("hifes_pay", "hosp_part_amt", "acct_mulaid_pay")
_AMOUNT_FIELDS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc",
)  # fmt: skip


def view_of_row(row: SettlementRow | store.NewSettlement, person: Person) -> dict[str, Any]:
    setlinfo = {
        "mdtrt_id": row.mdtrt_id,
        "setl_id": row.setl_id,
        **_setlinfo_base(person, row.insutype),
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


def view_of_breakdown(
    b: Breakdown, person: Person, cmd: SettleCommand, *, setl_id: str | None, mdtrt_id: str | None
) -> dict[str, Any]:
    setlinfo = {
        "mdtrt_id": mdtrt_id,
        "setl_id": setl_id,
        **_setlinfo_base(person, cmd.payload.insutype),
        "setl_time": None,
        "med_type": cmd.payload.med_type,
        **{name: format_amount(getattr(b, name)) for name in _AMOUNT_FIELDS},
        **dict.fromkeys(_ZERO_FIELDS, "0.00"),
        "pool_prop_selfpay": str(b.pool_prop_selfpay.normalize()),
        "medins_setl_id": cmd.msgid,
        "refd_setl_flag": "0",
        "init_setl_id": None,
        "clr_type": "21" if cmd.payload.med_type.startswith("2") else "11",
        "clr_way": "1",
        "clr_optins": cmd.insured_admdvs,
    }
    return {
        "setlinfo": setlinfo,
        "setldetail": [store.detail_json(d) for d in b.details],
        "setl_proc_info": list(b.trace),
    }


@dataclass(frozen=True, slots=True)
class ReverseCommand:
    msgid: str
    insured_admdvs: str
    treating_admdvs: str
    fixmedins_code: str
    omsgid: str
    oinfno: str
    psn_no: str


async def reverse(
    sessions: async_sessionmaker[AsyncSession], cmd: ReverseCommand, debt: Debt | None = None
) -> dict[str, Any]:
    """2601 for a settlement: cancel it if it happened, or leave a tombstone if it has not.

    Idempotent: the same reversal answers the same; a settlement already cancelled is reported,
    not cancelled twice. A tombstone makes the late original refused (E4007).
    """
    async with sessions() as session, session.begin():
        done = await store.by_msgid(session, cmd.msgid)
        original = await store.by_msgid(session, cmd.omsgid)
    if done is not None:
        async with sessions() as session:
            person = await person_or_error(session, cmd.psn_no, cmd.insured_admdvs)
        return {
            "result": {"omsgid": cmd.omsgid, "oinfno": cmd.oinfno, "reversed": "settlement"},
            **view_of_row(done, person),
        }
    if original is None:
        async with sessions() as session, session.begin():
            await store.lock_msgid(session, cmd.omsgid)
            late = await store.by_msgid(session, cmd.omsgid)
            if late is None:
                await store.add_tombstone(
                    session, omsgid=cmd.omsgid, oinfno=cmd.oinfno, msgid=cmd.msgid
                )
        if late is None:
            return {"result": {"omsgid": cmd.omsgid, "oinfno": cmd.oinfno, "reversed": "tombstone"}}
        original = late  # the original won the race by a hair: cancel it instead
    if original.psn_no != cmd.psn_no:
        raise RelayError(E4003, detail=f"原报文 {cmd.omsgid} 不属于人员 {cmd.psn_no}")
    async with sessions() as session:
        cancelled = await store.cancellation_of(session, original.setl_id)
        person = await person_or_error(session, cmd.psn_no, cmd.insured_admdvs)
    if cancelled is not None:
        return {
            "result": {"omsgid": cmd.omsgid, "oinfno": cmd.oinfno, "reversed": "already cancelled"},
            **view_of_row(cancelled, person),
        }
    mirror = await cancel(
        sessions,
        CancelCommand(
            msgid=cmd.msgid,
            infno="2601",
            insured_admdvs=cmd.insured_admdvs,
            treating_admdvs=cmd.treating_admdvs,
            fixmedins_code=cmd.fixmedins_code,
            payload=CancelPayload(
                psn_no=cmd.psn_no, setl_id=original.setl_id, mdtrt_id=original.mdtrt_id
            ),
        ),
        debt,
    )
    return {
        "result": {"omsgid": cmd.omsgid, "oinfno": cmd.oinfno, "reversed": "settlement"},
        **mirror,
    }


async def stored_answer(
    sessions: async_sessionmaker[AsyncSession], msgid: str
) -> dict[str, Any] | None:
    """What a settle, cancel or reversal with this msgid already did, if anything."""
    async with sessions() as session:
        row = await store.by_msgid(session, msgid)
        if row is None:
            return None
        person = await persons.by_psn_no(session, row.psn_no)
    assert person is not None
    return view_of_row(row, person)
