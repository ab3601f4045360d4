"""Which transaction may follow which at the treating region (visit module docstring, design §3).

The table is written by hand from the docstring: inpatient admitted → discharged → settling →
settled; a cancel undoes the latest step only; outpatient registered → settling → settled; fee
lines come and go only before settlement; a refused settle or a recorded cancel reopens the visit
(discharged for an inpatient, registered for an outpatient). Everything else is E3002.

The state already says which kind of visit it is (admitted/discharged: inpatient, registered:
outpatient); ``inpatient`` only chooses where a reopened visit goes. So every row below holds
for both values of the flag except the two reopening ones, which name both outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.treating_region.domain.visit import (
    ACTION_ZH,
    STATE_ZH,
    Action,
    VisitState,
    transition,
)
from shared.errors import RelayError

S = VisitState
A = Action


@dataclass(frozen=True)
class Row:
    state: VisitState
    action: Action
    inpatient_next: VisitState | None
    """None: refused with E3002."""
    outpatient_next: VisitState | None
    why: str


def ok(state: VisitState, action: Action, to: VisitState, why: str) -> Row:
    return Row(state, action, to, to, why)


def reopen(state: VisitState, action: Action, inpatient: VisitState, why: str) -> Row:
    return Row(state, action, inpatient, S.REGISTERED, why)


def no(state: VisitState, action: Action, why: str) -> Row:
    return Row(state, action, None, None, why)


TABLE = [
    # ---------------------------------------------------------------- admitted (inpatient)
    ok(S.ADMITTED, A.UPLOAD_LINES, S.ADMITTED, "fee lines come during the stay"),
    ok(S.ADMITTED, A.CANCEL_LINES, S.ADMITTED, "fee lines go during the stay"),
    ok(S.ADMITTED, A.CHANGE, S.ADMITTED, "the stay may be corrected"),
    ok(S.ADMITTED, A.DISCHARGE, S.DISCHARGED, "admitted → discharged"),
    ok(S.ADMITTED, A.CANCEL_ADMISSION, S.CANCELLED, "the admission is the latest step"),
    no(S.ADMITTED, A.CANCEL_DISCHARGE, "no discharge to cancel"),
    no(S.ADMITTED, A.PRE_SETTLE, "cannot pre-settle an admitted (not discharged) visit"),
    no(S.ADMITTED, A.SETTLE, "cannot settle an admitted (not discharged) visit"),
    no(S.ADMITTED, A.SETTLE_DONE, "no settle on its way"),
    no(S.ADMITTED, A.SETTLE_REFUSED, "no settle on its way"),
    no(S.ADMITTED, A.CANCEL_SETTLEMENT, "nothing settled to cancel"),
    no(S.ADMITTED, A.CANCEL_DONE, "no cancel on its way"),
    no(S.ADMITTED, A.CANCEL_REFUSED, "no cancel on its way"),
    # ---------------------------------------------------------------- discharged (inpatient)
    ok(S.DISCHARGED, A.UPLOAD_LINES, S.DISCHARGED, "fee lines come until settlement"),
    ok(S.DISCHARGED, A.CANCEL_LINES, S.DISCHARGED, "fee lines go until settlement"),
    ok(S.DISCHARGED, A.CHANGE, S.DISCHARGED, "the stay may be corrected until settlement"),
    no(S.DISCHARGED, A.DISCHARGE, "already discharged"),
    no(S.DISCHARGED, A.CANCEL_ADMISSION, "cancel the discharge first (latest step only)"),
    ok(S.DISCHARGED, A.CANCEL_DISCHARGE, S.ADMITTED, "the discharge is the latest step"),
    ok(S.DISCHARGED, A.PRE_SETTLE, S.DISCHARGED, "a pre-settle changes nothing"),
    ok(S.DISCHARGED, A.SETTLE, S.SETTLING, "discharged → settling"),
    no(S.DISCHARGED, A.SETTLE_DONE, "no settle on its way"),
    no(S.DISCHARGED, A.SETTLE_REFUSED, "no settle on its way"),
    no(S.DISCHARGED, A.CANCEL_SETTLEMENT, "nothing settled to cancel"),
    no(S.DISCHARGED, A.CANCEL_DONE, "no cancel on its way"),
    no(S.DISCHARGED, A.CANCEL_REFUSED, "no cancel on its way"),
    # ---------------------------------------------------------------- registered (outpatient)
    ok(S.REGISTERED, A.UPLOAD_LINES, S.REGISTERED, "fee lines come until settlement"),
    ok(S.REGISTERED, A.CANCEL_LINES, S.REGISTERED, "fee lines go until settlement"),
    ok(S.REGISTERED, A.CHANGE, S.REGISTERED, "the visit may be corrected until settlement"),
    no(S.REGISTERED, A.DISCHARGE, "an outpatient visit is not discharged"),
    no(S.REGISTERED, A.CANCEL_ADMISSION, "an outpatient visit has no admission"),
    no(S.REGISTERED, A.CANCEL_DISCHARGE, "an outpatient visit has no discharge"),
    ok(S.REGISTERED, A.PRE_SETTLE, S.REGISTERED, "a pre-settle changes nothing"),
    ok(S.REGISTERED, A.SETTLE, S.SETTLING, "registered → settling"),
    no(S.REGISTERED, A.SETTLE_DONE, "no settle on its way"),
    no(S.REGISTERED, A.SETTLE_REFUSED, "no settle on its way"),
    no(S.REGISTERED, A.CANCEL_SETTLEMENT, "nothing settled to cancel"),
    no(S.REGISTERED, A.CANCEL_DONE, "no cancel on its way"),
    no(S.REGISTERED, A.CANCEL_REFUSED, "no cancel on its way"),
    # ---------------------------------------------------------------- settling
    no(S.SETTLING, A.UPLOAD_LINES, "no lines while a settle is on its way"),
    no(S.SETTLING, A.CANCEL_LINES, "no lines while a settle is on its way"),
    no(S.SETTLING, A.CHANGE, "no change while a settle is on its way"),
    no(S.SETTLING, A.DISCHARGE, "already discharged or outpatient"),
    no(S.SETTLING, A.CANCEL_ADMISSION, "a settle is on its way"),
    no(S.SETTLING, A.CANCEL_DISCHARGE, "a settle is on its way"),
    no(S.SETTLING, A.PRE_SETTLE, "a settle is on its way"),
    no(S.SETTLING, A.SETTLE, "no second settle may start"),
    ok(S.SETTLING, A.SETTLE_DONE, S.SETTLED, "settling → settled"),
    reopen(S.SETTLING, A.SETTLE_REFUSED, S.DISCHARGED, "a refused settle reopens the visit"),
    no(S.SETTLING, A.CANCEL_SETTLEMENT, "not settled yet"),
    no(S.SETTLING, A.CANCEL_DONE, "no cancel on its way"),
    no(S.SETTLING, A.CANCEL_REFUSED, "no cancel on its way"),
    # ---------------------------------------------------------------- settled
    no(S.SETTLED, A.UPLOAD_LINES, "no lines after settlement"),
    no(S.SETTLED, A.CANCEL_LINES, "no lines after settlement"),
    no(S.SETTLED, A.CHANGE, "no change after settlement"),
    no(S.SETTLED, A.DISCHARGE, "cancel the settlement first"),
    no(S.SETTLED, A.CANCEL_ADMISSION, "cancel the settlement first (latest step only)"),
    no(S.SETTLED, A.CANCEL_DISCHARGE, "cancel the settlement first (latest step only)"),
    no(S.SETTLED, A.PRE_SETTLE, "already settled"),
    no(S.SETTLED, A.SETTLE, "already settled"),
    no(S.SETTLED, A.SETTLE_DONE, "no settle on its way"),
    no(S.SETTLED, A.SETTLE_REFUSED, "no settle on its way"),
    ok(S.SETTLED, A.CANCEL_SETTLEMENT, S.CANCELLING, "the settlement is the latest step"),
    no(S.SETTLED, A.CANCEL_DONE, "no cancel on its way"),
    no(S.SETTLED, A.CANCEL_REFUSED, "no cancel on its way"),
    # ---------------------------------------------------------------- cancelling
    no(S.CANCELLING, A.UPLOAD_LINES, "no lines while a cancel is on its way"),
    no(S.CANCELLING, A.CANCEL_LINES, "no lines while a cancel is on its way"),
    no(S.CANCELLING, A.CHANGE, "no change while a cancel is on its way"),
    no(S.CANCELLING, A.DISCHARGE, "a cancel is on its way"),
    no(S.CANCELLING, A.CANCEL_ADMISSION, "a cancel is on its way"),
    no(S.CANCELLING, A.CANCEL_DISCHARGE, "a cancel is on its way"),
    no(S.CANCELLING, A.PRE_SETTLE, "still settled until the cancel is recorded"),
    no(S.CANCELLING, A.SETTLE, "still settled until the cancel is recorded"),
    no(S.CANCELLING, A.SETTLE_DONE, "no settle on its way"),
    no(S.CANCELLING, A.SETTLE_REFUSED, "no settle on its way"),
    no(S.CANCELLING, A.CANCEL_SETTLEMENT, "no second cancel may start"),
    reopen(S.CANCELLING, A.CANCEL_DONE, S.DISCHARGED, "a cancelled settlement reopens the visit"),
    ok(S.CANCELLING, A.CANCEL_REFUSED, S.SETTLED, "a refused cancel leaves it settled"),
    # ---------------------------------------------------------------- cancelled (final)
    no(S.CANCELLED, A.UPLOAD_LINES, "the visit is cancelled"),
    no(S.CANCELLED, A.CANCEL_LINES, "the visit is cancelled"),
    no(S.CANCELLED, A.CHANGE, "the visit is cancelled"),
    no(S.CANCELLED, A.DISCHARGE, "the visit is cancelled"),
    no(S.CANCELLED, A.CANCEL_ADMISSION, "already cancelled"),
    no(S.CANCELLED, A.CANCEL_DISCHARGE, "the visit is cancelled"),
    no(S.CANCELLED, A.PRE_SETTLE, "the visit is cancelled"),
    no(S.CANCELLED, A.SETTLE, "the visit is cancelled"),
    no(S.CANCELLED, A.SETTLE_DONE, "the visit is cancelled"),
    no(S.CANCELLED, A.SETTLE_REFUSED, "the visit is cancelled"),
    no(S.CANCELLED, A.CANCEL_SETTLEMENT, "the visit is cancelled"),
    no(S.CANCELLED, A.CANCEL_DONE, "the visit is cancelled"),
    no(S.CANCELLED, A.CANCEL_REFUSED, "the visit is cancelled"),
    # ---------------------------------------------------------------- 2601 of an admission
    ok(S.ADMITTED, A.REVERSE_REGISTRATION, S.CANCELLED, "nothing after the admission yet"),
    ok(S.REGISTERED, A.REVERSE_REGISTRATION, S.CANCELLED, "nothing after the registration yet"),
    no(S.DISCHARGED, A.REVERSE_REGISTRATION, "a discharge rests on the admission"),
    no(S.SETTLING, A.REVERSE_REGISTRATION, "a settle rests on the admission"),
    no(S.SETTLED, A.REVERSE_REGISTRATION, "a settlement rests on the admission"),
    no(S.CANCELLING, A.REVERSE_REGISTRATION, "a settlement rests on the admission"),
    no(S.CANCELLED, A.REVERSE_REGISTRATION, "the visit is cancelled"),
    # ---------------------------------------------------------------- 2601 of a cancel
    ok(S.DISCHARGED, A.REVERSE_CANCEL, S.SETTLED, "the cancelled settlement stands again"),
    ok(S.REGISTERED, A.REVERSE_CANCEL, S.SETTLED, "the cancelled settlement stands again"),
    ok(S.CANCELLING, A.REVERSE_CANCEL, S.SETTLED, "a cancel of unknown outcome is undone"),
    no(S.ADMITTED, A.REVERSE_CANCEL, "the discharge was cancelled since"),
    no(S.SETTLING, A.REVERSE_CANCEL, "a new settle is on its way"),
    no(S.SETTLED, A.REVERSE_CANCEL, "settled again since"),
    no(S.CANCELLED, A.REVERSE_CANCEL, "the visit is cancelled"),
]

CASES = [
    pytest.param(
        row.state,
        row.action,
        inpatient,
        row.inpatient_next if inpatient else row.outpatient_next,
        id=f"{row.state.name}-{row.action.name}-{'in' if inpatient else 'out'}patient: {row.why}",
    )
    for row in TABLE
    for inpatient in (True, False)
]


def test_the_table_has_every_state_and_action_once() -> None:
    pairs = [(row.state, row.action) for row in TABLE]
    assert len(pairs) == len(set(pairs)) == len(VisitState) * len(Action)


@pytest.mark.parametrize(("state", "action", "inpatient", "expect"), CASES)
def test_transition(
    state: VisitState, action: Action, inpatient: bool, expect: VisitState | None
) -> None:
    if expect is not None:
        assert transition(state, action, inpatient=inpatient) is expect
        return
    with pytest.raises(RelayError) as caught:
        transition(state, action, inpatient=inpatient)
    assert caught.value.code == "E3002"
    assert ACTION_ZH[action] in caught.value.detail
    assert STATE_ZH[state] in caught.value.detail


def _walk(start: VisitState, actions: list[Action], *, inpatient: bool) -> list[VisitState]:
    states = [start]
    for action in actions:
        states.append(transition(states[-1], action, inpatient=inpatient))
    return states


def test_an_inpatient_stay_from_admission_back_to_cancelled() -> None:
    steps = [
        A.UPLOAD_LINES,
        A.DISCHARGE,
        A.SETTLE,
        A.SETTLE_REFUSED,
        A.SETTLE,
        A.SETTLE_DONE,
        A.CANCEL_SETTLEMENT,
        A.CANCEL_DONE,
        A.CANCEL_DISCHARGE,
        A.CANCEL_ADMISSION,
    ]
    assert _walk(S.ADMITTED, steps, inpatient=True) == [
        S.ADMITTED,
        S.ADMITTED,
        S.DISCHARGED,
        S.SETTLING,
        S.DISCHARGED,
        S.SETTLING,
        S.SETTLED,
        S.CANCELLING,
        S.DISCHARGED,
        S.ADMITTED,
        S.CANCELLED,
    ]


def test_an_outpatient_visit_reopens_as_registered() -> None:
    steps = [
        A.UPLOAD_LINES,
        A.SETTLE,
        A.SETTLE_REFUSED,
        A.SETTLE,
        A.SETTLE_DONE,
        A.CANCEL_SETTLEMENT,
        A.CANCEL_REFUSED,
        A.CANCEL_SETTLEMENT,
        A.CANCEL_DONE,
    ]
    assert _walk(S.REGISTERED, steps, inpatient=False) == [
        S.REGISTERED,
        S.REGISTERED,
        S.SETTLING,
        S.REGISTERED,
        S.SETTLING,
        S.SETTLED,
        S.CANCELLING,
        S.SETTLED,
        S.CANCELLING,
        S.REGISTERED,
    ]


def test_every_state_and_action_has_chinese_words() -> None:
    """An E3002 detail names the state and the action in Chinese (天津 §七(二))."""
    assert set(STATE_ZH) == set(VisitState)
    assert set(ACTION_ZH) == set(Action)
