"""Requests from the hub: answer each with a reply, never with silence (design §4)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.insured_region.adapters import notices
from services.insured_region.domain.filing import Care, FilingRequest
from services.insured_region.domain.policy import RegionPolicy
from services.insured_region.entrypoints.schemas import person_info_output
from services.insured_region.service_layer import enquiries, filings, handlers, ledger
from services.insured_region.service_layer.owed_replies import OwedReplyRelay, owed_for
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from shared import clock, infno
from shared.envelope import MessageKind, RelayEnvelope
from shared.errors import E5001, E5004, E5005, E5999, E9002, E9003, RelayError
from shared.infra_errors import DATABASE_DOWN
from shared.messaging import TransientError, topology
from shared.regions import PLATFORM
from shared.runtime import Runtime
from shared.settlement import (
    CancelPayload,
    CumulativePayload,
    RegistrationPayload,
    ReversalPayload,
    SettlementPayload,
)
from shared.web import describe_validation_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Context:
    runtime: Runtime
    policies: Mapping[str, RegionPolicy]


RequestHandler = Callable[[Context, RelayEnvelope], Awaitable[dict[str, Any]]]
M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], value: Any, where: str) -> M:
    try:
        return model.model_validate(value if isinstance(value, dict) else {})
    except ValidationError as exc:
        detail = describe_validation_error(list(exc.errors()), prefix=where)
        raise RelayError(E9002, detail=detail) from exc


def _data(envelope: RelayEnvelope, key: str = "data") -> Any:
    return envelope.payload.get(key)


async def on_1101(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _data(envelope) or {}
    certno = str(data.get("certno") or data.get("mdtrt_cert_no") or "")
    person = await handlers.person_info(
        ctx.runtime.sessions,
        admdvs=envelope.insuplc_admdvs,
        psn_cert_type=str(data.get("psn_cert_type") or "01"),
        certno=certno,
        psn_name=data.get("psn_name") or None,
    )
    return person_info_output(person, clock.today())


def _uow(ctx: Context) -> UnitOfWork:
    return UnitOfWork(ctx.runtime.pool)


def _settle_command(envelope: RelayEnvelope) -> ledger.SettleCommand:
    return ledger.SettleCommand(
        msgid=envelope.msgid,
        infno=envelope.infno,
        insured_admdvs=envelope.insuplc_admdvs,
        treating_admdvs=envelope.mdtrtarea_admvs,
        fixmedins_code=envelope.fixmedins_code or "",
        payload=_parse(SettlementPayload, envelope.payload, "settlement"),
    )


async def on_pre_settle(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    return await enquiries.pre_settle(_uow(ctx), ctx.policies, _settle_command(envelope))


async def on_settle(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    return await ledger.settle(
        _uow(ctx), ctx.policies, _settle_command(envelope), owed_for(envelope)
    )


async def on_cancel(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    command = ledger.CancelCommand(
        msgid=envelope.msgid,
        infno=envelope.infno,
        insured_admdvs=envelope.insuplc_admdvs,
        treating_admdvs=envelope.mdtrtarea_admvs,
        fixmedins_code=envelope.fixmedins_code or "",
        payload=_parse(CancelPayload, _data(envelope) or envelope.payload, "data"),
    )
    return await ledger.cancel(_uow(ctx), command, owed_for(envelope))


async def on_register(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _parse(RegistrationPayload, envelope.payload, "registration")
    return await enquiries.register(
        _uow(ctx),
        ctx.policies,
        enquiries.RegisterCommand(
            msgid=envelope.msgid,
            psn_no=data.psn_no,
            insutype=data.insutype,
            care=Care(
                insured_admdvs=envelope.insuplc_admdvs,
                treating_admdvs=envelope.mdtrtarea_admvs,
                med_type=data.med_type,
                admitted_on=data.begntime,
                settled_on=None,  # the stay is open: the settlement's rule, on the same dates
                emergency=data.emergency,
                trauma=data.trum_flag,
                third_party=data.rel_ttp_flag,
            ),
        ),
    )


async def on_5206(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    query = _parse(CumulativePayload, _data(envelope), "data")
    return await enquiries.cumulative(
        _uow(ctx), envelope.insuplc_admdvs, query.psn_no, int(query.cum_ym[:4])
    )


async def on_2601(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _parse(ReversalPayload, _data(envelope), "data")
    return await ledger.reverse(
        _uow(ctx),
        ledger.ReverseCommand(
            msgid=envelope.msgid,
            insured_admdvs=envelope.insuplc_admdvs,
            treating_admdvs=envelope.mdtrtarea_admvs,
            fixmedins_code=envelope.fixmedins_code or "",
            omsgid=data.omsgid,
            oinfno=data.oinfno,
            psn_no=data.psn_no,
        ),
        owed_for(envelope),
    )


class _DateRange(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    psn_no: str = Field(min_length=1, max_length=30)
    begndate: date
    enddate: date | None = None

    @field_validator("begndate", "enddate", mode="before")
    @classmethod
    def _date_part(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value[:10] or None
        return value


class ReferralFiling(_DateRange):
    """2501 转诊备案 (``refmedin``); the destination defaults to the treating region."""

    mdtrtarea_admdvs: str | None = Field(default=None, pattern=r"^\d{6}$")
    diag_code: str | None = None
    refl_rea: str | None = None


class ChronicFilingIn(_DateRange):
    """2503 门诊慢特病备案."""

    opsp_dise_code: str = Field(min_length=1, max_length=10)


class FilingCancel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    psn_no: str = Field(min_length=1, max_length=30)
    trt_dcla_detl_sn: str = Field(min_length=1, max_length=32)


async def on_2501(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _parse(ReferralFiling, _data(envelope, "refmedin"), "refmedin")
    filing = await filings.create(
        ctx.runtime.sessions,
        ctx.policies,
        data.psn_no,
        FilingRequest(
            "21", data.mdtrtarea_admdvs or envelope.mdtrtarea_admvs, data.begndate, data.enddate
        ),
        clock.today(),
        admdvs=envelope.insuplc_admdvs,
        msgid=envelope.msgid,
    )
    return {
        "result": {
            "trt_dcla_detl_sn": filing.filing_id,
            "begndate": filing.begndate.isoformat(),
            "enddate": filing.enddate.isoformat() if filing.enddate else None,
        }
    }


async def on_2502(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _parse(FilingCancel, _data(envelope), "data")
    await filings.cancel(
        ctx.runtime.sessions,
        ctx.policies,
        data.psn_no,
        data.trt_dcla_detl_sn,
        clock.today(),
        admdvs=envelope.insuplc_admdvs,
    )
    return {"result": {"trt_dcla_detl_sn": data.trt_dcla_detl_sn, "status": "cancelled"}}


async def on_2503(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _parse(ChronicFilingIn, _data(envelope), "data")
    filing = await filings.create_chronic(
        ctx.runtime.sessions,
        ctx.policies,
        data.psn_no,
        data.opsp_dise_code,
        data.begndate,
        data.enddate,
        clock.today(),
        admdvs=envelope.insuplc_admdvs,
        msgid=envelope.msgid,
    )
    return {"result": {"trt_dcla_detl_sn": filing.filing_id}}


async def on_2504(ctx: Context, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _parse(FilingCancel, _data(envelope), "data")
    await filings.cancel_chronic(ctx.runtime.sessions, data.psn_no, data.trt_dcla_detl_sn)
    return {"result": {"trt_dcla_detl_sn": data.trt_dcla_detl_sn, "status": "cancelled"}}


HANDLERS: dict[str, RequestHandler] = {
    "1101": on_1101,
    "2401": on_register,
    "2201": on_register,
    "2303": on_pre_settle,
    "2206": on_pre_settle,
    "2304": on_settle,
    "2207": on_settle,
    "2305": on_cancel,
    "2208": on_cancel,
    "5206": on_5206,
    "2601": on_2601,
    "2501": on_2501,
    "2502": on_2502,
    "2503": on_2503,
    "2504": on_2504,
}


class InsuredConsumer:
    def __init__(self, runtime: Runtime, policies: Mapping[str, RegionPolicy]) -> None:
        self._runtime = runtime
        self._context = Context(runtime, policies)
        self._owed = OwedReplyRelay(
            runtime.pool, self._reply, [admdvs for admdvs, _ in runtime.brokers.items()]
        )

    async def start(self) -> None:
        for admdvs, broker in self._runtime.brokers.items():
            queue = await broker.queue(topology.insured_key(admdvs))
            await broker.consume(queue, self._consumer_of(admdvs))
        self._runtime.background.append(asyncio.create_task(self._owed.relay_forever()))
        self._runtime.background.append(asyncio.create_task(self._owed.mark_sent_forever()))

    def _consumer_of(
        self, admdvs: str
    ) -> Callable[[RelayEnvelope, AbstractIncomingMessage], Awaitable[None]]:
        broker = self._runtime.brokers.of(admdvs)

        async def on_request(envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
            sender = broker.sender_of(message)
            if envelope.kind == MessageKind.EVENT:
                await self._on_event(admdvs, envelope, sender)
                return
            refusal = sender_refusal(admdvs, envelope, sender)
            answerable = answer_goes_back(envelope, sender)
            if refusal is None and not answerable:
                refusal = Refusal(E9002.code, f"应答队列 reply_to {envelope.reply_to} 不属于发送方")
            if refusal is not None:
                log.warning("refused %s %s: %s", envelope.infno, envelope.msgid, refusal.detail)
                if answerable:
                    await self._reply(
                        envelope,
                        envelope.reply(admdvs, err_code=refusal.code, err_detail=refusal.detail),
                    )
                return
            await self.on_request(envelope)

        return on_request

    async def _on_event(self, admdvs: str, envelope: RelayEnvelope, sender: str | None) -> None:
        """What the platform tells this region (its prepayment warnings, design §8): kept once.
        Only the platform's word, as the broker vouches, and only for this region."""
        if sender != PLATFORM or envelope.insuplc_admdvs != admdvs:
            log.warning(
                "event %s %s dropped: sender %s, for %s", envelope.infno, envelope.msgid,
                sender, envelope.insuplc_admdvs,
            )  # fmt: skip
            return
        try:
            new = await notices.keep(
                self._runtime.pool,
                relay_id=envelope.relay_id,
                admdvs=admdvs,
                infno=envelope.infno,
                payload=envelope.payload,
            )
        except DATABASE_DOWN as exc:  # requeued: the next delivery keeps it
            raise TransientError(str(exc)) from exc
        if new:
            log.warning("platform notice for %s: %s %s", admdvs, envelope.infno, envelope.payload)

    async def on_request(self, envelope: RelayEnvelope) -> None:
        try:
            if envelope.expired():
                # a redelivery after a crash may find its settlement already made: answer with
                # it, so that both sides end up agreeing (never "expired" for a done deed)
                stored = None
                if envelope.infno in infno.STORED_BY_MSGID:
                    stored = await ledger.stored_answer(_uow(self._context), envelope.msgid)
                if stored is None:
                    raise RelayError(E5005, detail="参保地收到时已超过应答时限")
                await self._reply(envelope, envelope.reply(envelope.insuplc_admdvs, payload=stored))
                return
            handler = HANDLERS.get(envelope.infno)
            if handler is None:
                raise RelayError(E9003, detail=envelope.infno)
            answer = envelope.reply(
                envelope.insuplc_admdvs, payload=await handler(self._context, envelope)
            )
        except RelayError as exc:
            answer = envelope.reply(
                envelope.insuplc_admdvs, err_code=exc.code, err_detail=exc.detail
            )
        except DATABASE_DOWN as exc:  # requeued: the next delivery will do it
            raise TransientError(str(exc)) from exc
        except Exception:
            # a bug: the transaction rolled back, so say so (E5999) rather than let the
            # treating region wait out its deadline; the message still goes to hub.dead
            log.exception("request %s %s failed", envelope.infno, envelope.msgid)
            failed = envelope.reply(envelope.insuplc_admdvs, err_code=E5999.code)
            with contextlib.suppress(Exception):
                await self._reply(envelope, failed)
            raise
        await self._reply(envelope, answer)

    async def _reply(self, request: RelayEnvelope, answer: RelayEnvelope) -> None:
        """To the process that waits, as the insured region's broker user; a reply that cannot
        be published now stays owed (the relay sends it again)."""
        if not request.reply_to:
            return
        broker = self._runtime.brokers.of(answer.sender_admdvs)
        await broker.publish(request.reply_to, answer.with_hop("insured_region"))
        if request.infno in infno.STORED_BY_MSGID:  # confirmed by the broker: no longer owed
            self._owed.sent(request.relay_id)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    detail: str


def answer_goes_back(envelope: RelayEnvelope, sender: str | None) -> bool:
    """An answer goes only into a reply queue of whoever sent the request: its treating region,
    or for a 1101 the platform routed, the treating region the request names."""
    region = envelope.mdtrtarea_admvs if sender == PLATFORM else sender
    return envelope.kind == MessageKind.REQUEST and topology.reply_to_is_of(
        envelope.reply_to, region
    )


def sender_refusal(admdvs: str, envelope: RelayEnvelope, sender: str | None) -> Refusal | None:
    """A request on this region's queue must be for this region, and come from the treating
    region it names, as the broker vouches (``user_id``); the platform may send on its behalf
    (a 1101 it routed from the person index)."""
    if sender is None:
        return Refusal(E5004.code, "请求报文未携带经消息服务校验的发送方（user_id），未办理")
    if envelope.kind != MessageKind.REQUEST:
        return Refusal(E9002.code, f"参保地队列只受理请求报文，收到 {envelope.kind}")
    if envelope.insuplc_admdvs != admdvs:
        return Refusal(
            E5001.code, f"参保地 insuplc_admdvs {envelope.insuplc_admdvs} 不是本队列的 {admdvs}"
        )
    if sender not in (PLATFORM, envelope.mdtrtarea_admvs):
        return Refusal(
            E5004.code,
            f"请求报文的发送方为 {sender}，应为就医地 {envelope.mdtrtarea_admvs}",
        )
    return None
