"""The conformance kit's judgement (design §8b): what a hospital client sent, checked against the
national interface rules the relay knows, and what it did next, judged against each scenario's
expectation. Pure: a session's events in, findings and verdicts out.

The gateway is tolerant about form (design §3): a request it accepts may still earn a finding
here. Findings are for the vendor; they never change what the gateway answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from shared import infno as transactions

CENT = Decimal("0.01")

REGISTER = transactions.REGISTER
UPLOAD = transactions.UPLOAD
PRE_SETTLE = transactions.PRE_SETTLE
SETTLE = transactions.SETTLE

FORCED_ACTIONS = ("error", "refuse_at_hub", "lose_reply", "delay")
ForcedAction = Literal["error", "refuse_at_hub", "lose_reply", "delay"]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing the session saw the institution do: a call of the gateway (``call``) or a
    read of its own message's outcome (``read``)."""

    seq: int
    kind: Literal["call", "read"]
    msgid: str
    infno: str
    envelope: Mapping[str, Any]
    """As sent (personal data masked): forms are judged on what the client wrote."""
    err_code: str | None
    """None when answered ``infcode`` 0."""
    output: Mapping[str, Any] | None
    forced: str | None
    at: datetime

    @property
    def ok(self) -> bool:
        return self.kind == "call" and self.err_code is None

    @property
    def input(self) -> Mapping[str, Any]:
        value = self.envelope.get("input")
        return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    field: str
    msgid: str
    infno: str
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class Rule:
    title: str
    spec: str
    """What the national interface says, in a sentence."""


RULES: dict[str, Rule] = {
    "understood": Rule(
        "报文可被平台理解",
        "报文为 UTF-8 JSON，必填字段齐全、格式正确、代码在字典中、交易编号有效"
        "（否则平台应答 E9001、E9002、E9003 或 E9005，并指明字段）",
    ),
    "envelope_fields": Rule(
        "报文头字段齐全",
        "报文头应填写 infno、msgid、mdtrtarea_admvs、recer_sys_code、infver、opter_type、opter、"
        "opter_name、inf_time、fixmedins_code、fixmedins_name",
    ),
    "msgid_form": Rule(
        "msgid 格式",
        "msgid 为定点医药机构编号（12 位）+ 时间 yyyyMMddHHmmss（14 位）+ 顺序号（4 位），"
        "共 30 位，且机构编号为发送方本机构",
    ),
    "inf_time_form": Rule("inf_time 格式", "inf_time 为 yyyy-MM-dd HH:mm:ss"),
    "insuplc_with_psn_no": Rule(
        "有 psn_no 时填写参保地",
        "输入中有人员编号 psn_no 时，报文头应填写参保地医保区划 insuplc_admdvs",
    ),
    "fee_line_amount": Rule(
        "明细金额 = 单价 × 数量",
        "费用明细的 det_item_fee_sumamt 应等于 pric × cnt（四舍五入到分）",
    ),
    "settle_total": Rule(
        "结算总额与上传明细一致",
        "预结算、结算的 medfee_sumamt 应等于本次就诊已上传费用明细（含退费）之和",
    ),
    "sign_no": Rule(
        "签到后携带签到编号",
        "9001 签到成功后，后续交易的报文头应携带签到返回的 sign_no",
    ),
    "discharge_before_settle": Rule(
        "先出院再结算",
        "住院结算（2303 预结算、2304 结算）前应先办理出院（2402）",
    ),
    "pre_settle_before_settle": Rule(
        "先预结算再结算",
        "结算（2207、2304）前应对同一就诊先预结算（2206、2303）成功，且金额一致",
    ),
    "msgid_reuse": Rule(
        "msgid 不得改报文重用",
        "同一 msgid 只能代表同一笔交易；重发时报文内容须与首次完全一致（否则应答 E9004）",
    ),
}

ENVELOPE_FIELDS = (
    "infno",
    "msgid",
    "mdtrtarea_admvs",
    "recer_sys_code",
    "infver",
    "opter_type",
    "opter",
    "opter_name",
    "inf_time",
    "fixmedins_code",
    "fixmedins_name",
)
MALFORMED = frozenset({"E9001", "E9002", "E9003", "E9005"})
"""What the gateway answers a request it cannot understand."""
_FIELD_NAMED = re.compile(r"字段 ([A-Za-z0-9_.\[\]]+)")
_SPEC_MSGID = re.compile(r"^[HP]\d{11}\d{14}\d{4}$")
"""The spec's msgid, strictly (``shared.envelope`` reads a looser form to find an owner): the
gateway takes other forms too, and the kit says so."""
_INF_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
LINE_CANCEL = frozenset({"2205", "2302"})
ALL_LINES = "0000"
"""A line cancel's ``feedetl_sn`` that cancels every line of the visit."""


def canonical_infno(value: Any) -> str:
    return str(transactions.canonical_infno(value) or "")


def _sections(value: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The input's records: each object section, and each object of a list section."""
    for item in value.values():
        if isinstance(item, Mapping):
            yield item
        elif isinstance(item, list):
            yield from (x for x in item if isinstance(x, Mapping))


def _records(value: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
    """The records of one section (an object or a list of objects)."""
    section = value.get(key)
    if isinstance(section, Mapping):
        yield section
    elif isinstance(section, list):
        yield from (x for x in section if isinstance(x, Mapping))


def first(value: Mapping[str, Any], key: str) -> str | None:
    """The first non-blank value of ``key`` in the input's records."""
    for record in _sections(value):
        found = record.get(key)
        if found not in (None, ""):
            return str(found).strip()
    return None


def _decimal(value: Any) -> Decimal | None:
    try:
        found = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() and abs(found) < Decimal("1e15") else None


def _amount(value: Any) -> Decimal | None:
    found = _decimal(value)
    return found.quantize(CENT, rounding=ROUND_HALF_UP) if found is not None else None


def visit_of(event: Event) -> str | None:
    """The visit a call is about: named in its input, or answered by a registration."""
    named = first(event.input, "mdtrt_id")
    if named is not None:
        return named
    if event.infno in REGISTER and event.output:
        return first(event.output, "mdtrt_id")
    return None


def setl_id_of(event: Event) -> str | None:
    if event.output:
        info = event.output.get("setlinfo")
        if isinstance(info, Mapping) and info.get("setl_id"):
            return str(info["setl_id"])
    return None


def _absent(envelope: Mapping[str, Any], key: str) -> bool:
    return envelope.get(key) in (None, "")


@dataclass
class _Visit:
    """What the session saw of a visit registered within it."""

    lines: dict[str, Decimal] = field(default_factory=dict)
    """Accepted fee lines by ``feedetl_sn`` (a resend of an upload counts once), less those
    cancelled."""
    uploaded: bool = False
    discharged: bool = False
    pre_settled: bool = False
    pre_total: Decimal | None = None


@dataclass
class _Seen:
    """The session so far, as the rules need it: one pass over the events."""

    visits: dict[str, _Visit] = field(default_factory=dict)
    sign_no: str | None = None
    uploads: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Each accepted upload's lines as (visit, feedetl_sn), by its msgid: a 2601 undoes them."""

    def learn(self, event: Event) -> None:
        if not event.ok:
            return
        visit = visit_of(event)
        if event.infno in REGISTER and visit is not None:
            self.visits.setdefault(visit, _Visit())  # a resend answers the same visit
        elif event.infno == "9001":
            self.sign_no = first(event.output or {}, "sign_no")
        elif event.infno == "9002":
            self.sign_no = None
        elif event.infno in UPLOAD:
            for line in _records(event.input, "feedetail"):
                seen = self.visits.get(str(line.get("mdtrt_id", "")).strip())
                amount = _amount(line.get("det_item_fee_sumamt"))
                if seen is not None and amount is not None:
                    sn = str(line.get("feedetl_sn", "")).strip()
                    seen.lines[sn] = amount
                    seen.uploaded = True
                    self.uploads.setdefault(event.msgid, []).append(
                        (str(line.get("mdtrt_id", "")).strip(), sn)
                    )
        elif event.infno == transactions.REVERSAL:
            # a reversed upload's lines are cancelled (design §3, 2601 of 2301/2204)
            for line_visit, sn in self.uploads.pop(first(event.input, "omsgid") or "", []):
                if line_visit in self.visits:
                    self.visits[line_visit].lines.pop(sn, None)
        elif event.infno in LINE_CANCEL:
            for ref in _records(event.input, "data"):
                seen = self.visits.get(str(ref.get("mdtrt_id", "")).strip())
                sn = str(ref.get("feedetl_sn", "")).strip()
                if seen is not None:
                    if sn == ALL_LINES:
                        seen.lines.clear()
                    else:
                        seen.lines.pop(sn, None)
        elif event.infno == "2402" and visit in self.visits:
            self.visits[visit].discharged = True
        elif event.infno in PRE_SETTLE and visit in self.visits:
            self.visits[visit].pre_settled = True
            self.visits[visit].pre_total = _amount(first(event.input, "medfee_sumamt"))


def _judged(event: Event, seen: _Seen) -> list[Finding]:
    """Every rule this call breaks, given what the session saw before it."""
    if event.kind != "call":
        return []
    env = event.envelope
    found: list[Finding] = []

    def finding(rule: str, field_: str, expected: str, got: Any) -> None:
        found.append(Finding(rule, field_, event.msgid, event.infno, expected, str(got)))

    # a forced answer is the kit's, no fault of the client: only what it sent is judged
    answered_for_real = event.forced is None or event.err_code is None
    if event.err_code in MALFORMED and answered_for_real:
        said = str((event.output or {}).get("err_msg") or event.err_code)
        named = _FIELD_NAMED.search(said)
        finding("understood", named.group(1) if named else "", "见接口规范", said)
        return found  # a request not understood is judged on nothing else
    missing = [key for key in ENVELOPE_FIELDS if _absent(env, key)]
    if missing:
        finding("envelope_fields", ",".join(missing), "填写", "未填写")
    sent_msgid = str(env.get("msgid", ""))
    if not _SPEC_MSGID.match(sent_msgid) or sent_msgid[:12] != env.get("fixmedins_code"):
        finding(
            "msgid_form",
            "msgid",
            f"{env.get('fixmedins_code')} + yyyyMMddHHmmss + 4 位顺序号（30 位）",
            sent_msgid,
        )
    inf_time = env.get("inf_time")
    if not _absent(env, "inf_time") and not _INF_TIME.match(str(inf_time)):
        finding("inf_time_form", "inf_time", "yyyy-MM-dd HH:mm:ss", inf_time)
    if first(event.input, "psn_no") is not None and _absent(env, "insuplc_admdvs"):
        finding("insuplc_with_psn_no", "insuplc_admdvs", "参保地医保区划（6 位）", "未填写")
    sign_no = seen.sign_no if event.infno not in ("9001", "9002") else None
    if sign_no is not None and str(env.get("sign_no") or "").strip() != sign_no:
        finding("sign_no", "sign_no", sign_no, env.get("sign_no") or "未填写")
    if event.infno in UPLOAD:
        found.extend(_fee_line_findings(event))
    if event.infno in PRE_SETTLE | SETTLE:
        found.extend(_settle_findings(event, seen))
    if event.err_code == "E9004" and answered_for_real:
        finding("msgid_reuse", "msgid", "重发时报文与首次一致，或换新 msgid", "报文内容不同")
    return found


def _fee_line_findings(event: Event) -> Iterator[Finding]:
    for line in _records(event.input, "feedetail"):
        pric, cnt = _decimal(line.get("pric")), _decimal(line.get("cnt"))
        total = _amount(line.get("det_item_fee_sumamt"))
        if pric is None or cnt is None or total is None:
            continue  # the gateway names a missing or unreadable amount itself
        try:
            expected = (pric * cnt).quantize(CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            continue  # past any price a column holds: the gateway refuses it itself
        if expected != total:
            yield Finding(
                "fee_line_amount",
                f"feedetail[{line.get('feedetl_sn', '?')}].det_item_fee_sumamt",
                event.msgid,
                event.infno,
                str(expected),
                str(total),
            )


def _settle_findings(event: Event, seen: _Seen) -> Iterator[Finding]:
    visit = visit_of(event)
    state = seen.visits.get(visit) if visit is not None else None
    if state is None:
        return  # a visit begun before the session: its history is not known here
    medfee = _amount(first(event.input, "medfee_sumamt"))
    if medfee is not None and state.uploaded:
        uploaded = sum(state.lines.values(), Decimal(0)).quantize(CENT)
        if medfee != uploaded:
            yield Finding(
                "settle_total",
                "medfee_sumamt",
                event.msgid,
                event.infno,
                str(uploaded),
                str(medfee),
            )
    inpatient = event.infno in transactions.INPATIENT
    if inpatient and not state.discharged:
        yield Finding(
            "discharge_before_settle", "infno", event.msgid, event.infno, "2402 出院", "未出院"
        )
    if event.infno in SETTLE:
        pre = "2303" if inpatient else "2206"
        if not state.pre_settled:
            yield Finding(
                "pre_settle_before_settle", "infno", event.msgid, event.infno, pre, "未预结算"
            )
        elif medfee is not None and state.pre_total != medfee:
            yield Finding(
                "pre_settle_before_settle",
                "medfee_sumamt",
                event.msgid,
                event.infno,
                str(state.pre_total),
                str(medfee),
            )


def check(event: Event, earlier: Sequence[Event]) -> list[Finding]:
    """The findings of one call, given the calls before it."""
    seen = _Seen()
    for e in earlier:
        seen.learn(e)
    return _judged(event, seen)


def findings(events: Sequence[Event]) -> list[Finding]:
    """The findings of a whole session, in one pass."""
    seen = _Seen()
    found: list[Finding] = []
    for event in events:
        found.extend(_judged(event, seen))
        seen.learn(event)
    return found


# ---- scenarios -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arm:
    """The forced outcome a negative scenario sets up for its session (removed at its close)."""

    infnos: tuple[str, ...]
    action: ForcedAction
    err_code: str | None = None
    slow: bool = False
    """Held for the session's ``slow_reply_seconds`` first."""


@dataclass(frozen=True, slots=True)
class Scenario:
    title: str
    kind: Literal["golden", "negative"]
    expects: str
    """What the HIS must do, as the report tells the vendor."""
    arm: Arm | None = None


SCENARIOS: dict[str, Scenario] = {
    "person_query": Scenario("人员信息查询 1101", "golden", "1101 查询成功"),
    "outpatient_settle": Scenario(
        "门诊结算 2201 → 2204 → 2206 → 2207",
        "golden",
        "同一就诊依次挂号、上传明细、预结算、结算，均成功",
    ),
    "outpatient_cancel": Scenario(
        "门诊结算撤销 2208", "golden", "撤销本会话中一笔成功的门诊结算（2208，用其 setl_id）"
    ),
    "inpatient_settle": Scenario(
        "住院结算 2401 → 2301 → 2402 → 2303 → 2304",
        "golden",
        "同一住院依次办理入院、上传明细、出院、预结算、结算，均成功",
    ),
    "inpatient_cancel": Scenario(
        "住院结算撤销 2305", "golden", "撤销本会话中一笔成功的住院结算（2305，用其 setl_id）"
    ),
    "reversal": Scenario("冲正 2601", "golden", "对本会话中的一笔交易发送 2601 冲正并成功"),
    "reconciliation": Scenario("对总账 3201", "golden", "3201 对总账成功"),
    "no_filing": Scenario(
        "未备案（E2001）",
        "negative",
        "收到 E2001 后不得用同一 msgid 改报文重发；办理备案后以新 msgid 重新登记",
        Arm(("2201", "2401"), "error", "E2001"),
    ),
    "unknown_person": Scenario(
        "查无此人（E1001）",
        "negative",
        "收到 E1001 后核对凭证信息，不得用同一 msgid 改报文重发",
        Arm(("1101",), "error", "E1001"),
    ),
    "lost_reply": Scenario(
        "应答丢失（参保地已结算，HIS 收到 E5002）",
        "negative",
        "在规定时间内查询该 msgid 的结果（GET /fsi/messages/{msgid}）或发送 2601 冲正；"
        "不得用同一 msgid 改报文重发，也不得在弄清结果前以新 msgid 再次结算同一就诊",
        Arm(("2207", "2304"), "lose_reply"),
    ),
    "timeout": Scenario(
        "平台超时（结算应答迟迟不来，最终 E5002）",
        "negative",
        "结算应答被拖到会话的 slow_reply_seconds 之后才答 E5002（参保地已结算）：HIS 超时后"
        "在规定时间内查询结果或发送 2601 冲正；不得用同一 msgid 改报文重发，也不得在弄清结果前"
        "以新 msgid 再次结算同一就诊",
        Arm(("2207", "2304"), "lose_reply", slow=True),
    ),
    "duplicate_msgid": Scenario(
        "msgid 唯一",
        "negative",
        "整个会话中不得用同一 msgid 发送内容不同的报文（E9004）",
    ),
}

Status = Literal["pass", "fail", "pending"]


@dataclass(frozen=True, slots=True)
class Verdict:
    scenario: str
    status: Status
    reason: str
    evidence: tuple[str, ...] = field(default=())
    """msgids that show it."""


def _calls(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if e.kind == "call"]


def _chain(events: Sequence[Event], steps: Sequence[frozenset[str]]) -> list[Event] | None:
    """The first visit whose successful calls include ``steps`` in order (one pass)."""
    per_visit: dict[str, list[Event]] = {}
    for e in events:
        if e.ok:
            visit = visit_of(e)
            if visit is not None:
                per_visit.setdefault(visit, []).append(e)
    for calls in per_visit.values():
        found: list[Event] = []
        for e in calls:
            if len(found) < len(steps) and e.infno in steps[len(found)]:
                found.append(e)
        if len(found) == len(steps):
            return found
    return None


def _golden(name: str, events: Sequence[Event]) -> Verdict:
    one = frozenset
    if name in ("outpatient_settle", "inpatient_settle"):
        steps = (
            [one({"2201"}), one({"2204"}), one({"2206"}), one({"2207"})]
            if name == "outpatient_settle"
            else [one({"2401"}), one({"2301"}), one({"2402"}), one({"2303"}), one({"2304"})]
        )
        chain = _chain(events, steps)
        if chain is None:
            return Verdict(name, "pending", "尚未观察到同一就诊的完整成功链路")
        return Verdict(name, "pass", "同一就诊的链路均成功", tuple(e.msgid for e in chain))
    if name in ("outpatient_cancel", "inpatient_cancel"):
        settle, cancel = ("2207", "2208") if name == "outpatient_cancel" else ("2304", "2305")
        settled = {setl_id_of(e): e for e in _calls(events) if e.ok and e.infno == settle}
        for e in _calls(events):
            if e.ok and e.infno == cancel and first(e.input, "setl_id") in settled:
                original = settled[first(e.input, "setl_id")]
                return Verdict(name, "pass", "撤销成功", (original.msgid, e.msgid))
        return Verdict(name, "pending", f"尚未观察到对本会话 {settle} 结算的成功 {cancel}")
    single = {"person_query": "1101", "reversal": "2601", "reconciliation": "3201"}[name]
    hit = next((e for e in _calls(events) if e.ok and e.infno == single), None)
    if hit is None:
        return Verdict(name, "pending", f"尚未观察到成功的 {single}")
    return Verdict(name, "pass", f"{single} 成功", (hit.msgid,))


def _reused(e: Event) -> bool:
    """Answered E9004 by the gateway itself (a rule's E9004 is the kit's, not the client's)."""
    return e.kind == "call" and e.err_code == "E9004" and e.forced is None


def _reused_with_another_body(msgid: str, events: Sequence[Event]) -> Event | None:
    return next((e for e in events if e.msgid == msgid and _reused(e)), None)


def _forced_error(name: str, events: Sequence[Event], code: str) -> Verdict:
    hit = next(
        (e for e in _calls(events) if e.forced and e.err_code == code and e.infno != "2601"), None
    )
    if hit is None:
        return Verdict(name, "pending", f"尚未向 HIS 应答模拟的 {code}")
    reused = _reused_with_another_body(hit.msgid, events)
    if reused is not None:
        return Verdict(
            name, "fail", f"收到 {code} 后用同一 msgid 改报文重发（E9004）", (hit.msgid,)
        )
    return Verdict(name, "pass", f"HIS 收到 {code}，未用同一 msgid 改报文重发", (hit.msgid,))


STILL_OPEN = frozenset({"E5002", "E9004", "E9006"})
"""Answers to a resend that tell the HIS nothing of the outcome."""


def _armed_by(event: Event, scenario: str) -> bool:
    """A settlement's answer lost by this scenario's rule (``lost_reply`` also takes an
    operator's ``lose_reply`` rule, which names no scenario)."""
    mark = event.forced or ""
    if event.err_code != "E5002" or ": lose_reply" not in mark:
        return False
    if scenario == "lost_reply":
        return mark.endswith(("lose_reply", "(lost_reply)"))
    return mark.endswith(f"({scenario})")


def _lost_reply(
    name: str, events: Sequence[Event], now: datetime, within: timedelta, held: timedelta
) -> Verdict:
    """A settlement answered E5002 after it committed (at once, or after ``held``: a timeout).
    Recorded when answered, so a call the HIS made while it was held is before it in the
    events: the check for a second settlement looks from the held call's arrival."""
    lost = next((e for e in _calls(events) if _armed_by(e, name)), None)
    if lost is None:
        what = "超时" if name == "timeout" else "应答丢失"
        return Verdict(name, "pending", f"尚未出现结算{what}（应答 E5002）")
    # what the HIS did from the call's arrival on: while a held answer waited, the settlement
    # had committed (a read learns it) and the HIS may have given up waiting
    arrived = lost.at - held
    after = sorted(
        (e for e in events if e.seq != lost.seq and (e.at >= arrived or e.seq > lost.seq)),
        key=lambda e: (e.at, e.seq),
    )
    reused = _reused_with_another_body(lost.msgid, after)
    if reused is not None:
        return Verdict(name, "fail", "用同一 msgid 改报文重发（E9004）", (lost.msgid,))
    visit = visit_of(lost)
    learned = next(
        (
            e
            for e in after
            if (e.kind == "read" and e.msgid == lost.msgid)
            or (e.kind == "call" and e.infno == "2601" and first(e.input, "omsgid") == lost.msgid)
            or (e.kind == "call" and e.msgid == lost.msgid and e.err_code not in STILL_OPEN)
        ),
        None,
    )
    resettled = next(
        (
            e
            for e in after
            if e.kind == "call"
            and e.infno in SETTLE
            and e.msgid != lost.msgid
            and visit is not None
            and visit_of(e) == visit
            and (learned is None or (e.at, e.seq) < (learned.at, learned.seq))
        ),
        None,
    )
    if resettled is not None:
        return Verdict(
            name,
            "fail",
            "未弄清原结算结果即以新 msgid 再次结算同一就诊",
            (lost.msgid, resettled.msgid),
        )
    minutes = f"{within.total_seconds() / 60:g}"
    if learned is not None:
        if learned.at - lost.at > within:
            return Verdict(
                name, "fail", f"超过 {minutes} 分钟才查询或冲正", (lost.msgid, learned.msgid)
            )
        how = {"read": "查询了结果", "call": "冲正" if learned.infno == "2601" else "原样重发"}
        return Verdict(name, "pass", f"结果未知后{how[learned.kind]}", (lost.msgid, learned.msgid))
    if now - lost.at > within:
        return Verdict(
            name, "fail", f"{minutes} 分钟内既未查询结果也未发送 2601 冲正", (lost.msgid,)
        )
    return Verdict(name, "pending", "等待 HIS 查询结果或冲正", (lost.msgid,))


def _duplicate_msgid(events: Sequence[Event]) -> Verdict:
    reused = [e.msgid for e in events if _reused(e)]
    if reused:
        return Verdict("duplicate_msgid", "fail", "同一 msgid 发送了内容不同的报文", tuple(reused))
    if not _calls(events):
        return Verdict("duplicate_msgid", "pending", "尚无交易")
    return Verdict("duplicate_msgid", "pass", f"{len(_calls(events))} 笔交易，msgid 均未改报文重用")


def judge(
    name: str,
    events: Sequence[Event],
    now: datetime,
    lost_reply_within: timedelta,
    slow_reply: timedelta = timedelta(0),
) -> Verdict:
    if name in ("no_filing", "unknown_person"):
        arm = SCENARIOS[name].arm
        code = arm.err_code if arm is not None else None
        return _forced_error(name, events, code or "")
    if name == "lost_reply":
        return _lost_reply(name, events, now, lost_reply_within, timedelta(0))
    if name == "timeout":
        return _lost_reply(name, events, now, lost_reply_within, slow_reply)
    if name == "duplicate_msgid":
        return _duplicate_msgid(events)
    return _golden(name, events)


# ---- forced outcomes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForcedRule:
    """An operator's (or a session's) rule: which of an institution's calls, and what to do."""

    id: int
    fixmedins_code: str
    action: ForcedAction
    infnos: tuple[str, ...] = ()
    msgid: str | None = None
    psn_no: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    err_code: str | None = None
    err_msg: str | None = None
    delay_s: Decimal | None = None
    remaining: int | None = None
    """How many more calls it applies to; None: every matching call."""
    session_id: int | None = None
    scenario: str | None = None
    """The session's scenario that armed it, if one did."""

    def matches(self, infno: str, msgid: str, psn_no: str | None, amount: Decimal | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.infnos and infno not in self.infnos:
            return False
        if self.msgid is not None and msgid != self.msgid:
            return False
        if self.psn_no is not None and psn_no != self.psn_no:
            return False
        if self.min_amount is not None and (amount is None or amount < self.min_amount):
            return False
        return self.max_amount is None or (amount is not None and amount <= self.max_amount)

    @property
    def mark(self) -> str:
        """How the transaction log marks what it did: never mistaken for a real fault."""
        named = f" ({self.scenario})" if self.scenario else ""
        return f"rule {self.id}: {self.action}{named}"


def matching(
    rules: Iterable[ForcedRule],
    fixmedins_code: str,
    infno: str,
    msgid: str,
    psn_no: str | None,
    amount: Decimal | None,
) -> ForcedRule | None:
    """The oldest rule of this institution that matches the call."""
    for rule in sorted(rules, key=lambda r: r.id):
        if rule.fixmedins_code == fixmedins_code and rule.matches(infno, msgid, psn_no, amount):
            return rule
    return None
