"""Supervision's pure rules: co-investigation thresholds, calendar and answers (seed 003
第六十三条), deductions split over the funds to the cent (第五十四条), two-way flags."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.national_hub.domain import coinvestigation as xc
from services.national_hub.domain import deductions, two_way
from services.national_hub.domain.books import AMOUNTS, FUNDS
from shared.identities import make_id_no

D = Decimal


@pytest.mark.parametrize(
    ("route", "total", "refused"),
    [
        ("cross", "29999.99", True),
        ("cross", "30000.00", False),
        ("cross", "45000.00", False),
        ("intra", "19999.99", True),
        ("intra", "20000.00", False),
        ("intra", "29999.99", False),
    ],
)
def test_thresholds_at_their_edges(route: str, total: str, refused: bool) -> None:
    why = xc.refusal(route, "2304", "settlement", D(total))
    assert (why is not None) is refused
    if why is not None:
        limit = "30,000.00" if route == "cross" else "20,000.00"
        assert limit in why
        assert "第六十三条" in why


@pytest.mark.parametrize(
    ("infno", "kind"), [("2207", "settlement"), ("2304", "cancel"), ("2305", "settlement")]
)
def test_only_an_inpatient_settlement_may_be_investigated(infno: str, kind: str) -> None:
    assert xc.refusal("cross", infno, kind, D("90000")) is not None


@pytest.mark.parametrize(
    ("raised", "period", "published", "bounds", "due"),
    [
        (date(2026, 1, 25), "202601", date(2026, 1, 26), (date(2025, 12, 26), date(2026, 1, 25)),
         date(2026, 2, 26)),
        (date(2026, 1, 26), "202602", date(2026, 2, 26), (date(2026, 1, 26), date(2026, 2, 25)),
         date(2026, 3, 26)),
        (date(2025, 12, 31), "202601", date(2026, 1, 26), (date(2025, 12, 26), date(2026, 1, 25)),
         date(2026, 2, 26)),
        (date(2026, 12, 27), "202701", date(2027, 1, 26), (date(2026, 12, 26), date(2027, 1, 25)),
         date(2027, 2, 26)),
    ],
)  # fmt: skip
def test_the_batch_calendar(
    raised: date, period: str, published: date, bounds: tuple[date, date], due: date
) -> None:
    assert xc.period_of(raised) == period
    assert xc.published_on(period) == published
    assert xc.period_bounds(period) == bounds
    assert bounds[0] <= raised <= bounds[1]
    assert xc.answer_due(period) == due


@pytest.mark.parametrize(
    ("period", "extensions", "due"),
    [("202601", 1, date(2026, 3, 26)), ("202611", 1, date(2027, 1, 26)),
     ("202612", 2, date(2027, 3, 26))],
)  # fmt: skip
def test_an_extension_moves_the_deadline_a_period_on(
    period: str, extensions: int, due: date
) -> None:
    assert xc.answer_due(period, extensions) == due


@pytest.mark.parametrize(
    ("answered", "due"),
    [
        (date(2026, 2, 2), date(2026, 2, 9)),  # Monday → next Monday
        (date(2026, 2, 6), date(2026, 2, 13)),  # Friday → next Friday
        (date(2026, 2, 7), date(2026, 2, 13)),  # Saturday → Friday
    ],
)
def test_confirmation_within_five_working_days(answered: date, due: date) -> None:
    assert xc.confirmation_due(answered) == due


def _complete(**over: str) -> dict[str, str]:
    fields = {
        "certno": make_id_no("650100", date(1970, 5, 6), 12, "1"),
        "psn_name": "张三",
        "gend": "1",
        "fixmedins_name": "北京协和医院",
        "ipt_no": "ZY0001",
        "invono": "FP0001",
        "begndate": "2026-01-02",
        "enddate": "2026-01-12",
        "medfee_sumamt": "30000.00",
    }
    return {**fields, **over}


def test_a_complete_exact_request_has_no_problem() -> None:
    assert xc.request_problems(_complete(), D("30000.00")) == []
    assert xc.request_problems(_complete(begndate="20260102"), D("30000")) == []


@pytest.mark.parametrize(
    ("over", "named"),
    [
        ({"invono": ""}, "invono"),
        ({"psn_name": "  "}, "psn_name"),
        ({"certno": "650100197005060120"}, "certno"),
        ({"gend": "M"}, "gend"),
        ({"begndate": "2026-13-01"}, "begndate"),
        ({"begndate": "2026-01-20"}, "begndate"),  # after the discharge
        ({"medfee_sumamt": "29999.00"}, "medfee_sumamt"),
        ({"medfee_sumamt": "abc"}, "medfee_sumamt"),
    ],
)
def test_each_missing_or_wrong_field_is_named(over: dict[str, str], named: str) -> None:
    problems = xc.request_problems(_complete(**over), D("30000.00"))
    assert len(problems) == 1, problems
    assert named in problems[0]


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        (xc.Answer(xc.Verdict.WRONG, None, D("100")), "原因"),
        (xc.Answer(xc.Verdict.WRONG, "  ", D("100")), "原因"),
        (xc.Answer(xc.Verdict.WRONG, "串换项目", D("5000.01")), "deduct_amt"),
        (xc.Answer(xc.Verdict.CORRECT, None, D("1")), "deduct_amt"),
        (xc.Answer(xc.Verdict.WRONG, "串换项目", D("5000.00")), None),
        (xc.Answer(xc.Verdict.CORRECT, None, D("0")), None),
    ],
)
def test_an_answer_wrong_needs_its_reason(answer: xc.Answer, refused: str | None) -> None:
    why = xc.answer_problem(answer, D("5000.00"))
    assert (why is None) if refused is None else (why is not None and refused in why)


def test_a_deduction_is_split_over_the_funds_to_the_cent() -> None:
    funds = {"hifp_pay": D("10000.00"), "hifob_pay": D("3000.00"), "maf_pay": D("0.01")}
    parts = deductions.split(D("1000.00"), funds)
    assert sum(parts.values()) == D("1000.00")
    # 769.2249…, 230.7674…, 0.0008: rounded down, the two cents left go to the largest remainders
    assert (parts["hifp_pay"], parts["hifob_pay"], parts["maf_pay"]) == (
        D("769.23"), D("230.77"), D("0.00"),
    )  # fmt: skip
    amounts = dict(zip(AMOUNTS, deductions.amounts(D("1000.00"), funds), strict=True))
    assert amounts["fund_pay_sumamt"] == D("-1000.00")
    assert amounts["medfee_sumamt"] == amounts["acct_pay"] == amounts["psn_cash_pay"] == 0
    assert sum(amounts[f] for f in FUNDS) == D("-1000.00")
    with pytest.raises(ValueError, match="exceeds"):
        deductions.split(D("13000.02"), funds)


cents = st.integers(min_value=0, max_value=5_000_000).map(lambda n: D(n) / 100)


@given(st.lists(cents, min_size=6, max_size=6), st.floats(min_value=0, max_value=1))
def test_a_split_always_balances_and_never_takes_more_than_a_fund_paid(
    paid: list[Decimal], share: float
) -> None:
    funds = dict(zip(FUNDS, paid, strict=True))
    total = sum(paid, D(0))
    amount = (total * D(str(share))).quantize(D("0.01"), "ROUND_DOWN")
    parts = deductions.split(amount, funds)
    assert sum(parts.values(), D(0)) == (amount if total > 0 and amount > 0 else 0)
    assert all(D(0) <= parts[f] <= funds[f] for f in FUNDS)


@given(
    st.lists(cents, min_size=6, max_size=6),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
)
def test_successive_deductions_split_over_what_is_left_never_overdraw_a_fund(
    paid: list[Decimal], first: float, second: float
) -> None:
    funds = dict(zip(FUNDS, paid, strict=True))
    total = sum(paid, D(0))
    a = (total * D(str(first))).quantize(D("0.01"), "ROUND_DOWN")
    parts_a = deductions.split(a, funds)
    left = {f: funds[f] - parts_a[f] for f in FUNDS}
    b = (sum(left.values(), D(0)) * D(str(second))).quantize(D("0.01"), "ROUND_DOWN")
    parts_b = deductions.split(b, left)
    for f in FUNDS:
        assert parts_a[f] + parts_b[f] <= funds[f]
        assert parts_b[f] >= 0


def _s(day: int, where: str, n: int) -> two_way.Settled:
    return two_way.Settled("P1", "650100", where, date(2026, 1, day), f"S{n:03d}", None)


def test_settling_at_home_and_away_at_the_same_time_is_flagged() -> None:
    found = two_way.flags([_s(5, "650100", 1), _s(6, "110000", 2)], two_way.Rules())
    [flag] = found
    assert flag.psn_no == "P1"
    assert len(flag.overlaps) == 1
    assert "同时段" in flag.reasons[0]


def test_far_apart_and_few_trips_is_not_flagged() -> None:
    assert two_way.flags([_s(1, "650100", 1), _s(20, "110000", 2)], two_way.Rules()) == []
    # only away, never at home: not two-way
    assert two_way.flags([_s(1, "120000", 1), _s(2, "110000", 2)], two_way.Rules()) == []


def test_many_round_trips_are_flagged() -> None:
    places = ["650100", "110000"] * 4  # home, away ×4: 7 switches, 3 round trips
    settled = [_s(1 + 10 * i // 3, where, i) for i, where in enumerate(places)]
    assert two_way.round_trips(settled) == 3
    [flag] = two_way.flags(settled, two_way.Rules(overlap_days=0, max_round_trips=2))
    assert any("往返 3 次" in r for r in flag.reasons)
    assert two_way.flags(settled, two_way.Rules(overlap_days=0, max_round_trips=3)) == []
