"""What the hub does for supervision (design §8; the national management subsystem's part):
co-investigation requests, their monthly batches, answers and confirmations; audit deductions;
deductions booked so that the clearing returns them; two-way benefit flags.

The rules are the domain's (``domain/coinvestigation``, ``deductions``, ``two_way``); this module
reads, locks and stores around them. Every write is one transaction, and every repeat of an
answer or a confirmation answers the same.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from services.national_hub.adapters import supervision as store
from services.national_hub.domain import clearing, deductions, two_way
from services.national_hub.domain import coinvestigation as rules
from services.national_hub.domain.books import FUNDS
from services.national_hub.domain.coinvestigation import ClosedBy, State, Verdict
from shared.errors import E6009, E6010, E6011, E6012, E6013, E6014, RelayError

log = logging.getLogger(__name__)

_LOCK = 0x78636B70  # "xckp": one keeper pass at a time, across hub processes

INCOMPLETE_REASON = "协查申请信息不全或不精准，参保地逾期未补充（第六十三条(三)2），不得再次提出"
OVERDUE_REASON = "区内协查逾期未答复，按核查无误处理（第六十三条(三)1）"


MAX_AMOUNT = Decimal("999999999999.99")
"""What a money column (Numeric(14, 2)) holds."""


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
        exact = amount.is_finite() and abs(amount) <= MAX_AMOUNT
        if not exact or amount != amount.quantize(Decimal("0.01")):
            raise RelayError(E6012, detail=f"{field} 应为精确到分的金额")
    except (InvalidOperation, ValueError):
        raise RelayError(E6012, detail=f"{field} 应为金额") from None
    return amount


def _room(found: dict[str, Any], amount: Decimal) -> str | None:
    """Why ``amount`` may not be deducted from the settlement now (None: it may)."""
    if found["cancelled"]:
        return f"结算 {found['setl_id']} 已退费，无可扣减的基金支付"
    room = found["fund_pay_sumamt"] - found["deducted"]
    if amount <= 0 or amount > room:
        return f"扣款金额 {amount:.2f} 应大于 0 且不超过 {room:.2f}（基金支付减已扣款）"
    return None


def _left(found: dict[str, Any]) -> dict[str, Decimal]:
    """What each fund paid less what deductions already took from it."""
    return {name: found[f"left_{name}"] for name in FUNDS}


async def _settlement(conn: Any, setl_id: str, *, region: str, side: str) -> dict[str, Any]:
    found = await store.settlement(conn, setl_id)
    column = "insuplc_admdvs" if side == "insured" else "mdtrtarea_admvs"
    if found is None or found[column] != region:
        raise RelayError(E6009, detail=f"结算 {setl_id[:30]}（{region}）")
    if found["route"] is None:
        raise RelayError(E6009, detail=f"结算 {setl_id[:30]} 为参保地本地就医，不属异地就医")
    return found


# ---------------------------------------------------------------- co-investigation


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in (*rules.REQUIRED_FIELDS, "memo")}


async def raise_request(
    pool: asyncpg.Pool, body: dict[str, Any], insuplc_admdvs: str, today: date
) -> dict[str, Any]:
    """A request for settlement ``setl_id``: refused below the threshold or for a stay that may
    not be investigated; kept as *incomplete* (returned, five days to complete) when a field is
    missing or does not match the settlement; asked again with the same fields, the same."""
    setl_id = str(body.get("setl_id") or "").strip()
    if not setl_id:
        raise RelayError(E6009, detail="缺少结算ID（setl_id）")
    fields = _fields(body)
    async with pool.acquire() as conn, conn.transaction():
        found = await _settlement(conn, setl_id, region=insuplc_admdvs, side="insured")
        existing = await store.request_for(conn, setl_id)
        if existing is not None:
            return _same_request(existing, fields)
        if found["cancelled"]:
            raise RelayError(E6010, detail=f"结算 {setl_id} 已退费，无可协查的费用")
        why = rules.refusal(found["route"], found["infno"], found["kind"], found["medfee_sumamt"])
        if why:
            raise RelayError(E6010, detail=why)
        problems = rules.request_problems(fields, found["medfee_sumamt"])
        period = rules.period_of(today)
        new_id = await store.add_request(
            conn,
            {
                "setl_id": setl_id,
                "insuplc_admdvs": insuplc_admdvs,
                "mdtrtarea_admvs": found["mdtrtarea_admvs"],
                "route": found["route"],
                "fixmedins_code": found["fixmedins_code"],
                "medfee_sumamt": found["medfee_sumamt"],
                "fund_pay_sumamt": found["fund_pay_sumamt"],
                "request": fields,
                "problems": problems,
                "raised_on": today,
                "period": period,
                "completion_due": today + timedelta(days=rules.COMPLETION_DAYS)
                if problems
                else None,
                "state": State.INCOMPLETE.value if problems else State.PENDING.value,
                "extensions": 0,
                "answer_due": rules.answer_due(period),
            },
        )
        made = await store.request_for(conn, setl_id)
        assert made is not None
        if new_id is None:  # raised at the same moment by another call
            return _same_request(made, fields)
        log.info("co-investigation %s raised for %s (%s)", new_id, setl_id, made["state"])
        return made


def _state(found: dict[str, Any]) -> str:
    state = State(found["state"])
    return rules.STATE_NAMES[state]


_AUDIT_STATES = {
    "agreed": "同意扣款",
    "disputed": "有争议",
    "upheld": "维持扣款",
    "withdrawn": "撤销",
}


def _same_request(existing: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    known = existing["id"]
    if existing["closed_by"] == ClosedBy.INCOMPLETE.value:
        raise RelayError(
            E6011, detail=f"协查 {existing['id']} 因申请信息不全已按核查有误办结（第六十三条(三)2）"
        )
    if existing["request"] != fields:
        raise RelayError(E6011, detail=f"该结算已有协查 {known}（{_state(existing)}），内容不同")
    return existing


async def complete(
    pool: asyncpg.Pool, request_id: int, body: dict[str, Any], insuplc_admdvs: str, today: date
) -> dict[str, Any]:
    """The requester completes a returned request within its five days."""
    fields = _fields(body)
    async with pool.acquire() as conn, conn.transaction():
        found = await _request(conn, request_id, insuplc_admdvs=insuplc_admdvs)
        if found["state"] != State.INCOMPLETE.value:
            if found["request"] == fields:
                return found
            raise RelayError(E6012, detail=f"协查 {request_id} {_state(found)}，无需补充")
        if today > found["completion_due"]:
            due = found["completion_due"]
            raise RelayError(E6012, detail=f"补充期限（{due:%Y-%m-%d}）已过")
        problems = rules.request_problems(fields, found["medfee_sumamt"])
        if problems:
            raise RelayError(E6012, detail="；".join(problems))
        await store.update_request(
            conn, request_id, request=fields, problems=[], state=State.PENDING.value,
            completion_due=None,
        )  # fmt: skip
        done = await store.request_of(conn, request_id)
        assert done is not None
        return done


async def _request(
    conn: asyncpg.Connection,
    request_id: int,
    *,
    insuplc_admdvs: str | None = None,
    mdtrtarea_admvs: str | None = None,
) -> dict[str, Any]:
    found = await store.lock_request(conn, request_id)
    if (
        found is None
        or (insuplc_admdvs is not None and found["insuplc_admdvs"] != insuplc_admdvs)
        or (mdtrtarea_admvs is not None and found["mdtrtarea_admvs"] != mdtrtarea_admvs)
    ):
        region = insuplc_admdvs or mdtrtarea_admvs
        raise RelayError(E6009, detail=f"协查编号 {request_id}（{region}）")
    return found


async def publish(pool: asyncpg.Pool, period: str, today: date) -> dict[str, Any]:
    """The period's batch, published once at 0:00 on the 26th; asked again, the same."""
    async with pool.acquire() as conn, conn.transaction():
        existing = await store.batch(conn, period)
        if existing is None:
            if today < rules.published_on(period):
                raise RelayError(
                    E6013,
                    detail=f"{period} 期于 {rules.published_on(period):%Y-%m-%d} 0 时发布",
                )
            await store.publish(conn, period)
            log.info("co-investigation batch %s published", period)
    return await batch_report(pool, period)


async def answer(
    pool: asyncpg.Pool, request_id: int, body: dict[str, Any], mdtrtarea_admvs: str, today: date
) -> dict[str, Any]:
    """The treating region's answer: 核查无误, or 核查有误 with its reason and the amount to
    deduct — booked at once, so the next clearing returns it to the insured region."""
    verdict_text = str(body.get("verdict") or "").strip()
    verdict = {"1": Verdict.CORRECT, "核查无误": Verdict.CORRECT,
               "2": Verdict.WRONG, "核查有误": Verdict.WRONG}.get(verdict_text)  # fmt: skip
    if verdict is None:
        raise RelayError(E6012, detail="协查结果（verdict）应为 1 核查无误 或 2 核查有误")
    reason = str(body.get("reason") or "").strip() or None
    amount = _money(body.get("deduct_amt") or "0.00", "扣款金额（deduct_amt）")
    given = rules.Answer(verdict, reason, amount)
    async with pool.acquire() as conn, conn.transaction():
        found = await _request(conn, request_id, mdtrtarea_admvs=mdtrtarea_admvs)
        await _published(conn, found)
        if found["verdict"] is not None:
            same = (
                found["verdict"] == verdict.value
                and found["reason"] == reason
                and found["deduct_amt"] == amount
            )
            if same:
                return found
            raise RelayError(E6012, detail=f"协查 {request_id} 已上传结果，不能更改")
        if found["state"] == State.INCOMPLETE.value:
            raise RelayError(E6012, detail=f"协查 {request_id} 申请信息不全，待参保地补充")
        why = rules.answer_problem(given, found["fund_pay_sumamt"])
        if why:
            raise RelayError(E6012, detail=why)
        await _close(conn, found, given, ClosedBy.TREATING, today)
        done = await store.request_of(conn, request_id)
        assert done is not None
        return done


async def _published(conn: asyncpg.Connection, found: dict[str, Any]) -> None:
    period, known = found["period"], found["id"]
    if await store.batch(conn, period) is None:
        on = rules.published_on(period)
        raise RelayError(E6013, detail=f"协查 {known} 属 {period} 期，{on:%Y-%m-%d} 0 时发布")


async def _close(
    conn: asyncpg.Connection,
    found: dict[str, Any],
    given: rules.Answer,
    by: ClosedBy,
    today: date,
) -> None:
    if given.verdict is Verdict.WRONG and given.deduct_amt > 0:
        await store.lock_settlement(conn, found["setl_id"])
        settled = await store.settlement(conn, found["setl_id"])
        assert settled is not None
        why = _room(settled, given.deduct_amt)
        if why:
            raise RelayError(E6012, detail=why)
        await store.book_deduction(
            conn,
            deductions.book_id(found["setl_id"], deductions.Source.COINVESTIGATION),
            found["setl_id"],
            today,
            deductions.amounts(given.deduct_amt, _left(settled)),
        )
    await store.update_request(
        conn,
        found["id"],
        state=State.ANSWERED.value,
        verdict=given.verdict.value,
        reason=given.reason,
        deduct_amt=given.deduct_amt,
        closed_by=by.value,
        answered_on=today,
        confirmation_due=rules.confirmation_due(today),
    )
    log.info("co-investigation %s closed (%s, %s)", found["id"], by.value, given.verdict.name)


async def extend(
    pool: asyncpg.Pool, request_id: int, mdtrtarea_admvs: str, today: date
) -> dict[str, Any]:
    """第六十三条(三)1: a request that needs longer moves to the next period's feedback, and is
    counted; asked again in the same period, the same."""
    async with pool.acquire() as conn, conn.transaction():
        found = await _request(conn, request_id, mdtrtarea_admvs=mdtrtarea_admvs)
        await _published(conn, found)
        if found["state"] != State.PENDING.value:
            raise RelayError(E6012, detail=f"协查 {request_id} {_state(found)}，不能延期")
        due = found["answer_due"]
        if today >= due:
            raise RelayError(
                E6012, detail=f"协查 {request_id} 的办理期限 {due:%Y-%m-%d} 已到，不能延期"
            )
        working_to = rules.published_on(rules.period_of(today))  # the 26th now worked to
        if found["answer_due"] <= working_to:
            extensions = found["extensions"] + 1
            await store.update_request(
                conn, request_id, extensions=extensions,
                answer_due=rules.answer_due(found["period"], extensions),
            )  # fmt: skip
        done = await store.request_of(conn, request_id)
        assert done is not None
        return done


async def confirm(
    pool: asyncpg.Pool, request_id: int, body: dict[str, Any], insuplc_admdvs: str, today: date
) -> dict[str, Any]:
    """The insured region confirms the answer, or disputes it with what it disputes."""
    agree = body.get("agree")
    if not isinstance(agree, bool):
        raise RelayError(E6012, detail="确认结果（agree）应为 true 确认 或 false 有异议")
    dispute = str(body.get("dispute") or "").strip() or None
    if not agree and dispute is None:
        raise RelayError(E6012, detail="有异议时须填写异议内容（dispute）")
    state = State.CONFIRMED if agree else State.DISPUTED
    async with pool.acquire() as conn, conn.transaction():
        found = await _request(conn, request_id, insuplc_admdvs=insuplc_admdvs)
        if found["state"] in (State.CONFIRMED.value, State.DISPUTED.value):
            if found["state"] == state.value and found["dispute"] == dispute:
                return found
            raise RelayError(E6012, detail=f"协查 {request_id} 已于 {found['confirmed_on']} 确认")
        if found["state"] != State.ANSWERED.value:
            raise RelayError(E6012, detail=f"协查 {request_id} 尚未答复，不能确认")
        due = found["confirmation_due"]
        if today > due:  # the keeper confirms it on its next pass
            raise RelayError(E6012, detail=f"确认期限 {due:%Y-%m-%d} 已过，协查结果视为确认")
        await store.update_request(
            conn, request_id, state=state.value, confirmed_on=today, dispute=dispute
        )
        done = await store.request_of(conn, request_id)
        assert done is not None
        return done


async def batch_report(pool: asyncpg.Pool, period: str) -> dict[str, Any]:
    """A period's batch and how its requests stand (第六十三条(三)1: extensions are counted)."""
    found = await store.batch(pool, period)
    begins, ends = rules.period_bounds(period)
    mine = await store.requests(pool, period=period, limit=None)
    answered = [r for r in mine if r["verdict"] is not None]
    return {
        "period": period,
        "begins": begins.isoformat(),
        "ends": ends.isoformat(),
        "published_on": rules.published_on(period).isoformat(),
        "published_at": found["published_at"].isoformat() if found else None,
        "requests": len(mine),
        "incomplete": sum(r["state"] == State.INCOMPLETE.value for r in mine),
        "answered": len(answered),
        "answered_late": sum(
            r["closed_by"] == ClosedBy.TREATING.value and r["answered_on"] >= r["answer_due"]
            for r in answered
        ),
        "extended": sum(r["extensions"] > 0 for r in mine),
        "correct": sum(r["verdict"] == Verdict.CORRECT.value for r in answered),
        "wrong": sum(r["verdict"] == Verdict.WRONG.value for r in answered),
        "closed_overdue": sum(r["closed_by"] == ClosedBy.OVERDUE.value for r in answered),
        "closed_incomplete": sum(r["closed_by"] == ClosedBy.INCOMPLETE.value for r in answered),
        "deducted": str(sum((r["deduct_amt"] or Decimal(0) for r in answered), Decimal("0.00"))),
        "confirmed": sum(r["confirmed_on"] is not None for r in mine),
        "confirmed_late": sum(
            r["confirmed_on"] is not None and r["confirmed_on"] > r["confirmation_due"]
            for r in mine
        ),
    }


async def keep(pool: asyncpg.Pool, today: date) -> int:
    """On the business clock: publish every batch due, close what the rules close at their
    deadlines (an intra-region request unanswered → 核查无误; an incomplete one past its five
    days → 核查有误, not to be raised again). The number of requests closed."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        for period in sorted(await store.unpublished_periods(conn)):
            if rules.published_on(period) <= today:
                await store.publish(conn, period)
                log.info("co-investigation batch %s published", period)
        closed = 0
        for found in await store.overdue(conn, today):
            if found["state"] == State.ANSWERED.value:  # unconfirmed in time: 视为确认
                await store.update_request(
                    conn, found["id"], state=State.CONFIRMED.value,
                    confirmed_on=found["confirmation_due"],
                )  # fmt: skip
            elif found["state"] == State.INCOMPLETE.value:
                given = rules.Answer(Verdict.WRONG, INCOMPLETE_REASON, Decimal("0.00"))
                await _close(conn, found, given, ClosedBy.INCOMPLETE, today)
                closed += 1
            elif found["route"] == "intra":
                given = rules.Answer(Verdict.CORRECT, OVERDUE_REASON, Decimal("0.00"))
                await _close(conn, found, given, ClosedBy.OVERDUE, today)
                closed += 1
        return closed


# ---------------------------------------------------------------- audit deductions


async def deduct(
    pool: asyncpg.Pool, body: dict[str, Any], mdtrtarea_admvs: str, today: date
) -> dict[str, Any]:
    """The treating region's audit deduction on a settlement (one per settlement): booked at
    once when the institution agreed — into the clearing of the settlement's month, or the next
    one open — and held when it disputes, until decided."""
    setl_id = str(body.get("setl_id") or "").strip()
    reason = str(body.get("reason") or "").strip()
    agreed = body.get("agreed", True)
    if not setl_id or not reason or not isinstance(agreed, bool):
        raise RelayError(
            E6014, detail="须填写结算ID（setl_id）、扣款原因（reason），agreed 为 true/false"
        )
    try:
        amount = _money(body.get("amount"), "扣款金额（amount）")
    except RelayError as exc:
        raise RelayError(E6014, detail=exc.detail) from None
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_settlement(conn, setl_id)
        found = await _settlement(conn, setl_id, region=mdtrtarea_admvs, side="treating")
        existing = await store.audit_of(conn, setl_id)
        if existing is not None:
            first_agreed = existing["state"] == deductions.AuditState.AGREED.value
            if (existing["amount"], existing["reason"], first_agreed) == (amount, reason, agreed):
                return existing
            raise RelayError(
                E6014, detail=f"结算 {setl_id} 已登记审核扣款 {existing['id']}，内容不同"
            )
        why = _room(found, amount)
        if why:
            raise RelayError(E6014, detail=why)
        state = deductions.AuditState.AGREED if agreed else deductions.AuditState.DISPUTED
        new_id = await store.add_audit(
            conn,
            {"setl_id": setl_id, "mdtrtarea_admvs": mdtrtarea_admvs, "amount": amount,
             "reason": reason, "state": state.value, "raised_on": today},
        )  # fmt: skip
        if agreed:
            await _book_audit(conn, new_id, found, amount, found["day"], state.value, today)
        made = await store.audit_by_id(conn, new_id)
        assert made is not None
        return made


async def decide(
    pool: asyncpg.Pool, deduction_id: int, body: dict[str, Any], mdtrtarea_admvs: str, today: date
) -> dict[str, Any]:
    """A disputed deduction decided: upheld, it goes into the clearing after the one it was
    disputed in; withdrawn, nothing is deducted. Decided again the same way, the same."""
    upheld = body.get("upheld")
    if not isinstance(upheld, bool):
        raise RelayError(E6014, detail="裁定结果（upheld）应为 true 维持扣款 或 false 撤销")
    state = deductions.AuditState.UPHELD if upheld else deductions.AuditState.WITHDRAWN
    async with pool.acquire() as conn, conn.transaction():
        existing = await store.audit_by_id(conn, deduction_id)
        if existing is None or existing["mdtrtarea_admvs"] != mdtrtarea_admvs:
            raise RelayError(E6009, detail=f"审核扣款 {deduction_id}（{mdtrtarea_admvs}）")
        await store.lock_settlement(conn, existing["setl_id"])
        existing = await store.audit_by_id(conn, deduction_id)
        assert existing is not None
        if existing["state"] != deductions.AuditState.DISPUTED.value:
            if existing["state"] == state.value:
                return existing
            now = _AUDIT_STATES[existing["state"]]
            raise RelayError(E6014, detail=f"审核扣款 {deduction_id} 已{now}，不能裁定")
        if upheld:
            found = await store.settlement(conn, existing["setl_id"])
            assert found is not None
            why = _room(found, existing["amount"])
            if why:
                raise RelayError(E6014, detail=why)
            # the next clearing after the one the settlement's month is in (第四十六条)
            after = clearing.first_day(clearing.next_month(clearing.month_of(found["day"])))
            await _book_audit(
                conn, deduction_id, found, existing["amount"], max(today, after), state.value, today
            )
        else:
            await store.decide_audit(conn, deduction_id, state.value, today, None)
        made = await store.audit_by_id(conn, deduction_id)
        assert made is not None
        return made


async def _book_audit(
    conn: asyncpg.Connection,
    deduction_id: int,
    found: dict[str, Any],
    amount: Decimal,
    day: date,
    state: str,
    today: date,
) -> None:
    book_id = deductions.book_id(found["setl_id"], deductions.Source.AUDIT)
    await store.book_deduction(
        conn, book_id, found["setl_id"], day, deductions.amounts(amount, _left(found))
    )
    await store.decide_audit(conn, deduction_id, state, today, book_id)


# ---------------------------------------------------------------- two-way benefits


async def two_way_flags(
    pool: asyncpg.Pool, begins: date, ends: date, found_rules: two_way.Rules
) -> list[two_way.Flag]:
    rows = await store.persons_settled(pool, begins, ends)
    settled = [
        two_way.Settled(
            r["psn_no"], r["insuplc_admdvs"], r["mdtrtarea_admvs"], r["day"], r["setl_id"],
            r["fixmedins_code"],
        )
        for r in rows
    ]  # fmt: skip
    return two_way.flags(settled, found_rules)
