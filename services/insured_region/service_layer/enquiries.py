"""Answers that store nothing: pre-settle (2303/2206), registration (2401/2201), cumulative (5206).

They read through the same unit of work as the ledger, and apply the same rules as a settle
(``ledger.inputs_of``, ``ledger.compute``), so a pre-settle says what the settle will say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.insured_region.adapters.ledger import acc_to_json, ids_of, new_settlement
from services.insured_region.domain.filing import Care, coverage
from services.insured_region.domain.policy import RegionPolicy, policy_for
from services.insured_region.service_layer.ledger import (
    SettleCommand,
    answer_of,
    check_balance,
    check_med_type,
    compute,
    inputs_of,
    insurance_of,
    insured_here,
    settlement_year,
)
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from shared import clock
from shared.canonical import canonical_hash
from shared.errors import E4007, RelayError


async def pre_settle(
    uow: UnitOfWork, policies: Mapping[str, RegionPolicy], cmd: SettleCommand
) -> dict[str, Any]:
    """2303/2206: what the settlement would be now; nothing is stored."""
    policy = policy_for(policies, cmd.insured_admdvs)
    check_balance(cmd.payload)
    p = cmd.payload
    async with uow:
        person = insured_here(await uow.ledger.person(p.psn_no), p.psn_no, cmd.insured_admdvs)
        balance = await uow.ledger.account(person.psn_no, p.insutype)
        inputs = inputs_of(policy, person, cmd, balance)
        year = await uow.ledger.year(person.psn_no, settlement_year(p))
    breakdown = compute(inputs, policy, year)
    would_be = new_settlement(
        setl_id="",
        mdtrt_id=p.mdtrt_id or "",
        b=breakdown,
        meta={
            "psn_no": p.psn_no,
            "insutype": p.insutype,
            "insuplc_admdvs": cmd.insured_admdvs,
            "mdtrtarea_admvs": cmd.treating_admdvs,
            "fixmedins_code": cmd.fixmedins_code,
            "medins_setl_id": cmd.msgid,
            "infno": cmd.infno,
            "med_type": p.med_type,
            "request_hash": canonical_hash(p.model_dump(mode="json")),
            "year": settlement_year(p),
            "refd_setl_flag": "0",
            "init_setl_id": None,
            "filing_category": inputs.filing_category,
        },
        now=clock.now(),
    )
    answer = answer_of(would_be, person)
    # nothing was settled: no ids, no time; the steps the policy took, for the clerk to read
    answer["setlinfo"].update(mdtrt_id=p.mdtrt_id, setl_id=None, setl_time=None)
    answer["setl_proc_info"] = list(breakdown.trace)
    return answer


@dataclass(frozen=True, slots=True)
class RegisterCommand:
    """2401/2201: the person, the insurance, and the care as the hospital states it (open)."""

    msgid: str
    psn_no: str
    insutype: str
    care: Care


async def register(
    uow: UnitOfWork, policies: Mapping[str, RegionPolicy], cmd: RegisterCommand
) -> dict[str, Any]:
    """2401/2201: may this person be treated here on direct settlement? Mints the mdtrt_id.

    The filing is checked by the rule the settlement uses, on the admission date the hospital
    states (design §6); a stay that could not be registered may still be registered after a
    filing made before discharge (补办).
    """
    insured = cmd.care.insured_admdvs
    policy = policy_for(policies, insured)
    async with uow:
        await uow.ledger.lock_msgid(cmd.msgid)
        if await uow.ledger.tombstoned(cmd.msgid):
            raise RelayError(E4007, detail=cmd.msgid)
        person = insured_here(await uow.ledger.person(cmd.psn_no), cmd.psn_no, insured)
        insurance_of(person, cmd.insutype)
        check_med_type(cmd.care.med_type)
        covered = coverage(policy.filing, person.filings, cmd.care)
        mdtrt_id, _ = ids_of(await uow.ledger.next_seq(), insured, clock.now())
        await uow.commit()  # the sequence moved whatever happens; nothing else was written
    return {
        "result": {
            "mdtrt_id": mdtrt_id,
            "psn_no": cmd.psn_no,
            "filing_category": covered.category,
            "coverage": covered.reason,
        }
    }


async def cumulative(uow: UnitOfWork, admdvs: str, psn_no: str, year: int) -> dict[str, Any]:
    """5206: the year's accumulators, one ``cuminfo`` row per counter."""
    async with uow:
        person = insured_here(await uow.ledger.person(psn_no), psn_no, admdvs)
        acc = await uow.ledger.year(psn_no, year)
    values = acc_to_json(acc)
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
