"""The conformance kit's use cases (design §8b): sessions opened and closed, each watched
institution's calls and reads recorded, forced outcomes chosen, the report built.

What the gateway asks on every call (is this institution watched, does a rule force this call)
is answered from a copy of the open sessions and rules refreshed at most once a second (two
small queries), so a call of an institution with no session and no rule costs two dictionary
lookups.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from services.treating_region.adapters import conformance as store
from services.treating_region.domain import conformance
from services.treating_region.domain.conformance import SCENARIOS, Event, ForcedRule
from shared.envelope import NationalRequest
from shared.errors import CATALOGUE
from shared.his_help import help_for
from shared.masking import mask_personal

log = logging.getLogger(__name__)

REFRESH_S = 1.0
"""How soon another process of the treating region sees a session opened or a rule added."""


class Conformance:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._sessions: dict[str, int] = {}
        self._rules: list[ForcedRule] = []
        self._fresh_until = 0.0

    async def _refresh(self, *, now: bool = False) -> None:
        if not now and time.monotonic() < self._fresh_until:
            return
        # the calls that meet an expired copy meanwhile use it: one refresh at a time
        self._fresh_until = time.monotonic() + REFRESH_S
        self._sessions = await store.open_sessions(self._pool)
        self._rules = await store.rules(self._pool)

    async def watching(self, fixmedins_code: str) -> int | None:
        """The open session of this institution, if any."""
        await self._refresh()
        return self._sessions.get(fixmedins_code)

    async def forced(self, request: NationalRequest) -> ForcedRule | None:
        """The rule that forces this call's outcome, its use taken; None for a real outcome,
        and None when the rules cannot be read (the kit never stands in a settlement's way)."""
        try:
            return await self._forced(request)
        except Exception:
            log.exception("forced-outcome rules unreadable: %s runs for real", request.msgid)
            return None

    async def _forced(self, request: NationalRequest) -> ForcedRule | None:
        await self._refresh()
        if not self._rules:
            return None
        data = request.input
        amount: Decimal | None
        try:
            medfee = conformance.first(data, "medfee_sumamt")
            amount = Decimal(medfee) if medfee is not None else None
        except InvalidOperation:
            amount = None
        rule = conformance.matching(
            self._rules,
            request.fixmedins_code,
            request.infno,
            request.msgid,
            conformance.first(data, "psn_no"),
            amount,
        )
        if rule is None or not await store.use_rule(self._pool, rule.id):
            return None
        if rule.remaining is not None:
            self._fresh_until = 0.0  # its count changed: read the rules again next call
        log.warning("forced outcome for %s (%s): %s", request.msgid, request.infno, rule.mark)
        return rule

    async def give_back(self, rule: ForcedRule) -> None:
        """A use taken for a call the rule did not apply to, returned."""
        if rule.remaining is not None:
            with contextlib.suppress(Exception):
                await store.give_back(self._pool, rule.id)
            self._fresh_until = 0.0

    async def observe_call(
        self,
        session_id: int,
        raw: dict[str, Any],
        *,
        msgid: str,
        infno: str,
        err_code: str | None,
        output: dict[str, Any] | None,
        forced: str | None,
    ) -> None:
        """The call as sent (masked, and with what no column can store replaced), keyed as the
        gateway read it."""
        await store.record(
            self._pool,
            session_id,
            kind="call",
            msgid=msgid,
            infno=infno,
            envelope=_storable(mask_personal(raw)),
            err_code=err_code,
            output=_storable(mask_personal(output)) if output is not None else None,
            forced=forced,
        )

    async def observe_read(self, fixmedins_code: str, msgid: str, infno: str) -> None:
        try:
            session_id = await self.watching(fixmedins_code)
            if session_id is None:
                return
            await store.record(
                self._pool,
                session_id,
                kind="read",
                msgid=msgid,
                infno=infno,
                envelope={},
                err_code=None,
                output=None,
                forced=None,
            )
        except Exception:  # the kit's record never costs the hospital its read
            log.exception("conformance record of a read failed")

    async def open(
        self,
        fixmedins_code: str,
        scenarios: tuple[str, ...],
        lost_reply_minutes: Decimal,
        slow_reply_seconds: Decimal,
    ) -> store.Session:
        arms = [
            {
                **asdict(arm),
                "scenario": name,
                "delay_s": slow_reply_seconds if arm.slow else None,
            }
            for name in scenarios
            if (arm := SCENARIOS[name].arm) is not None
        ]
        session = await store.open_session(
            self._pool, fixmedins_code, scenarios, lost_reply_minutes, slow_reply_seconds, arms
        )
        await self._refresh(now=True)
        return session

    async def close(self, session_id: int) -> store.Session | None:
        session = await store.close_session(self._pool, session_id)
        await self._refresh(now=True)
        return session

    async def add_rule(self, rule: ForcedRule) -> ForcedRule:
        added = await store.add_rule(self._pool, rule)
        await self._refresh(now=True)
        return added

    async def remove_rule(self, rule_id: int) -> bool:
        removed = await store.remove_rule(self._pool, rule_id)
        await self._refresh(now=True)
        return removed


def _storable(value: Any) -> Any:
    """What jsonb takes: no NUL character, no lone surrogate (a request the gateway refused for
    one is still kept, its text marked where it could not be)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value)  # a number no JSON column keeps whole
    return value


def _help(code: str) -> dict[str, Any]:
    spec = CATALOGUE.get(code)
    found = help_for(code)
    return {
        "code": code,
        "message": spec.message_zh if spec else None,
        "action": spec.action if spec else None,
        "causes": list(found.causes) if found else [],
        "checks": list(found.checks) if found else [],
        "help": f"/conformance/errors#{code}",
    }


def report_json(
    session: store.Session, events: list[Event], now: datetime | None = None
) -> dict[str, Any]:
    """Each scenario's verdict with its evidence, each check's findings, the error codes the
    institution was answered with their help; ``pass`` only when every scenario passed and no
    request earned a finding."""
    now = now or datetime.now(UTC)
    within = timedelta(minutes=float(session.lost_reply_minutes))
    slow = timedelta(seconds=float(session.slow_reply_seconds))
    verdicts = [conformance.judge(name, events, now, within, slow) for name in session.scenarios]
    found = conformance.findings(events)
    calls = [e for e in events if e.kind == "call"]
    codes = sorted({e.err_code for e in calls if e.err_code})
    by_rule: dict[str, list[conformance.Finding]] = {}
    for f in found:
        by_rule.setdefault(f.rule, []).append(f)
    passed = all(v.status == "pass" for v in verdicts) and not found
    return {
        "session": session.id,
        "fixmedins_code": session.fixmedins_code,
        "opened_at": session.opened_at.isoformat(),
        "closed_at": session.closed_at.isoformat() if session.closed_at else None,
        "verdict": "pass" if passed else "fail",
        "calls": len(calls),
        "truncated": len(events) >= store.MAX_EVENTS,
        "reads": len(events) - len(calls),
        "forced": [
            {"msgid": e.msgid, "infno": e.infno, "forced": e.forced} for e in calls if e.forced
        ],
        "scenarios": [
            {
                "name": v.scenario,
                "title": SCENARIOS[v.scenario].title,
                "kind": SCENARIOS[v.scenario].kind,
                "expects": SCENARIOS[v.scenario].expects,
                "status": v.status,
                "reason": v.reason,
                "evidence": list(v.evidence),
            }
            for v in verdicts
        ],
        "checks": [
            {
                "rule": name,
                "title": rule.title,
                "spec": rule.spec,
                "status": "fail" if by_rule.get(name) else "pass",
                "findings": [asdict(f) for f in by_rule.get(name, [])],
            }
            for name, rule in conformance.RULES.items()
        ],
        "errors_answered": [
            {**_help(code), "count": sum(1 for e in calls if e.err_code == code)} for code in codes
        ],
    }


def _e(value: Any) -> str:
    return html.escape(str(value))


def report_html(report: dict[str, Any]) -> str:
    """The report a vendor hands to the insurance office: self-contained HTML, no script."""
    mark = {"pass": "✔ 通过", "fail": "✘ 未通过", "pending": "… 未完成"}
    scenarios = "".join(
        f"<tr class='{_e(s['status'])}'><td>{_e(s['title'])}<br><small>{_e(s['name'])}"
        f"</small></td><td>{_e(s['kind'])}</td><td>{_e(s['expects'])}</td>"
        f"<td>{mark[s['status']]}</td><td>{_e(s['reason'])}</td>"
        f"<td>{'<br>'.join(_e(m) for m in s['evidence'])}</td></tr>"
        for s in report["scenarios"]
    )
    checks = "".join(
        f"<tr class='{_e(c['status'])}'><td>{_e(c['title'])}<br><small>{_e(c['rule'])}</small>"
        f"</td><td>{_e(c['spec'])}</td><td>{mark[c['status']]}</td><td>"
        + "<br>".join(
            f"{_e(f['msgid'])} ({_e(f['infno'])}) 字段 {_e(f['field'])}：应为 "
            f"{_e(f['expected'])}，实为 {_e(f['got'])}"
            for f in c["findings"]
        )
        + "</td></tr>"
        for c in report["checks"]
    )
    errors = "".join(
        f"<tr><td><a href='{_e(x['help'])}'>{_e(x['code'])}</a></td><td>{_e(x['count'])}</td>"
        f"<td>{_e(x['message'])}</td><td>{'<br>'.join(_e(c) for c in x['causes'])}</td>"
        f"<td>{'<br>'.join(_e(c) for c in x['checks'])}</td></tr>"
        for x in report["errors_answered"]
    )
    forced = "".join(
        f"<li>{_e(x['msgid'])}（{_e(x['infno'])}）：{_e(x['forced'])}</li>"
        for x in report["forced"]
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>HIS 接口一致性测试报告 会话 {report["session"]}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 6px;
vertical-align:top}}.fail td{{background:#fde8e8}}.pass td{{background:#eafbea}}
.pending td{{background:#fff8e0}}</style></head><body>
<h1>HIS 接口一致性测试报告</h1>
<p>定点医药机构 {_e(report["fixmedins_code"])}，会话 {_e(report["session"])}，
开始 {_e(report["opened_at"])}，结束 {_e(report["closed_at"] or "未结束")}。
交易 {report["calls"]} 笔，结果查询 {report["reads"]} 次。
结论：<strong>{"通过" if report["verdict"] == "pass" else "未通过"}</strong></p>
<h2>场景</h2><table><tr><th>场景</th><th>类型</th><th>对 HIS 的要求</th><th>结果</th>
<th>说明</th><th>证据（msgid）</th></tr>{scenarios}</table>
<h2>报文检查</h2><table><tr><th>规则</th><th>接口规范</th><th>结果</th><th>发现</th></tr>
{checks}</table>
<h2>应答的错误码</h2><table><tr><th>错误码</th><th>次数</th><th>含义</th><th>HIS 侧可能原因</th>
<th>请检查</th></tr>{errors}</table>
<h2>模拟的异常（非真实故障）</h2><ul>{forced or "<li>无</li>"}</ul>
</body></html>"""


def errors_html() -> str:
    """Every error code the gateway can answer, with its likely causes on the HIS side."""
    rows = "".join(
        f"<tr id='{_e(h['code'])}'><td>{_e(h['code'])}</td><td>{_e(h['message'])}</td>"
        f"<td>{_e(h['action'])}</td><td>{'<br>'.join(_e(c) for c in h['causes'])}</td>"
        f"<td>{'<br>'.join(_e(c) for c in h['checks'])}</td></tr>"
        for h in help_json()
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>错误码与 HIS 排查指引</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 6px;vertical-align:top}}:target td{{background:#ffd}}
</style></head><body><h1>错误码与 HIS 排查指引</h1>
<table><tr><th>错误码</th><th>含义</th><th>怎么办</th><th>HIS 侧可能原因</th><th>请检查</th>
</tr>{rows}</table></body></html>"""


def help_json() -> list[dict[str, Any]]:
    return [_help(code) for code in sorted(CATALOGUE)]
