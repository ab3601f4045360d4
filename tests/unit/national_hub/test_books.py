"""The books' pure parts: what an answer books, who clears it, the month's statement, the
prepayment gauge, and the daily reconciliation — each a table of cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.national_hub.domain import clearing, prepayment, reconciliation
from services.national_hub.domain.books import (
    AMOUNTS,
    Answer,
    Booking,
    EntryKind,
    Unbookable,
    Void,
    bookings_of,
    business_day,
    clearing_party,
)
from services.national_hub.domain.clearing import Item
from services.national_hub.domain.prepayment import Gauge, Level
from services.national_hub.domain.reconciliation import Category, Held

D = Decimal


def setlinfo(setl_id: str | None = "S650100261203000001", **changes: Any) -> dict[str, Any]:
    info = {
        "setl_id": setl_id, "mdtrt_id": "M1", "psn_no": "P1", "insutype": "310",
        "setl_time": "2026-01-31T16:30:00+00:00", "clr_type": "11", "refd_setl_flag": "0",
        "init_setl_id": None, "medfee_sumamt": "100.00", "fulamt_ownpay_amt": "10.00",
        "overlmt_selfpay": "0.00", "preselfpay_amt": "10.00", "inscp_scp_amt": "80.00",
        "hifp_pay": "50.00", "hifob_pay": "0.00", "hifmi_pay": "0.00", "cvlserv_pay": "0.00",
        "maf_pay": "0.00", "oth_pay": "0.00", "fund_pay_sumamt": "50.00",
        "psn_part_amt": "50.00", "acct_pay": "20.00", "psn_cash_pay": "30.00",
    }  # fmt: skip
    info.update(changes)
    return info


def answer(infno: str, payload: dict[str, Any]) -> Answer:
    return Answer(infno, "MSG1", "110000", "650100", "H11000000001", payload)


DETAIL = [{"fund_payamt": "50.00"}]


def test_a_settlement_answer_books_its_amounts_on_its_china_day() -> None:
    [booking] = bookings_of(answer("2207", {"setlinfo": setlinfo(), "setldetail": DETAIL}))
    assert isinstance(booking, Booking)
    assert booking.kind is EntryKind.SETTLEMENT
    assert booking.day == date(2026, 2, 1)  # 16:30 UTC is past midnight in China
    assert booking.amount("fund_pay_sumamt") == D("50.00")
    assert booking.amount("acct_pay") == D("20.00")
    assert len(booking.amounts) == len(AMOUNTS)


@pytest.mark.parametrize(
    ("infno", "payload", "expected"),
    [
        # a pre-settlement, a registration, an enquiry: nothing is booked
        ("2206", {"setlinfo": setlinfo(setl_id=None)}, []),
        ("2201", {"setlinfo": setlinfo()}, []),
        ("1101", {}, []),
        # a cancel books its mirror
        ("2208", {"setlinfo": setlinfo(refd_setl_flag="1", init_setl_id="S0"),
                  "setldetail": DETAIL},
         [("S650100261203000001", "cancel")]),
        # a cancel's 2601 books the void of the mirror it names (and the original, booked before)
        ("2601", {"result": {"reversed": "cancel", "setl_id": "SMIRROR", "omsgid": "C1"},
                  "setlinfo": setlinfo(), "setldetail": DETAIL},
         [("S650100261203000001", "settlement"), ("SMIRROR/void", "void")]),
        # a registration's 2601 books nothing
        ("2601", {"result": {"reversed": "registration"}}, []),
    ],
)  # fmt: skip
def test_what_each_answer_books(
    infno: str, payload: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    found = bookings_of(answer(infno, payload))
    assert [
        (b.book_id, b.kind.value if isinstance(b, Booking) else "void") for b in found
    ] == expected
    assert all(isinstance(b, Booking | Void) for b in found)


@pytest.mark.parametrize(
    "changes",
    [
        {"fund_pay_sumamt": "49.00"},  # does not balance
        {"hifp_pay": "1e40", "fund_pay_sumamt": "1e40"},  # no sum of money
        {"acct_pay": "Infinity"},
        {"medfee_sumamt": "sNaN"},
        {"setl_id": "A110000261203000001"},  # another pool's id
    ],
)
def test_a_settlement_the_books_cannot_take_is_refused_as_unbookable(
    changes: dict[str, str],
) -> None:
    with pytest.raises(Unbookable):
        bookings_of(answer("2207", {"setlinfo": setlinfo(**changes), "setldetail": DETAIL}))


def test_a_settlement_that_does_not_balance_is_never_booked() -> None:
    info = setlinfo(fund_pay_sumamt="49.00")
    with pytest.raises(Unbookable, match="S650100261203000001"):
        bookings_of(answer("2207", {"setlinfo": info, "setldetail": DETAIL}))


@pytest.mark.parametrize(
    ("treating", "insured", "expected"),
    [
        ("110000", "650100", ("650000", "110000", "cross")),  # Urumqi's province pays Beijing
        ("150200", "150781", ("150781", "150200", "intra")),  # pool pays pool in 内蒙古
        ("110000", "110000", None),  # care in one's own pool is not cleared
    ],
)
def test_who_clears_whom(treating: str, insured: str, expected: tuple[str, ...] | None) -> None:
    party = clearing_party(treating, insured)
    assert (None if party is None else (party.payer, party.payee, party.route)) == expected


def test_the_business_day_is_chinas() -> None:
    assert business_day("2026-01-31T15:59:59+00:00") == date(2026, 1, 31)
    assert business_day("2026-01-31T16:00:00+00:00") == date(2026, 2, 1)


# ---------------------------------------------------------------- clearing


def test_a_month_statement_sums_per_payer_payee_and_mark_and_the_nets_cancel() -> None:
    items = [
        Item("650000", "110000", "cross", D("50.00"), D("20.00"), False),
        Item("650000", "110000", "cross", D("30.00"), D("0.00"), False),
        Item("650000", "110000", "cross", D("-50.00"), D("-20.00"), True),  # a return
        Item("120000", "110000", "cross", D("10.01"), D("0.00"), False),
    ]
    found = clearing.statement("202602", items)
    lines = {(ln.payer, ln.payee, ln.marked): (ln.entries, ln.amount) for ln in found.lines}
    assert lines == {
        ("650000", "110000", False): (2, D("100.00")),
        ("650000", "110000", True): (1, D("-70.00")),
        ("120000", "110000", False): (1, D("10.01")),
    }
    notices = {n.party: n for n in found.notices}
    # the return is the treating side's to pay back, marked * beside the insured province
    assert [(ln.payee, ln.amount, ln.marked) for ln in notices["110000"].pays] == [
        ("650000", D("70.00"), True)
    ]
    assert [(ln.payer, ln.marked) for ln in notices["650000"].receives] == [("110000", True)]
    nets = {n.party: n.net for n in found.notices}
    assert nets == {"110000": D("40.01"), "120000": D("-10.01"), "650000": D("-30.00")}
    assert sum(nets.values()) == 0
    assert found.entries == 4


@pytest.mark.parametrize(
    ("month", "today", "why"),
    [
        ("202601", date(2026, 1, 31), "尚未结束"),
        ("202601", date(2026, 2, 1), None),
        ("202612", date(2027, 1, 1), None),
    ],
)
def test_a_month_is_cleared_once_over(month: str, today: date, why: str | None) -> None:
    found = clearing.may_generate(month, today)
    assert (found is None) if why is None else (why in (found or ""))


@pytest.mark.parametrize(
    ("month", "today", "due"),
    [("202601", date(2026, 2, 19), False), ("202601", date(2026, 2, 20), True),
     ("202612", date(2027, 1, 20), True)],
)  # fmt: skip
def test_the_hub_clears_a_month_by_itself_from_the_20th_after(
    month: str, today: date, due: bool
) -> None:
    assert clearing.due_automatically(month, today) is due


def test_overdue_months_and_years_are_said() -> None:
    assert clearing.overdue({"202601"}, date(2026, 3, 31)) == []
    assert clearing.overdue({"202601"}, date(2026, 4, 1)) == [
        "202601 的费用超过两个月未清算（最迟 2026-03-31）"
    ]
    assert "2025 年度费用未在次年第一季度内清算完毕" in clearing.overdue(
        {"202512"}, date(2026, 4, 1)
    )


@pytest.mark.parametrize(
    ("text", "month"), [("202601", "202601"), ("2026-01", "202601"), (" 202612 ", "202612")]
)
def test_months_as_people_write_them(text: str, month: str) -> None:
    assert clearing.parse_month(text) == month


@pytest.mark.parametrize(
    "text", ["202613", "2026", "2026-1", "abcdef", "000001", "999912", "２０２６０１"]
)
def test_a_month_nobody_can_read_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="六位年月"):
        clearing.parse_month(text)


# ---------------------------------------------------------------- prepayment


def test_a_usage_far_past_the_quota_is_off_the_scale_but_still_red() -> None:
    gauge = Gauge("650000", D("0.01"), D("5000000.00"))
    assert (gauge.ratio, gauge.level) == (prepayment.RATIO_CAP, Level.RED)


@pytest.mark.parametrize(
    ("usage", "level"),
    [("0.00", Level.NORMAL), ("699.99", Level.NORMAL), ("700.00", Level.YELLOW),
     ("899.99", Level.YELLOW), ("900.00", Level.RED), ("1500.00", Level.RED)],
)  # fmt: skip
def test_the_gauge_is_yellow_from_70_and_red_from_90_percent(usage: str, level: Level) -> None:
    assert Gauge("650000", D("1000.00"), D(usage)).level is level


@pytest.mark.parametrize(
    ("last", "usage", "expected"),
    [
        (Level.NORMAL, "500.00", None),
        (Level.NORMAL, "750.00", (Level.YELLOW, False)),
        (Level.YELLOW, "800.00", None),
        (Level.YELLOW, "950.00", (Level.RED, True)),  # with an emergency top-up request
        (Level.NORMAL, "950.00", (Level.RED, True)),
        (Level.RED, "100.00", (Level.NORMAL, False)),  # clearing released the usage
    ],
)
def test_a_warning_is_raised_when_the_level_changes(
    last: Level, usage: str, expected: tuple[Level, bool] | None
) -> None:
    warning = prepayment.warning_for(Gauge("650000", D("1000.00"), D(usage)), last)
    found = None if warning is None else (warning.level, warning.topup_requested)
    assert found == expected


@pytest.mark.parametrize(
    ("spent", "configured", "quota"),
    [("6000000.00", None, "1000000.00"), ("60000000.00", None, "10000000.00"),
     ("0", None, "1000000.00"), ("60000000.00", "5000.00", "5000.00")],
)  # fmt: skip
def test_the_quota_is_two_months_of_last_years_spending(
    spent: str, configured: str | None, quota: str
) -> None:
    found = prepayment.quota_of(
        D(spent), configured=D(configured) if configured else None, minimum=D("1000000.00")
    )
    assert found == D(quota)


# ---------------------------------------------------------------- reconciliation

FUNDS = (D("50.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"))


def held(setl_id: str, medfee: str = "100.00", fund: str = "50.00", **more: Any) -> Held:
    return Held(setl_id, f"M{setl_id}", "110000", "650100", D(medfee), D(fund), D("20.00"),
                more.get("funds", FUNDS))  # fmt: skip


@pytest.mark.parametrize(
    ("treating", "hub", "insured", "open_msgids", "expected"),
    [
        ([held("A")], [held("A")], [held("A")], set(), []),
        ([held("A", medfee="99.00")], [held("A")], [held("A")], set(), [("A", Category.AMOUNT)]),
        ([held("A", fund="40.00")], [held("A")], [held("A")], set(), [("A", Category.FUND)]),
        ([held("A", funds=(D("40.00"), D("10.00"), *FUNDS[2:]))], [held("A")], [held("A")],
         set(), [("A", Category.FUND)]),
        ([held("A")], [held("A")], [], set(), [("A", Category.TREATING_ONLY)]),
        ([], [held("A")], [held("A")], set(), [("A", Category.INSURED_ONLY)]),
        ([], [held("A")], [held("A")], {"MA"}, [("A", Category.UNKNOWN)]),
        ([], [held("A")], [], set(), [("A", Category.HUB_ONLY)]),
        ([held("A")], [], [held("A")], set(), [("A", Category.HUB_MISSING)]),
    ],
)  # fmt: skip
def test_each_break_has_its_category(
    treating: list[Held],
    hub: list[Held],
    insured: list[Held],
    open_msgids: set[str],
    expected: list[tuple[str, Category]],
) -> None:
    report = reconciliation.reconcile(
        date(2026, 1, 5), treating, hub, insured, frozenset(open_msgids)
    )
    assert [(b.setl_id, b.category) for b in report.breaks] == expected
    assert report.balanced is (expected == [])
    assert all(b.resolution for b in report.breaks)


def test_counts_and_sums_are_per_side_and_region_pair() -> None:
    other = Held("B", "MB", "150200", "150781", D("10.00"), D("5.00"), D("0.00"))
    report = reconciliation.reconcile(
        date(2026, 1, 5), [held("A"), other], [held("A"), other], [held("A")]
    )
    pairs = {(p.mdtrtarea_admvs, p.insuplc_admdvs): p for p in report.pairs}
    assert pairs[("110000", "650100")].balanced
    assert pairs[("110000", "650100")].treating.medfee_sumamt == D("100.00")
    assert not pairs[("150200", "150781")].balanced
    assert pairs[("150200", "150781")].insured.count == 0


def test_a_warning_goes_to_every_pool_of_its_province_as_the_platforms_event() -> None:
    from datetime import UTC, datetime

    from services.national_hub.service_layer.books import WARNING_INFNO, warning_events
    from shared.envelope import MessageKind
    from shared.regions import PLATFORM

    warning = prepayment.Warning(Gauge("150000", D("1000.00"), D("950.00")), Level.RED)
    sent = warning_events(7, warning, datetime(2026, 2, 1, tzinfo=UTC))
    assert sorted(e.insuplc_admdvs for e in sent) == ["150200", "150781", "159900"]
    assert {(e.kind, e.sender_admdvs, e.infno) for e in sent} == {
        (MessageKind.EVENT, PLATFORM, WARNING_INFNO)
    }
    body = sent[0].payload["prepayment"]
    assert (body["level"], body["topup_requested"], body["ratio"]) == ("red", True, "0.9500")
    assert len({e.relay_id for e in sent}) == 3


# ---------------------------------------------------------------- the treating region vouches


def stated_as_booked(setl_id: str = "S650100261203000001", **changes: Any) -> Held:
    """The treating statement's row of the settlement ``setlinfo()`` books under ``MSG1``."""
    row = Held(setl_id, "MSG1", "110000", "650100", D("100.00"), D("50.00"), D("20.00"), FUNDS)
    return replace(row, **changes)


SETTLED = bookings_of(answer("2207", {"setlinfo": setlinfo(), "setldetail": DETAIL}))
DAY = date(2026, 2, 1)
"""The China business day ``setlinfo()`` settles on."""


@pytest.mark.parametrize(
    ("listed", "refunds", "bookings", "vouched"),
    [
        ({"S650100261203000001": stated_as_booked()}, set(), SETTLED, True),
        ({"S650100261203000001": stated_as_booked(funds=None)}, set(), SETTLED, True),
        ({}, set(), SETTLED, False),
        ({"S650100261203000001": stated_as_booked()}, {"S650100261203000001"}, SETTLED, False),
        ({"S650100261203000001": stated_as_booked(medfee_sumamt=D("90.00"))}, set(), SETTLED,
         False),
        ({"S650100261203000001": stated_as_booked(acct_pay=D("0.00"))}, set(), SETTLED, False),
        ({"S650100261203000001": stated_as_booked(
            funds=(D("40.00"), D("10.00"), *FUNDS[2:]))}, set(), SETTLED, False),
        ({"S650100261203000001": stated_as_booked(msgid="MSG2")}, set(), SETTLED, False),
        ({"S650100261203000001": stated_as_booked(mdtrtarea_admvs="120000")}, set(), SETTLED,
         False),
        ({"S650100261203000001": stated_as_booked(insuplc_admdvs="650200")}, set(), SETTLED,
         False),
        ({"S650100261203000001": stated_as_booked()}, set(), (), False),
        ({"S650100261203000001": stated_as_booked()}, set(),
         (Void("S650100261203000001", "MSG1", "MSG0", "110000", "650100"),), False),
    ],
)  # fmt: skip
def test_the_treating_statement_vouches_only_for_exactly_what_an_answer_books(
    listed: dict[str, Held],
    refunds: set[str],
    bookings: tuple[Booking | Void, ...],
    vouched: bool,
) -> None:
    assert reconciliation.vouches(DAY, listed, frozenset(refunds), bookings) is vouched
    # the same on another day: a doctored setl_time would book it elsewhere
    assert not reconciliation.vouches(date(2026, 1, 31), listed, frozenset(refunds), bookings)


def test_a_refund_is_vouched_for_by_a_statement_row_marked_as_one() -> None:
    info = setlinfo("S650100261203000002", refd_setl_flag="1", init_setl_id="S650100261203000001")
    mirror = bookings_of(answer("2208", {"setlinfo": info, "setldetail": DETAIL}))
    row = stated_as_booked("S650100261203000002")
    listed = {row.setl_id: row}
    assert reconciliation.vouches(DAY, listed, frozenset({row.setl_id}), mirror)
    assert not reconciliation.vouches(DAY, listed, frozenset(), mirror)
