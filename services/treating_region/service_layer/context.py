"""What every treating-region use case shares: its context, the relay call, the visit checks.

Local transactions (discharge, fee lines, changes) touch only this region's database; relayed
ones (person info, registration, settlement, filings, 2601) go through the hub to the insured
region. A use case never holds a database transaction across the relay: where it writes before
and after the round trip, those are two short transactions, both its own — it opens its unit of
work (``ctx.uow()``) twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.treating_region.adapters import visits
from services.treating_region.adapters.hub_books import HubBooks
from services.treating_region.domain.catalogue import CatalogueEntry, Institution
from services.treating_region.domain.visit import Action, VisitState, transition
from services.treating_region.service_layer.unit_of_work import UnitOfWork
from shared.clock import CHINA_TZ
from shared.envelope import NationalRequest
from shared.errors import E3001, E3006, E5002, E5003, E9002, RelayError, lookup
from shared.infra_errors import BROKER_DOWN
from shared.messaging import NotPublished, RelayClient, ReplyTimeout


@dataclass(frozen=True, slots=True)
class TreatingContext:
    pool: asyncpg.Pool
    """The database: through a unit of work (``uow()``), or for the settle path's and the message
    log's single statements, each autocommitted on it."""
    relay: RelayClient
    catalogues: Mapping[str, Mapping[str, CatalogueEntry]]
    institutions: Mapping[str, Institution]
    deadline_s: float
    hub_books: HubBooks | None = None
    """The hub's clearing, for 3260/3261 (None: this deployment does not offer them)."""

    def uow(self) -> UnitOfWork:
        """A unit of work on this region's database: ``async with ctx.uow() as uow: …``."""
        return UnitOfWork(self.pool)


@dataclass(frozen=True, slots=True)
class Answered:
    """Output the use case already stored as the message's answer, with its effect."""

    output: dict[str, Any]


Output = dict[str, Any] | Answered
"""A use case's answer: the output the gateway stores, or one already stored with the effect."""


def insured_region(request: NationalRequest) -> str:
    """The insured region the hospital named; required wherever nothing else can tell it."""
    if request.insuplc_admdvs is None:
        raise RelayError(
            E9002, detail="字段 insuplc_admdvs：必填，未填写（参保地医保区划，可先用 1101 查询）"
        )
    return request.insuplc_admdvs


async def relay(
    ctx: TreatingContext,
    request: NationalRequest,
    payload: dict[str, Any],
    *,
    insured: str | None = None,
) -> dict[str, Any]:
    """Send to the insured region and wait; an error reply is raised as its catalogue error.

    ``insured`` is the region the message goes to when something better than the hospital's
    ``insuplc_admdvs`` knows it (the visit, the original message); ``""`` lets the hub find it.
    """
    envelope = ctx.relay.new_request(
        msgid=request.msgid,
        infno=request.infno,
        sender_admdvs=request.mdtrtarea_admvs,
        mdtrtarea_admvs=request.mdtrtarea_admvs,
        insuplc_admdvs=insured_region(request) if insured is None else insured,
        fixmedins_code=request.fixmedins_code,
        payload=payload,
        deadline_s=ctx.deadline_s,
    )
    try:
        reply = await ctx.relay.request(envelope)
    except ReplyTimeout as exc:
        raise RelayError(E5002, detail=request.msgid) from exc
    except NotPublished as exc:
        # the broker never took it, so the insured region cannot have acted: safe to repeat
        raise RelayError(
            E5003, detail=f"报文 {request.msgid}：消息服务暂不可用，本笔交易未发出，可重试"
        ) from exc
    except BROKER_DOWN as exc:
        # the publish may or may not have reached the broker: the outcome is unknown, not failed
        raise RelayError(E5002, detail=f"报文 {request.msgid}：与国家平台的连接中断") from exc
    if reply.err_code:
        raise RelayError(lookup(reply.err_code), detail=reply.err_detail or "")
    return reply.payload


NETWORKED_FOR = {
    "inpatient": "住院",
    "outpatient": "门诊",
    "pharmacy": "药店购药",
    "chronic": "门诊慢特病",
}
"""The Institution flag a transaction needs, as the clerk calls that kind of care."""


def institution(ctx: TreatingContext, request: NationalRequest, *, need: str) -> Institution:
    """The calling institution, if it is networked for ``need`` (E3006 otherwise)."""
    inst = ctx.institutions[request.fixmedins_code]  # designated here: the gateway checked
    if not getattr(inst, need):
        raise RelayError(
            E3006, detail=f"{inst.fixmedins_name} 未开通{NETWORKED_FOR[need]}异地联网结算"
        )
    return inst


async def visit_of(
    uow: UnitOfWork,
    request: NationalRequest,
    mdtrt_id: str,
    psn_no: str,
    *,
    lock: bool = True,
) -> visits.VisitRecord:
    """The visit (locked by default), if it is this institution's and this person's."""
    return own(await uow.visits.get(mdtrt_id, lock=lock), request, mdtrt_id, psn_no)


def own(
    visit: visits.VisitRecord | None, request: NationalRequest, mdtrt_id: str, psn_no: str
) -> visits.VisitRecord:
    """The visit, if it is this institution's and this person's; E3001 otherwise."""
    if visit is None or visit.fixmedins_code != request.fixmedins_code or visit.psn_no != psn_no:
        raise RelayError(E3001, detail=mdtrt_id)
    return visit


def same_region(request: NationalRequest, visit: visits.VisitRecord) -> None:
    """A settle or cancel goes to the visit's insured region; another one named is a mistake
    (an absent one, or the treating area, the gateway has already taken from the visit)."""
    if request.insuplc_admdvs not in (None, visit.insuplc_admdvs):
        raise RelayError(
            E9002,
            detail=f"字段 insuplc_admdvs：{request.insuplc_admdvs} 与就诊登记的参保地 "
            f"{visit.insuplc_admdvs} 不一致",
        )


def check(visit: visits.VisitRecord, action: Action) -> VisitState:
    """The visit's state after ``action``, or E3002 (the state machine, domain/visit.py)."""
    return transition(VisitState(visit.state), action, inpatient=visit.inpatient)


async def move_if(ctx: TreatingContext, mdtrt_id: str, state: VisitState, action: Action) -> None:
    """Move the visit on by ``action`` if it is still in ``state`` (one transaction)."""
    async with ctx.uow() as uow:
        visit = await uow.visits.get(mdtrt_id, lock=True)
        if visit is not None and visit.state == state.value:
            target = transition(state, action, inpatient=visit.inpatient)
            await uow.visits.move(mdtrt_id, visit.state, target.value)
        await uow.commit()


def china_date(moment: datetime) -> date:
    """Dates of care are China dates, whatever zone the database hands the time back in."""
    return moment.astimezone(CHINA_TZ).date()
