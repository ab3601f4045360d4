"""The gateway use case: idempotent on msgid, dispatched by infno, outcome always recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.treating_region.adapters import messages, sign_ins, visits
from services.treating_region.domain.conformance import ForcedRule
from services.treating_region.service_layer import reversal, settlement
from services.treating_region.service_layer.commands import Command, visit_named
from services.treating_region.service_layer.conformance import Conformance
from services.treating_region.service_layer.context import Answered, TreatingContext
from services.treating_region.service_layer.handlers import HANDLERS, Handler
from shared import infno
from shared.canonical import canonical_hash
from shared.envelope import NationalRequest, RelayEnvelope
from shared.errors import (
    E3006,
    E4007,
    E5002,
    E5003,
    E5999,
    E9001,
    E9002,
    E9003,
    E9004,
    E9006,
    E9008,
    E9010,
    RelayError,
    lookup,
)
from shared.infra_errors import DATABASE_FAILED

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answer:
    inf_refmsgid: str
    output: dict[str, Any] | None
    error: RelayError | None
    forced: str | None = None
    """The conformance rule that forced this answer (design §8b), if one did."""


def _stored_answer(
    stored: messages.StoredMessage, request: NationalRequest, digest: str, deadline_s: float
) -> Answer:
    if stored.fixmedins_code != request.fixmedins_code:
        # another institution's: a reused msgid, whatever became of it there
        raise RelayError(E9004, detail=f"msgid {request.msgid}")
    if stored.status == "reversed":  # 2601 came first, or undid it: the msgid is spent
        return Answer(stored.inf_refmsgid, None, RelayError(E4007, detail=stored.msgid))
    if stored.body_hash != digest:
        raise RelayError(E9004, detail=stored.msgid)
    if stored.status == "pending" and not stored.stuck(deadline_s):
        raise RelayError(E9006, detail=stored.msgid)
    if stored.status in ("unknown", "pending"):
        return Answer(stored.inf_refmsgid, None, RelayError(E5002, detail=stored.msgid))
    if stored.err_code:
        error = RelayError(lookup(stored.err_code), detail=stored.err_detail or "")
        return Answer(stored.inf_refmsgid, None, error)
    return Answer(stored.inf_refmsgid, stored.output, None)


SIGN_IN_FREE = frozenset({"9001"})
"""What an institution may call without a sign-in, where sign-in is required."""

REGION_NAMED_BY_THE_HOSPITAL = infno.REGISTER | infno.FILING | infno.FILING_CANCEL | {"5206"}
"""Nothing but the hospital can tell these where the patient is insured (1101 can ask the hub)."""

REGION_OF_THE_VISIT = (
    frozenset({"2402", "2403", "2404", "2405", "2203", "2302", "2205"})
    | infno.UPLOAD
    | infno.PRE_SETTLE
    | infno.SETTLE
    | infno.CANCEL
)
"""Transactions on a registered visit: the visit knows its insured region."""


class Gateway:
    def __init__(
        self,
        ctx: TreatingContext,
        served: tuple[str, ...],
        nonce_window_s: float = 300.0,
        *,
        require_sign_in: bool = False,
        conformance: Conformance | None = None,
    ) -> None:
        self._ctx = ctx
        self.conformance = conformance
        self._served = frozenset(served)
        self._require_sign_in = require_sign_in
        self._keep_nonces = timedelta(seconds=2 * nonce_window_s)
        self._next_prune = datetime.min.replace(tzinfo=UTC)

    async def call(
        self, request: NationalRequest, command: Command, nonce: messages.Nonce | None = None
    ) -> Answer:
        if request.mdtrtarea_admvs not in self._served:
            raise RelayError(
                E9002,
                detail=f"字段 mdtrtarea_admvs：本平台不受理就医地 {request.mdtrtarea_admvs} 的交易",
            )
        institution = self._ctx.institutions.get(request.fixmedins_code)
        if institution is None or institution.admdvs != request.mdtrtarea_admvs:
            # every transaction, pass-through ones too: only a designated institution of the
            # region it says it is in may call (design §3)
            raise RelayError(
                E3006,
                detail=f"{request.fixmedins_code} 不是就医地 {request.mdtrtarea_admvs} "
                "的定点医药机构",
            )
        handler = HANDLERS.get(request.infno)
        if handler is None:
            raise RelayError(E9003, detail=f"infno {request.infno}")
        if request.infno in REGION_NAMED_BY_THE_HOSPITAL and request.insuplc_admdvs is None:
            raise RelayError(
                E9002,
                detail="字段 insuplc_admdvs：必填，未填写（参保地医保区划，可先用 1101 查询）",
            )
        if self._require_sign_in and request.infno not in SIGN_IN_FREE:
            await self._check_sign_in(request)
        # the meaning, not the bytes: key order, blanks, unknown keys are no new request
        digest = canonical_hash(request.model_dump(mode="json", exclude_none=True))
        refmsgid = uuid.uuid4().hex
        try:
            request = await self._with_the_visits_region(request, command)
            await self._forget_old_nonces()
            stored = await self._claim(request, digest, refmsgid, nonce)
        except messages.NonceReused as exc:
            raise RelayError(E9008, detail="x-tif-nonce 已在同一时间戳下使用过") from exc
        except DATABASE_FAILED as exc:
            # nothing was recorded, so nothing was sent: safe to say so and to retry
            log.warning("claim of %s failed: %s: %s", request.msgid, type(exc).__name__, exc)
            raise RelayError(
                E5003, detail="就医地平台数据库暂不可用，本笔交易未受理，可重试"
            ) from exc
        if stored is not None:
            return _stored_answer(stored, request, digest, self._ctx.deadline_s)
        forced = await self.conformance.forced(request) if self.conformance else None
        if forced is not None and forced.action in ("error", "refuse_at_hub"):
            return await self._refuse(forced, request, refmsgid)
        answer = await self._run(handler, request, command, refmsgid)
        if forced is None:
            return answer
        if forced.action == "lose_reply" and answer.error is not None:
            # nothing committed to lose (a refusal, or an outcome already unknown): the call
            # keeps its real answer, and the rule its use for a call that settles
            assert self.conformance is not None
            await self.conformance.give_back(forced)
            return answer
        with contextlib.suppress(*DATABASE_FAILED):  # the mark never costs the answer
            await messages.mark_forced(self._ctx.pool, request.msgid, forced.mark)
        await asyncio.sleep(float(forced.delay_s or 0))
        if forced.action == "delay":
            return Answer(answer.inf_refmsgid, answer.output, answer.error, forced.mark)
        # lose_reply: what was done is done and stored (a read or a resend learns it); the
        # hospital hears only that the outcome is unknown (after delay_s: a platform timeout)
        lost = RelayError(E5002, detail="等待参保地应答超时，交易结果未知，请查询结果或冲正")
        return Answer(refmsgid, None, lost, forced.mark)

    async def _refuse(self, rule: ForcedRule, request: NationalRequest, refmsgid: str) -> Answer:
        """A forced refusal: nothing is sent on. Refused "at the hub" with E5003, the msgid is
        free again (nothing happened), as for a real E5003; any other code is kept as the
        message's outcome, marked with the rule. If that cannot be written, the claim is let go
        and the hospital told E5003: never a message left pending that was never sent."""
        code = rule.err_code or (E5003.code if rule.action == "refuse_at_hub" else E9001.code)
        error = RelayError(lookup(code), detail=rule.err_msg or "")
        try:
            if code == E5003.code:
                await messages.release(self._ctx.pool, request.msgid)
            else:
                await messages.answer(
                    self._ctx.pool,
                    request.msgid,
                    status="error",
                    err_code=code,
                    err_detail=rule.err_msg,
                    forced=rule.mark,
                )
        except DATABASE_FAILED as exc:
            with contextlib.suppress(*DATABASE_FAILED):
                await messages.release(self._ctx.pool, request.msgid)
            if self.conformance is not None:
                await self.conformance.give_back(rule)
            raise RelayError(
                E5003, detail="就医地平台数据库暂不可用，本笔交易未受理，可重试"
            ) from exc
        return Answer(refmsgid, None, error, rule.mark)

    async def _with_the_visits_region(
        self, request: NationalRequest, command: Command
    ) -> NationalRequest:
        """A visit's transaction sent without its insured region, or with the treating area as
        real clients do, is the visit's: recorded so, a 2601 of it goes where it went. Only
        such requests pay the visit lookup."""
        named = request.insuplc_admdvs
        if request.infno not in REGION_OF_THE_VISIT or named not in (
            None,
            request.mdtrtarea_admvs,
        ):
            return request
        mdtrt_id = visit_named(command)
        visit = await visits.Visits(self._ctx.pool).get(mdtrt_id) if mdtrt_id else None
        if visit is None or visit.fixmedins_code != request.fixmedins_code:
            return request  # the handler answers E3001
        return request.model_copy(update={"insuplc_admdvs": visit.insuplc_admdvs})

    async def _check_sign_in(self, request: NationalRequest) -> None:
        sign_no = request.sign_no
        if not sign_no or not await sign_ins.is_open(
            self._ctx.pool, sign_no=sign_no, fixmedins_code=request.fixmedins_code
        ):
            raise RelayError(E9010, detail=f"sign_no {sign_no or '未填写'}")

    async def _forget_old_nonces(self) -> None:
        now = datetime.now(UTC)
        if now >= self._next_prune:
            self._next_prune = now + timedelta(seconds=30)
            await messages.forget_nonces(self._ctx.pool, now - self._keep_nonces)

    async def _claim(
        self,
        request: NationalRequest,
        digest: str,
        refmsgid: str,
        nonce: messages.Nonce | None,
    ) -> messages.StoredMessage | None:
        return await messages.claim(
            self._ctx.pool,
            msgid=request.msgid,
            infno=request.infno,
            fixmedins_code=request.fixmedins_code,
            mdtrtarea_admvs=request.mdtrtarea_admvs,
            insuplc_admdvs=request.insuplc_admdvs or "",
            body_hash=digest,
            relay_id=None,
            inf_refmsgid=refmsgid,
            nonce=nonce,
            sign_no=request.sign_no,
        )

    async def _run(
        self, handler: Handler, request: NationalRequest, command: Command, refmsgid: str
    ) -> Answer:
        pool = self._ctx.pool
        try:
            output = await handler(self._ctx, request, command)
        except RelayError as exc:
            if exc.code == E5003.code:  # never sent: nothing to remember, the msgid may come again
                with contextlib.suppress(*DATABASE_FAILED):
                    await messages.release(pool, request.msgid)
                return Answer(refmsgid, None, exc)
            # E5002: the insured region may still act; the outcome stays open until known —
            # unless its reply came in the moment between the deadline and this write, and was
            # recorded late already (kept: it is the outcome)
            status = "unknown" if exc.code == E5002.code else "error"
            await messages.answer(
                pool,
                request.msgid,
                status=status,
                err_code=exc.code,
                err_detail=exc.detail[:500] or None,
                only_if=("pending",) if status == "unknown" else None,
            )
            return Answer(refmsgid, None, exc)
        except DATABASE_FAILED as exc:
            # the database went away mid-transaction: what reached the insured region is unknown
            log.warning("database lost during %s: %s", request.infno, exc)
            with contextlib.suppress(*DATABASE_FAILED):
                await messages.answer(
                    pool, request.msgid, status="unknown", err_code=E5002.code, only_if=("pending",)
                )
            return Answer(
                refmsgid, None, RelayError(E5002, detail="就医地平台数据库连接中断，交易结果未知")
            )
        except BaseException:
            with contextlib.suppress(*DATABASE_FAILED):
                await messages.answer(
                    pool, request.msgid, status="unknown", err_code=E5999.code, only_if=("pending",)
                )
            raise
        if isinstance(output, Answered):  # stored with the effect, in the same statement
            return Answer(refmsgid, output.output, None)
        await messages.answer(pool, request.msgid, status="ok", output=output)
        return Answer(refmsgid, output, None)

    async def on_late_reply(self, reply: RelayEnvelope) -> None:
        """A reply after the deadline: the unknown outcome becomes known, and is kept."""
        status = "late_error" if reply.err_code else "late_ok"
        updated = await messages.answer(
            self._ctx.pool,
            reply.msgid,
            status=status,
            output=reply.payload or None,
            err_code=reply.err_code,
            err_detail=reply.err_detail,
            # "pending": the reply came just after the deadline, before the gateway wrote
            # "unknown" (it then leaves this outcome as it is)
            only_if=("unknown", "pending"),
            # the reply's region was checked against its broker user: it must also be where
            # this hospital's message went, or a region could settle another's open outcome
            only_from=reply.insuplc_admdvs,
        )
        if updated and not reply.err_code and reply.infno in infno.SETTLE | infno.CANCEL:
            await settlement.record_late(self._ctx, reply)
        elif updated and not reply.err_code and reply.infno == "2601":
            try:  # the reversal happened over there: undo here what it undid there
                await reversal.apply(self._ctx, reply, reply.payload)
            except RelayError as exc:
                log.warning("late 2601 %s not applied here: %s %s", reply.msgid, exc.code, exc)
        log.info("late reply for %s recorded: %s", reply.msgid, status if updated else "ignored")
