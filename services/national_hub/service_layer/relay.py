"""What the hub still does with a message itself (design §4): the broker routes every request
and reply, and the hub answers only for what the broker cannot — a 1101 to route by the
national person index, an enrolment event for that index, a request routed nowhere (E5001), and
what expired or was rejected on the way (recorded). Its transaction log comes from the journal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg
from pydantic import ValidationError

from services.national_hub.adapters import person_index, relay_log
from services.national_hub.domain.person_index import IndexEntry
from services.national_hub.domain.routing import (
    NATIONAL_SENDER,
    Decision,
    Forward,
    Incoming,
    Index,
    Refuse,
    certificate_of,
    decide,
    needs_index,
)
from shared.envelope import MessageKind, RelayEnvelope
from shared.errors import E5001, E9002
from shared.infra_errors import DATABASE_DOWN
from shared.messaging import Broker, TransientError, topology
from shared.messaging.person_index import EnrolmentPayload, cert_type, certno_hash, index_key

log = logging.getLogger(__name__)

DEAD_OUTCOMES = {
    "expired": "expired",
    "rejected": "rejected",
    "maxlen": "maxlen",
    "delivery_limit": "over_limit",
}
"""RabbitMQ's dead-letter reasons, as the log's outcome column (10 characters) keeps them."""
NO_QUEUE = "参保地 insuplc_admdvs {insured} 没有可投递的队列，国家平台未转发"


class Hub:
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

    async def _decide(self, envelope: RelayEnvelope, sender: str | None) -> Decision:
        indexed = None
        if needs_index(envelope.kind.value, envelope.infno, envelope.insuplc_admdvs):
            indexed = await self._indexed(envelope)
        return decide(
            Incoming(
                kind=envelope.kind.value,
                sender_admdvs=envelope.sender_admdvs,
                sender=sender,
                mdtrtarea_admvs=envelope.mdtrtarea_admvs,
                insuplc_admdvs=envelope.insuplc_admdvs,
                reply_to=envelope.reply_to,
                deadline=envelope.deadline,
                infno=envelope.infno,
                indexed_admdvs=indexed,
            ),
            datetime.now(UTC),
        )

    async def on_request(self, envelope: RelayEnvelope, sender: str | None) -> None:
        """``hub.requests``: a 1101 without its insured region, or an enrolment event."""
        try:
            decision = await self._decide(envelope, sender)
            route = decision.route.value if decision.route else None
            if isinstance(decision, Index):
                await self._keep(envelope, decision.insured_admdvs)
            elif isinstance(decision, Forward) and decision.insured_admdvs is not None:
                # the region found in the person index travels on: the insured region answers
                # the waiting process directly, and the reply carries the region back
                forwarded = envelope.with_hop("national_hub", route=route).model_copy(
                    update={"insuplc_admdvs": decision.insured_admdvs}
                )
                await self._record(forwarded, "decision", "forwarded", route)
                await self._broker.publish(topology.insured_key(decision.insured_admdvs), forwarded)
            elif isinstance(decision, Refuse):
                await self._refuse(envelope, decision, sender, stage="decision")
            else:  # a reply has no business here
                await self._record(envelope, "decision", "ignored", route)
        except DATABASE_DOWN as exc:
            raise TransientError(str(exc)) from exc

    async def on_unrouted(self, envelope: RelayEnvelope, sender: str | None) -> None:
        """Routed nowhere: a request to a region the broker does not know is answered E5001; a
        reply whose process is gone, or an event nobody takes, is recorded — never lost."""
        try:
            if envelope.kind != MessageKind.REQUEST:
                await self._record(envelope, "unrouted", "late", envelope.route)
                log.warning("unroutable %s %s recorded as late", envelope.kind, envelope.infno)
                return
            decision = await self._decide(envelope, sender)
            if not isinstance(decision, Refuse):
                detail = NO_QUEUE.format(insured=envelope.insuplc_admdvs)
                decision = Refuse(E5001, detail, decision.route)
            await self._refuse(envelope, decision, sender, stage="unrouted")
        except DATABASE_DOWN as exc:
            raise TransientError(str(exc)) from exc

    async def on_dead(self, envelope: RelayEnvelope, reason: str) -> None:
        """Expired on its way (the insured region never took it in time), rejected, or a reply
        nobody took: recorded."""
        outcome = (
            "late" if envelope.kind == MessageKind.REPLY else DEAD_OUTCOMES.get(reason, "dead")
        )
        try:
            await self._record(envelope, "dead", outcome, envelope.route)
        except DATABASE_DOWN as exc:
            raise TransientError(str(exc)) from exc
        log.warning("dead-lettered %s %s (%s) recorded", envelope.kind, envelope.infno, reason)

    async def _refuse(
        self, envelope: RelayEnvelope, decision: Refuse, sender: str | None, *, stage: str
    ) -> None:
        """Recorded; answered only into a reply queue of the region that sent it (as the broker
        vouches), so that nobody can have the platform publish into another region's queue."""
        route = decision.route.value if decision.route else None
        await self._record(
            envelope,
            stage,
            "refused",
            route,
            err_code=decision.error.code,
            err_detail=decision.detail,
        )
        log.warning(
            "refused %s %s: %s %s",
            envelope.kind,
            envelope.infno,
            decision.error.code,
            decision.detail,
        )
        reply_to = envelope.reply_to
        if (
            envelope.kind == MessageKind.REQUEST
            and reply_to
            and topology.reply_to_is_of(reply_to, sender)
        ):
            answer = envelope.with_hop("national_hub", route=route).reply(
                NATIONAL_SENDER, err_code=decision.error.code, err_detail=decision.detail
            )
            await self._broker.publish(reply_to, answer)

    async def _record(
        self,
        envelope: RelayEnvelope,
        stage: str,
        outcome: str,
        route: str | None,
        **error: str | None,
    ) -> None:
        await self._log.record(
            relay_log.log_row(envelope, stage=stage, outcome=outcome, route=route, **error)
        )

    async def _keep(self, envelope: RelayEnvelope, insured_admdvs: str) -> None:
        """An enrolment event: upsert its persons into the index, then log it (a replay after a
        crash in between upserts again, which changes nothing)."""
        try:
            payload = EnrolmentPayload.model_validate(envelope.payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            detail = f"参保登记事件 字段 {'.'.join(map(str, first['loc']))}：{first['msg']}"
            await self._record(
                envelope, "decision", "refused", None, err_code=E9002.code, err_detail=detail
            )
            log.warning("refused an enrolment event of %s: %s", insured_admdvs, detail)
            return
        await person_index.upsert(
            self._pool,
            insured_admdvs,
            [IndexEntry(p.certno_hash, p.psn_cert_type, p.enrolled_at) for p in payload.persons],
        )
        await self._record(envelope, "decision", "indexed", None)
        log.info("person index: %d persons of %s", len(payload.persons), insured_admdvs)
