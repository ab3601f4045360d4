"""Requests from the hub: answer each with a reply, never with silence (design §4)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.exc import DBAPIError, OperationalError

from services.insured_region.entrypoints.schemas import person_info_output
from services.insured_region.service_layer import handlers
from shared.envelope import MessageKind, RelayEnvelope, china_today
from shared.errors import E5005, E9003, RelayError
from shared.messaging import TransientError, topology
from shared.runtime import Runtime

log = logging.getLogger(__name__)

RequestHandler = Callable[[Runtime, RelayEnvelope], Awaitable[dict[str, Any]]]


def _data(envelope: RelayEnvelope) -> dict[str, Any]:
    data = envelope.payload.get("data")
    return data if isinstance(data, dict) else {}


async def on_1101(runtime: Runtime, envelope: RelayEnvelope) -> dict[str, Any]:
    data = _data(envelope)
    certno = str(data.get("certno") or data.get("mdtrt_cert_no") or "")
    person = await handlers.person_info(
        runtime.sessions,
        admdvs=envelope.insuplc_admdvs,
        psn_cert_type=str(data.get("psn_cert_type") or "01"),
        certno=certno,
        psn_name=data.get("psn_name") or None,
    )
    return person_info_output(person, china_today())


HANDLERS: dict[str, RequestHandler] = {"1101": on_1101}


class InsuredConsumer:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def start(self) -> None:
        broker = self._runtime.broker
        for admdvs in self._runtime.regions:
            name = topology.insured_queue(admdvs)
            queue = await broker.declare_quorum_queue(
                name, exchange=topology.HUB_EGRESS, routing_keys=[name]
            )
            await broker.consume(queue, self.on_request)

    async def on_request(self, envelope: RelayEnvelope, _message: AbstractIncomingMessage) -> None:
        if envelope.kind != MessageKind.REQUEST:
            log.warning("ignored %s on an insured queue", envelope.kind)
            return
        try:
            if envelope.expired():
                raise RelayError(E5005, detail="expired before the insured region saw it")
            handler = HANDLERS.get(envelope.infno)
            if handler is None:
                raise RelayError(E9003, detail=envelope.infno)
            answer = envelope.reply(
                envelope.insuplc_admdvs, payload=await handler(self._runtime, envelope)
            )
        except RelayError as exc:
            answer = envelope.reply(
                envelope.insuplc_admdvs, err_code=exc.code, err_detail=exc.detail
            )
        except (OperationalError, DBAPIError, OSError) as exc:
            raise TransientError(str(exc)) from exc
        await self._runtime.broker.publish(
            topology.HUB_INGRESS,
            topology.ingress_routing_key(MessageKind.REPLY, envelope.insuplc_admdvs),
            answer.with_hop("insured_region"),
        )
