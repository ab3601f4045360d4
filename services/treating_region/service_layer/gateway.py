"""The gateway use case: idempotent on msgid, relayed through the hub, outcome always recorded."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from services.treating_region.adapters import messages
from shared.envelope import NationalRequest, RelayEnvelope
from shared.errors import E5002, E9002, E9004, E9006, RelayError, lookup
from shared.messaging import RelayClient, ReplyTimeout

log = logging.getLogger(__name__)

RELAYED_INFNOS = frozenset({"1101"})


@dataclass(frozen=True, slots=True)
class Answer:
    inf_refmsgid: str
    output: dict[str, Any] | None
    error: RelayError | None


def body_hash(body: dict[str, Any]) -> str:
    """Hash of the meaning, not the bytes: key order, blanks, unknown keys are no new request."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _stored_answer(stored: messages.StoredMessage, digest: str) -> Answer:
    if stored.body_hash != digest:
        raise RelayError(E9004, detail=stored.msgid)
    if stored.status == "pending":
        raise RelayError(E9006, detail=stored.msgid)
    if stored.status == "unknown":
        return Answer(stored.inf_refmsgid, None, RelayError(E5002, detail=stored.msgid))
    if stored.err_code:
        error = RelayError(lookup(stored.err_code), detail=stored.err_detail or "")
        return Answer(stored.inf_refmsgid, None, error)
    return Answer(stored.inf_refmsgid, stored.output, None)


class Gateway:
    def __init__(
        self, engine: AsyncEngine, relay: RelayClient, served: tuple[str, ...], deadline_s: float
    ) -> None:
        self._engine = engine
        self._relay = relay
        self._served = frozenset(served)
        self._deadline_s = deadline_s

    async def call(self, request: NationalRequest) -> Answer:
        if request.mdtrtarea_admvs not in self._served:
            raise RelayError(
                E9002,
                detail=f"mdtrtarea_admvs {request.mdtrtarea_admvs} "
                "is not a treating region served here",
            )
        if not request.msgid.startswith(request.fixmedins_code):
            raise RelayError(E9002, detail="msgid must start with fixmedins_code")
        digest = body_hash(request.model_dump(mode="json", exclude_none=True))
        envelope = self._relay.new_request(
            msgid=request.msgid,
            infno=request.infno,
            sender_admdvs=request.mdtrtarea_admvs,
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            insuplc_admdvs=request.insuplc_admdvs,
            fixmedins_code=request.fixmedins_code,
            payload=request.input,
            deadline_s=self._deadline_s,
        )
        refmsgid = uuid.uuid4().hex
        stored = await messages.claim(
            self._engine,
            msgid=request.msgid,
            infno=request.infno,
            fixmedins_code=request.fixmedins_code,
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            insuplc_admdvs=request.insuplc_admdvs,
            body_hash=digest,
            relay_id=envelope.relay_id,
            inf_refmsgid=refmsgid,
        )
        if stored is not None:
            return _stored_answer(stored, digest)
        return await self._relay_and_record(envelope, refmsgid)

    async def _relay_and_record(self, envelope: RelayEnvelope, refmsgid: str) -> Answer:
        try:
            reply = await self._relay.request(envelope)
        except ReplyTimeout:
            await messages.answer(
                self._engine, envelope.msgid, status="unknown", err_code=E5002.code
            )
            return Answer(refmsgid, None, RelayError(E5002, detail=envelope.msgid))
        except BaseException:
            # the hospital gets an error and must be able to retry or query: never stay pending
            await messages.answer(
                self._engine, envelope.msgid, status="unknown", err_code=E5002.code
            )
            raise
        if reply.err_code:
            await messages.answer(
                self._engine,
                envelope.msgid,
                status="error",
                err_code=reply.err_code,
                err_detail=reply.err_detail,
            )
            return Answer(
                refmsgid, None, RelayError(lookup(reply.err_code), detail=reply.err_detail or "")
            )
        await messages.answer(self._engine, envelope.msgid, status="ok", output=reply.payload)
        return Answer(refmsgid, reply.payload, None)

    async def on_late_reply(self, reply: RelayEnvelope) -> None:
        """A reply after the deadline: the unknown outcome becomes known, and is kept."""
        status = "late_error" if reply.err_code else "late_ok"
        updated = await messages.answer(
            self._engine,
            reply.msgid,
            status=status,
            output=reply.payload or None,
            err_code=reply.err_code,
            err_detail=reply.err_detail,
            only_if="unknown",
        )
        log.info("late reply for %s recorded: %s", reply.msgid, status if updated else "ignored")
