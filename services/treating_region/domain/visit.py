"""A visit's life at the treating region: which transaction may follow which (issue 4).

Inpatient: admitted → discharged → settled; a cancel undoes the latest step only.
Outpatient: registered → settled. Fee lines come and go only before settlement.
"""

from __future__ import annotations

from enum import StrEnum

from shared.errors import E3002, RelayError


class VisitState(StrEnum):
    ADMITTED = "admitted"
    DISCHARGED = "discharged"
    REGISTERED = "registered"
    SETTLING = "settling"
    """A settle is on its way to the insured region: no second one may start."""
    SETTLED = "settled"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"


class Action(StrEnum):
    UPLOAD_LINES = "upload fee lines"
    CANCEL_LINES = "cancel fee lines"
    CHANGE = "change the visit"
    DISCHARGE = "discharge"
    CANCEL_ADMISSION = "cancel the admission"
    CANCEL_DISCHARGE = "cancel the discharge"
    PRE_SETTLE = "pre-settle"
    SETTLE = "settle"
    SETTLE_DONE = "record the settlement"
    SETTLE_REFUSED = "record a refused settlement"
    CANCEL_SETTLEMENT = "cancel the settlement"
    CANCEL_DONE = "record the cancel"
    CANCEL_REFUSED = "record a refused cancel"
    REVERSE_REGISTRATION = "reverse (2601) the admission or registration"
    REVERSE_CANCEL = "reverse (2601) the cancel of the settlement"


STATE_ZH: dict[VisitState, str] = {
    VisitState.ADMITTED: "在院",
    VisitState.DISCHARGED: "已出院",
    VisitState.REGISTERED: "已挂号",
    VisitState.SETTLING: "结算中",
    VisitState.SETTLED: "已结算",
    VisitState.CANCELLING: "撤销结算中",
    VisitState.CANCELLED: "已取消",
}
"""A visit's state as the clerk reads it in an E3002 detail (天津 §七(二))."""

ACTION_ZH: dict[Action, str] = {
    Action.UPLOAD_LINES: "上传费用明细",
    Action.CANCEL_LINES: "撤销费用明细",
    Action.CHANGE: "修改就诊信息",
    Action.DISCHARGE: "办理出院",
    Action.CANCEL_ADMISSION: "取消入院",
    Action.CANCEL_DISCHARGE: "取消出院",
    Action.PRE_SETTLE: "预结算",
    Action.SETTLE: "结算",
    Action.SETTLE_DONE: "登记结算结果",
    Action.SETTLE_REFUSED: "登记结算失败",
    Action.CANCEL_SETTLEMENT: "撤销结算",
    Action.CANCEL_DONE: "登记撤销结果",
    Action.CANCEL_REFUSED: "登记撤销失败",
    Action.REVERSE_REGISTRATION: "冲正（2601）入院登记或挂号",
    Action.REVERSE_CANCEL: "冲正（2601）撤销结算",
}
"""What the clerk asked for, in the words of an E3002 detail."""


S = VisitState
ALLOWED: dict[Action, dict[VisitState, VisitState]] = {
    Action.UPLOAD_LINES: {S.ADMITTED: S.ADMITTED, S.DISCHARGED: S.DISCHARGED,
                          S.REGISTERED: S.REGISTERED},
    Action.CANCEL_LINES: {S.ADMITTED: S.ADMITTED, S.DISCHARGED: S.DISCHARGED,
                          S.REGISTERED: S.REGISTERED},
    Action.CHANGE: {S.ADMITTED: S.ADMITTED, S.DISCHARGED: S.DISCHARGED,
                    S.REGISTERED: S.REGISTERED},
    Action.DISCHARGE: {S.ADMITTED: S.DISCHARGED},
    Action.CANCEL_ADMISSION: {S.ADMITTED: S.CANCELLED},
    Action.CANCEL_DISCHARGE: {S.DISCHARGED: S.ADMITTED},
    Action.PRE_SETTLE: {S.DISCHARGED: S.DISCHARGED, S.REGISTERED: S.REGISTERED},
    Action.SETTLE: {S.DISCHARGED: S.SETTLING, S.REGISTERED: S.SETTLING},
    Action.SETTLE_DONE: {S.SETTLING: S.SETTLED},
    Action.SETTLE_REFUSED: {S.SETTLING: S.DISCHARGED},
    Action.CANCEL_SETTLEMENT: {S.SETTLED: S.CANCELLING},
    Action.CANCEL_DONE: {S.CANCELLING: S.DISCHARGED},
    Action.CANCEL_REFUSED: {S.CANCELLING: S.SETTLED},
    Action.REVERSE_REGISTRATION: {S.ADMITTED: S.CANCELLED, S.REGISTERED: S.CANCELLED},
    Action.REVERSE_CANCEL: {S.DISCHARGED: S.SETTLED, S.REGISTERED: S.SETTLED,
                            S.CANCELLING: S.SETTLED},
}  # fmt: skip
BACK_TO_OPEN = frozenset({Action.SETTLE_REFUSED, Action.CANCEL_DONE})
"""Actions that reopen the visit: an outpatient visit reopens as registered."""


def transition(state: VisitState, action: Action, *, inpatient: bool) -> VisitState:
    """The state after ``action``, or E3002 naming what is not allowed and why."""
    target = ALLOWED[action].get(state)
    if target is None:
        raise RelayError(E3002, detail=f"就诊状态为“{STATE_ZH[state]}”，不能{ACTION_ZH[action]}")
    if action in BACK_TO_OPEN and not inpatient:
        return VisitState.REGISTERED
    return target
