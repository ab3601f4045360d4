"""Co-investigation of suspected non-compliant costs (疑似违规费用协查, 内蒙古 细则 第六十三条).

Pure: the rules and the calendar, no I/O. The insured region asks the treating region to check
one inpatient settlement that reached a threshold; requests raised from the 26th of a month to
the 25th of the next form that period's batch, published at 0:00 on the 26th and not changed
afterwards; the treating region answers 核查无误 or 核查有误 (with a reason) before the next 26th;
the insured region confirms within five working days. Amounts found 有误 are deducted in the
next clearing and returned to the insured region (第五十四条).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from shared.certificates import is_resident_id

CROSS_THRESHOLD = Decimal("30000.00")
"""第六十三条: a cross-province request needs one stay of at least 3 万元 in total."""
INTRA_THRESHOLD = Decimal("20000.00")
"""第六十三条: an intra-region (区内) request, 2 万元."""
BATCH_DAY = 26
"""第六十三条(二): the batch is generated and published at 0:00 on the 26th."""
COMPLETION_DAYS = 5
"""第六十三条(三)2: an incomplete request is completed within 5 days, else answered 有误."""
CONFIRMATION_WORKING_DAYS = 5
"""第六十三条(四): the insured region confirms within 5 working days."""

INPATIENT_SETTLE = "2304"
"""Only an inpatient stay may be co-investigated (住院医疗总费用)."""

REQUIRED_FIELDS: dict[str, str] = {
    "certno": "身份证号码",
    "psn_name": "姓名",
    "gend": "性别",
    "fixmedins_name": "医疗服务机构名称",
    "ipt_no": "住院号",
    "invono": "发票号码",
    "begndate": "入院日期",
    "enddate": "出院日期",
    "medfee_sumamt": "费用总额",
}
"""第六十三条(一): what a request must carry, exactly and completely (wire name → its name)."""


class Verdict(StrEnum):
    CORRECT = "1"
    """核查无误."""
    WRONG = "2"
    """核查有误: a reason is required; its amount is deducted."""


VERDICT_NAMES = {Verdict.CORRECT: "核查无误", Verdict.WRONG: "核查有误"}


class State(StrEnum):
    INCOMPLETE = "incomplete"
    """Returned to the requester to complete (5 days)."""
    PENDING = "pending"
    """Complete; waits for its batch and the treating region's answer."""
    ANSWERED = "answered"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


STATE_NAMES = {
    State.INCOMPLETE: "待补充",
    State.PENDING: "待核查",
    State.ANSWERED: "已答复",
    State.CONFIRMED: "已确认",
    State.DISPUTED: "有异议",
}


class ClosedBy(StrEnum):
    TREATING = "treating"
    """The treating region answered."""
    OVERDUE = "overdue"
    """An intra-region request left unanswered at its deadline: 核查无误 (第六十三条(三)1)."""
    INCOMPLETE = "incomplete"
    """Not completed in time: 核查有误, and not to be raised again (第六十三条(三)2)."""


def threshold(route: str) -> Decimal:
    return CROSS_THRESHOLD if route == "cross" else INTRA_THRESHOLD


def refusal(route: str, infno: str, kind: str, total: Decimal) -> str | None:
    """Why a booked entry may not be co-investigated (None: it may), naming the rule."""
    if kind != "settlement" or infno != INPATIENT_SETTLE:
        return "协查仅限住院结算（2304）；该结算不是住院结算或已是退费冲销记录"
    limit = threshold(route)
    if total < limit:
        where = "跨省" if route == "cross" else "区内"
        return (
            f"{where}协查要求一次住院医疗总费用不低于 {limit:,.2f} 元，"
            f"该结算费用总额为 {total:,.2f} 元（第六十三条）"
        )
    return None


def period_of(day: date) -> str:
    """The batch a request raised on ``day`` belongs to, named by the month of its 25th:
    ``202601`` covers 2025-12-26 to 2026-01-25."""
    if day.day >= BATCH_DAY:
        nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return f"{nxt:%Y%m}"
    return f"{day:%Y%m}"


def published_on(period: str) -> date:
    """0:00 of the 26th of the period's month: the batch is generated and published."""
    return date(int(period[:4]), int(period[4:]), BATCH_DAY)


def period_bounds(period: str) -> tuple[date, date]:
    ends = published_on(period) - timedelta(days=1)
    first = date(ends.year, ends.month, 1) - timedelta(days=1)  # the month before
    return date(first.year, first.month, BATCH_DAY), ends


def answer_due(period: str, extensions: int = 0) -> date:
    """Answered before the next 26th (第六十三条(三)); each extension moves it a period on."""
    due = published_on(period)
    for _ in range(extensions + 1):
        due = date(due.year + (due.month == 12), due.month % 12 + 1, BATCH_DAY)
    return due


def confirmation_due(answered_on: date) -> date:
    """Five working days after the answer (Monday to Friday; public holidays not known here)."""
    day, left = answered_on, CONFIRMATION_WORKING_DAYS
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def _day(text: str) -> date | None:
    found = _DATE.fullmatch(text.strip()[:10]) if len(text.strip()) >= 8 else None
    if not found:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def request_problems(fields: dict[str, Any], booked_total: Decimal) -> list[str]:
    """What keeps a request from being exact and complete (第六十三条(一)), one reason per field
    in Chinese naming it; empty when the request may be investigated."""
    problems = []
    for name, label in REQUIRED_FIELDS.items():
        if not str(fields.get(name) or "").strip():
            problems.append(f"缺少{label}（{name}）")
    given = {k: str(v).strip() for k, v in fields.items() if v is not None and str(v).strip()}
    if "certno" in given and not is_resident_id(given["certno"]):
        problems.append("身份证号码（certno）不是有效的公民身份号码（18 位且校验位正确）")
    if "gend" in given and given["gend"] not in ("1", "2", "9"):
        problems.append("性别（gend）应为 1 男、2 女或 9 未说明")
    begins = _day(given["begndate"]) if "begndate" in given else None
    ends = _day(given["enddate"]) if "enddate" in given else None
    for name, value in (("begndate", begins), ("enddate", ends)):
        if name in given and value is None:
            label = REQUIRED_FIELDS[name]
            problems.append(f"{label}（{name}）应为 yyyy-MM-dd")
    if begins and ends and begins > ends:
        problems.append("入院日期（begndate）晚于出院日期（enddate）")
    if "medfee_sumamt" in given:
        try:
            stated = Decimal(given["medfee_sumamt"])
        except InvalidOperation:
            stated = Decimal("NaN")
        if not stated.is_finite():
            problems.append("费用总额（medfee_sumamt）不是金额")
        else:
            if stated != booked_total:
                problems.append(
                    f"费用总额（medfee_sumamt）{given['medfee_sumamt']} 与该结算的医疗费总额 "
                    f"{booked_total:.2f} 不一致"
                )
    return problems


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    reason: str | None
    deduct_amt: Decimal


def answer_problem(answer: Answer, fund_pay_sumamt: Decimal) -> str | None:
    """Why an answer may not be uploaded (第六十三条(三)): 有误 needs its reason and an amount
    within what the funds paid; 无误 deducts nothing."""
    if answer.verdict is Verdict.WRONG:
        if not (answer.reason or "").strip():
            return "“核查有误”须填写具体原因（reason）；未填写原因的不得上传（第六十三条(三)）"
        if answer.deduct_amt < 0 or answer.deduct_amt > fund_pay_sumamt:
            return (
                f"核查有误的扣款金额（deduct_amt）{answer.deduct_amt:.2f} 应在 0 至该结算基金支付 "
                f"{fund_pay_sumamt:.2f} 元之间"
            )
    elif answer.deduct_amt != 0:
        return "“核查无误”不扣款：扣款金额（deduct_amt）应为 0"
    return None
