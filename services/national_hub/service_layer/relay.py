"""The hub's one job per message: check the sender, log the hop, route, forward (design §4);
and keep the national person index that routes a 1101 sent without its insured region."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg
from pydantic import ValidationError

from services.national_hub.adapters import person_index, relay_log
from services.national_hub.domain.person_index import IndexEntry
from services.national_hub.domain.routing import (
    NATIONAL_SENDER,
    Forward,
    Incoming,
    Index,
    certificate_of,
    decide,
    needs_index,
)
from shared.envelope import MessageKind, RelayEnvelope
from shared.errors import E9002
from shared.infra_errors import DATABASE_DOWN
from shared.messaging import Broker, SenderCheck, TransientError, topology
from shared.messaging.person_index import EnrolmentPayload, cert_type, certno_hash, index_key

log = logging.getLogger(__name__)


class HubRelay:
    def __init__(self, broker: Broker, pool: asyncpg.Pool, relay_secret: str) -> None:
        self._broker = broker
        self._pool = pool
        self._log = relay_log.LogWriter(pool)
        self._index_key = index_key(relay_secret)

    async def _indexed(self, envelope: RelayEnvelope) -> str | None:
        """The insured region the national person index gives for a 1101 sent without one."""
        certificate = certificate_of(envelope.payload)
        if certificate is None:
            return None
        return await person_index.lookup(
            self._pool,
            certno_hash(self._index_key, certificate.certno),
            cert_type(certificate.psn_cert_type),
        )

    async def on_ingress(self, envelope: RelayEnvelope, sender: SenderCheck) -> None:
        """``sender``: what the consumer edge found in the message's signature headers."""
        signature_ok = sender.signature_ok
        try:
            indexed = None
            if signature_ok and needs_index(
                envelope.kind.value, envelope.infno, envelope.insuplc_admdvs
            ):
                indexed = await self._indexed(envelope)
            decision = decide(
                Incoming(
                    kind=envelope.kind.value,
                    sender_admdvs=envelope.sender_admdvs,
                    claimed_sender=sender.claimed,
                    signature_ok=signature_ok,
                    mdtrtarea_admvs=envelope.mdtrtarea_admvs,
                    insuplc_admdvs=envelope.insuplc_admdvs,
                    reply_to=envelope.reply_to,
                    deadline=envelope.deadline,
                    infno=envelope.infno,
                    indexed_admdvs=indexed,
                ),
                datetime.now(UTC),
            )
            route = decision.route.value if decision.route else None
            if isinstance(decision, Index):
                await self._keep(envelope, decision.insured_admdvs)
                return
            if isinstance(decision, Forward):
                forwarded = envelope.with_hop("national_hub", route=route)
                if decision.insured_admdvs is not None:
                    # a region found in the person index travels on: the insured region answers
                    # for it and the reply carries it back to the hospital
                    forwarded = forwarded.model_copy(
                        update={"insuplc_admdvs": decision.insured_admdvs}
                    )
                    key = topology.insured_queue(decision.insured_admdvs)
                else:
                    key = str(decision.reply_to)
                await self._log.record(
                    relay_log.log_row(forwarded, stage="ingress", outcome="forwarded", route=route)
                )
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
        except DATABASE_DOWN as exc:
            raise TransientError(str(exc)) from exc

    async def _keep(self, envelope: RelayEnvelope, insured_admdvs: str) -> None:
        """An enrolment event: upsert its persons into the index, then log it (a replay after a
        crash in between upserts again, which changes nothing)."""
        try:
            payload = EnrolmentPayload.model_validate(envelope.payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            detail = f"参保登记事件 字段 {'.'.join(map(str, first['loc']))}：{first['msg']}"
            await self._log.record(
                relay_log.log_row(
                    envelope,
                    stage="ingress",
                    outcome="refused",
                    route=None,
                    err_code=E9002.code,
                    err_detail=detail,
                )
            )
            log.warning("refused an enrolment event of %s: %s", insured_admdvs, detail)
            return
        await person_index.upsert(
            self._pool,
            insured_admdvs,
            [IndexEntry(p.certno_hash, p.psn_cert_type, p.enrolled_at) for p in payload.persons],
        )
        await self._log.record(
            relay_log.log_row(envelope, stage="ingress", outcome="indexed", route=None)
        )
        log.info("person index: %d persons of %s", len(payload.persons), insured_admdvs)

    async def on_unrouted(self, envelope: RelayEnvelope) -> None:
        """A reply whose waiting process is gone: recorded, never lost (design §4)."""
        try:
            await self._log.record(
                relay_log.log_row(envelope, stage="unrouted", outcome="late", route=envelope.route)
            )
        except DATABASE_DOWN as exc:
            raise TransientError(str(exc)) from exc
        log.warning("unroutable %s %s recorded as late", envelope.kind, envelope.infno)
