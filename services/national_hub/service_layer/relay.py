"""The hub's one job per message: check the sender, log the hop, route, forward (design §4)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from services.national_hub.adapters import relay_log
from services.national_hub.domain.routing import NATIONAL_SENDER, Forward, Incoming, decide
from shared.db import CONNECTION_ERRORS
from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging import Broker, TransientError, signature_of, topology
from shared.messaging.signing import region_key, verify

log = logging.getLogger(__name__)


class HubRelay:
    def __init__(self, broker: Broker, pool: asyncpg.Pool, relay_secret: str) -> None:
        self._broker = broker
        self._log = relay_log.LogWriter(pool)
        self._secret = relay_secret
        self._keys: dict[str, bytes] = {}

    def _signature_ok(self, message: AbstractIncomingMessage, claimed: str) -> bool:
        _, signature = signature_of(message)
        if not claimed or not signature:
            return False
        key = self._keys.get(claimed)
        if key is None:
            key = self._keys[claimed] = region_key(self._secret, claimed)
        return verify(key, message.body, signature)

    async def on_ingress(self, envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
        claimed, _ = signature_of(message)
        decision = decide(
            Incoming(
                kind=envelope.kind.value,
                sender_admdvs=envelope.sender_admdvs,
                claimed_sender=claimed,
                signature_ok=self._signature_ok(message, claimed),
                mdtrtarea_admvs=envelope.mdtrtarea_admvs,
                insuplc_admdvs=envelope.insuplc_admdvs,
                reply_to=envelope.reply_to,
                deadline=envelope.deadline,
            ),
            datetime.now(UTC),
        )
        route = decision.route.value if decision.route else None
        try:
            if isinstance(decision, Forward):
                await self._log.record(
                    relay_log.log_row(envelope, stage="ingress", outcome="forwarded", route=route)
                )
                forwarded = envelope.with_hop("national_hub", route=route)
                if decision.insured_admdvs is not None:
                    key = topology.insured_queue(decision.insured_admdvs)
                else:
                    key = str(decision.reply_to)
                await self._broker.publish(topology.HUB_EGRESS, key, forwarded)
                log.info("forwarded %s %s to %s (%s)", envelope.kind, envelope.infno, key, route)
                return
            await self._log.record(
                relay_log.log_row(
                    envelope,
                    stage="ingress",
                    outcome="refused",
                    route=route,
                    err_code=decision.error.code,
                    err_detail=decision.detail,
                )
            )
            log.warning(
                "refused %s %s: %s %s",
                envelope.kind,
                envelope.infno,
                decision.error.code,
                decision.detail,
            )
            if envelope.kind == MessageKind.REQUEST and envelope.reply_to:
                answer = envelope.with_hop("national_hub", route=route).reply(
                    NATIONAL_SENDER, err_code=decision.error.code, err_detail=decision.detail
                )
                await self._broker.publish(topology.HUB_EGRESS, envelope.reply_to, answer)
        except CONNECTION_ERRORS as exc:
            raise TransientError(str(exc)) from exc

    async def on_unrouted(self, envelope: RelayEnvelope, _message: AbstractIncomingMessage) -> None:
        """A reply whose waiting process is gone: recorded, never lost (design §4)."""
        try:
            await self._log.record(
                relay_log.log_row(envelope, stage="unrouted", outcome="late", route=envelope.route)
            )
        except CONNECTION_ERRORS as exc:
            raise TransientError(str(exc)) from exc
        log.warning("unroutable %s %s recorded as late", envelope.kind, envelope.infno)
