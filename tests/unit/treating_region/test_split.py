"""Named table for the split of one fee line (design §5, house style §5 item 20).

Every expected amount below was worked out by hand from design §5, never by running
``split_line``; the comment above each case shows the arithmetic. ``A`` is
``det_item_fee_sumamt``; rounding is to the cent, ROUND_HALF_UP (ties away from zero, so a
refund is the exact mirror of its charge).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.treating_region.domain.catalogue import CatalogueEntry, normalize_level
from services.treating_region.domain.split import (
    FeeLine,
    LineRefused,
    LineSplit,
    split_line,
    split_violations,
)

D = Decimal
CENT = D("0.01")
ZERO = D("0.00")


def fee(pric: str, cnt: str, amount: str, *, hospital_type: str | None = None) -> FeeLine:
    return FeeLine("20240601-0001", "XA01", D(pric), D(cnt), D(amount), hospital_type)


def listed(
    level: str, *, ratio: str = "0", cap: str | None = None, category: str = "09"
) -> CatalogueEntry:
    return CatalogueEntry(
        med_list_codg="XA01",
        name="test item",
        med_chrgitm_type=category,
        chrgitm_lv=level,
        selfpay_prop=D(ratio),
        pric_uplmt_amt=None if cap is None else D(cap),
    )


@dataclass(frozen=True)
class Parts:
    """The expected split: the four parts plus what the split says about the line."""

    fulamt: Decimal
    overlmt: Decimal
    preselfpay: Decimal
    inscp: Decimal
    category: str
    level: str
    ratio: Decimal


def parts(
    *,
    fulamt: str = "0.00",
    overlmt: str = "0.00",
    preselfpay: str = "0.00",
    inscp: str = "0.00",
    category: str = "09",
    level: str,
    ratio: str = "0",
) -> Parts:
    return Parts(D(fulamt), D(overlmt), D(preselfpay), D(inscp), category, level, D(ratio))


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    line: FeeLine
    entry: CatalogueEntry | None
    expect: Parts | None
    """None: the line is refused (``LineRefused``)."""


REFUSED = None
NOT_LISTED = "design §5: not in the catalogue → fulamt_ownpay_amt = A, rest 0"
CLASS_C = "design §5: 丙类 → fulamt_ownpay_amt = A, rest 0"
CLASS_A = "design §5: overlmt = max(0, pric − cap) × cnt; allowed = A − overlmt; 甲类 ratio 0"
CLASS_B = "design §5: preselfpay = round(allowed × selfpay_prop); inscp = allowed − preselfpay"
ROUNDING = "design §5: rounding everywhere 2 decimals, ROUND_HALF_UP"
REFUND = "design §5: refunds carry negative cnt; the identity still holds"
AMOUNT = "design §5: A must equal pric × cnt to the cent"

CASES = [
    # ---------------------------------------------------------------- not in the catalogue
    # 12.50 × 2 = 25.00, all self-paid, counted where the hospital says (09 西药费)
    Case(
        "unlisted_item_is_all_self_paid_under_the_hospitals_category",
        NOT_LISTED,
        fee("12.50", "2", "25.00", hospital_type="09"),
        None,
        parts(fulamt="25.00", category="09", level="03"),
    ),
    # 3.20 × 5 = 16.00; the hospital gives no category → 14 其他费
    Case(
        "unlisted_item_without_a_hospital_category_counts_as_14",
        NOT_LISTED,
        fee("3.20", "5", "16.00"),
        None,
        parts(fulamt="16.00", category="14", level="03"),
    ),
    # a blank category is an unset one (design §3: null, "" or absent) → 14
    Case(
        "unlisted_item_with_a_blank_hospital_category_counts_as_14",
        NOT_LISTED,
        fee("3.20", "5", "16.00", hospital_type=""),
        None,
        parts(fulamt="16.00", category="14", level="03"),
    ),
    # ---------------------------------------------------------------- 丙类
    # 150.00 × 2 = 300.00, all self-paid; the catalogue's category (08 卫生材料费)
    Case(
        "class_c_is_all_self_paid",
        CLASS_C,
        fee("150.00", "2", "300.00"),
        listed("03", category="08"),
        parts(fulamt="300.00", category="08", level="03"),
    ),
    # 丙类 above a cap: still all fulamt (no overlmt); the hospital's 14 loses to the catalogue's 08
    Case(
        "class_c_ignores_the_price_cap_and_the_hospitals_category",
        CLASS_C,
        fee("150.00", "2", "300.00", hospital_type="14"),
        listed("03", cap="100.00", category="08"),
        parts(fulamt="300.00", category="08", level="03"),
    ),
    # ---------------------------------------------------------------- 甲类
    # 23.45 × 3 = 70.35, no cap → all in scope
    Case(
        "class_a_without_cap_is_all_in_scope",
        CLASS_A,
        fee("23.45", "3", "70.35"),
        listed("01"),
        parts(inscp="70.35", level="01"),
    ),
    # 120.00 × 3 = 360.00; overlmt = (120.00 − 100.00) × 3 = 60.00; inscp = 360.00 − 60.00 = 300.00
    Case(
        "class_a_price_above_cap_is_over_limit_per_unit",
        CLASS_A,
        fee("120.00", "3", "360.00"),
        listed("01", cap="100.00"),
        parts(overlmt="60.00", inscp="300.00", level="01"),
    ),
    # 100.00 × 2 = 200.00; pric − cap = 0 → overlmt 0.00; inscp 200.00
    Case(
        "class_a_price_equal_to_cap_is_not_over_limit",
        CLASS_A,
        fee("100.00", "2", "200.00"),
        listed("01", cap="100.00"),
        parts(inscp="200.00", level="01"),
    ),
    # 80.00 × 2 = 160.00; max(0, 80 − 100) = 0 → overlmt 0.00 (never negative); inscp 160.00
    Case(
        "class_a_price_below_cap_is_not_over_limit",
        CLASS_A,
        fee("80.00", "2", "160.00"),
        listed("01", cap="100.00"),
        parts(inscp="160.00", level="01"),
    ),
    # selfpay_prop is the 乙类 ratio (catalogue: 0 for 甲类): a stray 0.10 on 甲类 is ignored
    Case(
        "class_a_ignores_a_stray_selfpay_ratio",
        CLASS_A,
        fee("50.00", "1", "50.00"),
        listed("01", ratio="0.10"),
        parts(inscp="50.00", level="01"),
    ),
    # ---------------------------------------------------------------- 乙类, each ratio
    # 100.00 × 0.05 = 5.00; inscp = 100.00 − 5.00 = 95.00
    Case(
        "class_b_ratio_5_percent",
        CLASS_B,
        fee("100.00", "1", "100.00"),
        listed("02", ratio="0.05"),
        parts(preselfpay="5.00", inscp="95.00", level="02", ratio="0.05"),
    ),
    # 37.80 × 2 = 75.60; × 0.10 = 7.56; inscp = 75.60 − 7.56 = 68.04
    Case(
        "class_b_ratio_10_percent",
        CLASS_B,
        fee("37.80", "2", "75.60"),
        listed("02", ratio="0.10"),
        parts(preselfpay="7.56", inscp="68.04", level="02", ratio="0.10"),
    ),
    # 12.34 × 10 = 123.40; × 0.20 = 24.68; inscp = 123.40 − 24.68 = 98.72
    Case(
        "class_b_ratio_20_percent",
        CLASS_B,
        fee("12.34", "10", "123.40"),
        listed("02", ratio="0.20"),
        parts(preselfpay="24.68", inscp="98.72", level="02", ratio="0.20"),
    ),
    # 45.67 × 3 = 137.01; × 0.30 = 41.103 → 41.10; inscp = 137.01 − 41.10 = 95.91
    Case(
        "class_b_ratio_30_percent",
        CLASS_B,
        fee("45.67", "3", "137.01"),
        listed("02", ratio="0.30"),
        parts(preselfpay="41.10", inscp="95.91", level="02", ratio="0.30"),
    ),
    # ratio 0 → preselfpay 0.00; inscp = 10.00
    Case(
        "class_b_ratio_zero_is_all_in_scope",
        CLASS_B,
        fee("10.00", "1", "10.00"),
        listed("02", ratio="0"),
        parts(inscp="10.00", level="02", ratio="0"),
    ),
    # ---------------------------------------------------------------- 乙类 with a cap
    # 250.00 × 2 = 500.00; overlmt = (250 − 200) × 2 = 100.00; allowed = 400.00;
    # preselfpay = 400.00 × 0.10 = 40.00 (not 500.00 × 0.10 = 50.00); inscp = 360.00
    Case(
        "class_b_ratio_applies_to_the_allowed_part_only",
        CLASS_B,
        fee("250.00", "2", "500.00"),
        listed("02", ratio="0.10", cap="200.00"),
        parts(overlmt="100.00", preselfpay="40.00", inscp="360.00", level="02", ratio="0.10"),
    ),
    # 9.99 × 7 = 69.93; overlmt = (9.99 − 8.50) × 7 = 1.49 × 7 = 10.43; allowed = 59.50;
    # preselfpay = 59.50 × 0.30 = 17.85; inscp = 59.50 − 17.85 = 41.65
    Case(
        "class_b_cap_and_30_percent_ratio",
        CLASS_B,
        fee("9.99", "7", "69.93"),
        listed("02", ratio="0.30", cap="8.50"),
        parts(overlmt="10.43", preselfpay="17.85", inscp="41.65", level="02", ratio="0.30"),
    ),
    # ---------------------------------------------------------------- rounding half up
    # 12.25 × 0.10 = 1.225 → 1.23 (half-even would give 1.22); inscp = 12.25 − 1.23 = 11.02
    Case(
        "preselfpay_rounds_a_half_cent_up_at_10_percent",
        ROUNDING,
        fee("12.25", "1", "12.25"),
        listed("02", ratio="0.10"),
        parts(preselfpay="1.23", inscp="11.02", level="02", ratio="0.10"),
    ),
    # 2.03 × 5 = 10.15; × 0.30 = 3.045 → 3.05 (half-even: 3.04); inscp = 10.15 − 3.05 = 7.10
    Case(
        "preselfpay_rounds_a_half_cent_up_at_30_percent",
        ROUNDING,
        fee("2.03", "5", "10.15"),
        listed("02", ratio="0.30"),
        parts(preselfpay="3.05", inscp="7.10", level="02", ratio="0.30"),
    ),
    # 20.50 × 0.05 = 1.025 → 1.03 (half-even: 1.02); inscp = 20.50 − 1.03 = 19.47
    Case(
        "preselfpay_rounds_a_half_cent_up_at_5_percent",
        ROUNDING,
        fee("20.50", "1", "20.50"),
        listed("02", ratio="0.05"),
        parts(preselfpay="1.03", inscp="19.47", level="02", ratio="0.05"),
    ),
    # 12.24 × 0.10 = 1.224 → 1.22 (below half); inscp = 12.24 − 1.22 = 11.02
    Case(
        "preselfpay_rounds_less_than_half_a_cent_down",
        ROUNDING,
        fee("12.24", "1", "12.24"),
        listed("02", ratio="0.10"),
        parts(preselfpay="1.22", inscp="11.02", level="02", ratio="0.10"),
    ),
    # ---------------------------------------------------------------- fractional counts and prices
    # half a tablet: 3.00 × 0.5 = 1.50; × 0.10 = 0.15; inscp = 1.35
    Case(
        "half_a_tablet",
        CLASS_B,
        fee("3.00", "0.5", "1.50"),
        listed("02", ratio="0.10"),
        parts(preselfpay="0.15", inscp="1.35", level="02", ratio="0.10"),
    ),
    # 12.00 × 0.3333 = 3.9996 → 4.00; 甲类 no cap → inscp 4.00
    Case(
        "count_with_four_decimals",
        CLASS_A,
        fee("12.00", "0.3333", "4.00"),
        listed("01"),
        parts(inscp="4.00", level="01"),
    ),
    # A = 12.00 × 0.3333 = 3.9996 → 4.00; overlmt = (12.00 − 10.00) × 0.3333 = 0.6666 → 0.67;
    # inscp = 4.00 − 0.67 = 3.33
    Case(
        "count_with_four_decimals_above_cap_rounds_the_over_limit_part",
        CLASS_A,
        fee("12.00", "0.3333", "4.00"),
        listed("01", cap="10.00"),
        parts(overlmt="0.67", inscp="3.33", level="01"),
    ),
    # 0.1234 × 100 = 12.34; × 0.20 = 2.468 → 2.47; inscp = 12.34 − 2.47 = 9.87
    Case(
        "price_with_four_decimals",
        CLASS_B,
        fee("0.1234", "100", "12.34"),
        listed("02", ratio="0.20"),
        parts(preselfpay="2.47", inscp="9.87", level="02", ratio="0.20"),
    ),
    # A = 1.2345 × 3 = 3.7035 → 3.70; overlmt = 0.2345 × 3 = 0.7035 → 0.70; inscp = 3.00
    Case(
        "price_with_four_decimals_above_cap",
        CLASS_A,
        fee("1.2345", "3", "3.70"),
        listed("01", cap="1.0000"),
        parts(overlmt="0.70", inscp="3.00", level="01"),
    ),
    # A = 2.7183 × 1.4142 = 3.84421986 → 3.84; overlmt = 0.2183 × 1.4142 = 0.30871986 → 0.31;
    # allowed = 3.84 − 0.31 = 3.53; preselfpay = 3.53 × 0.05 = 0.1765 → 0.18; inscp = 3.35
    Case(
        "price_and_count_with_four_decimals_cap_and_ratio",
        CLASS_B,
        fee("2.7183", "1.4142", "3.84"),
        listed("02", ratio="0.05", cap="2.5000"),
        parts(overlmt="0.31", preselfpay="0.18", inscp="3.35", level="02", ratio="0.05"),
    ),
    # ---------------------------------------------------------------- refunds (negative cnt)
    # 12.50 × −2 = −25.00, all self-paid
    Case(
        "refund_of_an_unlisted_item",
        REFUND,
        fee("12.50", "-2", "-25.00", hospital_type="09"),
        None,
        parts(fulamt="-25.00", category="09", level="03"),
    ),
    # 150.00 × −2 = −300.00, all self-paid
    Case(
        "refund_of_a_class_c_item",
        REFUND,
        fee("150.00", "-2", "-300.00"),
        listed("03", category="08"),
        parts(fulamt="-300.00", category="08", level="03"),
    ),
    # 120.00 × −3 = −360.00; overlmt = 20.00 × −3 = −60.00; inscp = −360.00 + 60.00 = −300.00
    Case(
        "refund_of_a_class_a_item_above_cap",
        REFUND,
        fee("120.00", "-3", "-360.00"),
        listed("01", cap="100.00"),
        parts(overlmt="-60.00", inscp="-300.00", level="01"),
    ),
    # 250.00 × −2 = −500.00; overlmt = 50 × −2 = −100.00; allowed = −400.00;
    # preselfpay = −400.00 × 0.10 = −40.00; inscp = −400.00 + 40.00 = −360.00
    Case(
        "refund_of_a_class_b_item_with_cap",
        REFUND,
        fee("250.00", "-2", "-500.00"),
        listed("02", ratio="0.10", cap="200.00"),
        parts(overlmt="-100.00", preselfpay="-40.00", inscp="-360.00", level="02", ratio="0.10"),
    ),
    # −12.25 × 0.10 = −1.225 → −1.23 (the mirror of the charge's 1.23); inscp = −11.02
    Case(
        "refund_rounds_half_away_from_zero_like_its_charge",
        REFUND,
        fee("12.25", "-1", "-12.25"),
        listed("02", ratio="0.10"),
        parts(preselfpay="-1.23", inscp="-11.02", level="02", ratio="0.10"),
    ),
    # A = 12.00 × −0.3333 = −3.9996 → −4.00; overlmt = 2.00 × −0.3333 = −0.6666 → −0.67;
    # inscp = −4.00 + 0.67 = −3.33
    Case(
        "refund_of_a_fractional_count_above_cap",
        REFUND,
        fee("12.00", "-0.3333", "-4.00"),
        listed("01", cap="10.00"),
        parts(overlmt="-0.67", inscp="-3.33", level="01"),
    ),
    # ---------------------------------------------------------------- zero
    # 0.00 × 5 = 0.00; every part 0.00
    Case(
        "zero_price_line",
        CLASS_B,
        fee("0.00", "5", "0.00"),
        listed("02", ratio="0.20"),
        parts(level="02", ratio="0.20"),
    ),
    # 12.00 × 0 = 0.00; overlmt = 2.00 × 0 = 0.00; every part 0.00
    Case(
        "zero_count_line_above_cap",
        CLASS_A,
        fee("12.00", "0", "0.00"),
        listed("01", cap="10.00"),
        parts(level="01"),
    ),
    # 0.0010 × 2 = 0.0020 → 0.00; every part 0.00
    Case(
        "product_below_half_a_cent_is_a_zero_line",
        CLASS_B,
        fee("0.0010", "2", "0.00"),
        listed("02", ratio="0.30"),
        parts(level="02", ratio="0.30"),
    ),
    # ---------------------------------------------------------------- A against pric × cnt
    # 10.00 × 3 = 30.00 ≠ 25.00
    Case(
        "amount_not_price_times_count_is_refused",
        AMOUNT,
        fee("10.00", "3", "25.00"),
        listed("01"),
        REFUSED,
    ),
    # 30.00 ≠ 30.01
    Case(
        "amount_one_cent_over_is_refused",
        AMOUNT,
        fee("10.00", "3", "30.01"),
        listed("01"),
        REFUSED,
    ),
    # 30.00 ≠ 29.99
    Case(
        "amount_one_cent_under_is_refused",
        AMOUNT,
        fee("10.00", "3", "29.99"),
        listed("01"),
        REFUSED,
    ),
    # 3.335 × 3 = 10.005 → 10.01 = A; preselfpay = 10.01 × 0.10 = 1.001 → 1.00; inscp = 9.01
    Case(
        "amount_equal_to_the_product_rounded_half_up_is_accepted",
        AMOUNT,
        fee("3.335", "3", "10.01"),
        listed("02", ratio="0.10"),
        parts(preselfpay="1.00", inscp="9.01", level="02", ratio="0.10"),
    ),
    # 10.005 rounds to 10.01, so a truncated 10.00 is a cent short
    Case(
        "amount_truncated_instead_of_rounded_is_refused",
        AMOUNT,
        fee("3.335", "3", "10.00"),
        listed("02", ratio="0.10"),
        REFUSED,
    ),
    # 10.005 is the exact product but not an amount in cents: never a guess about money
    Case(
        "amount_with_a_third_decimal_is_refused",
        AMOUNT,
        fee("3.335", "3", "10.005"),
        listed("02", ratio="0.10"),
        REFUSED,
    ),
    # "30.000" is 30.00 written with one more zero (design §3: tolerant about form)
    Case(
        "amount_written_with_an_extra_zero_decimal_is_accepted",
        AMOUNT,
        fee("10.00", "3", "30.000"),
        listed("01"),
        parts(inscp="30.00", level="01"),
    ),
    # 10.00 × −3 = −30.00 ≠ 30.00: a refund must carry a negative amount
    Case(
        "refund_with_a_positive_amount_is_refused",
        AMOUNT,
        fee("10.00", "-3", "30.00"),
        listed("01"),
        REFUSED,
    ),
    # the check comes before the catalogue: 10.00 × 3 = 30.00 ≠ 30.10 even for an unlisted item
    Case(
        "unlisted_line_with_a_wrong_amount_is_refused",
        AMOUNT,
        fee("10.00", "3", "30.10", hospital_type="09"),
        None,
        REFUSED,
    ),
]


def test_case_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_split_line(case: Case) -> None:
    if case.expect is None:
        with pytest.raises(LineRefused, match=case.line.feedetl_sn):
            split_line(case.line, case.entry)
        return
    got = split_line(case.line, case.entry)
    want = case.expect
    assert (got.fulamt_ownpay_amt, got.overlmt_amt, got.preselfpay_amt, got.inscp_scp_amt) == (
        want.fulamt,
        want.overlmt,
        want.preselfpay,
        want.inscp,
    )
    assert (got.med_chrgitm_type, got.chrgitm_lv, got.selfpay_prop) == (
        want.category,
        want.level,
        want.ratio,
    )
    # the split carries the line and the catalogue facts it was made from
    assert (got.feedetl_sn, got.det_item_fee_sumamt, got.pric, got.cnt) == (
        case.line.feedetl_sn,
        case.line.det_item_fee_sumamt,
        case.line.pric,
        case.line.cnt,
    )
    assert got.in_catalogue is (case.entry is not None)
    assert got.pric_uplmt_amt == (case.entry.pric_uplmt_amt if case.entry else None)
    assert split_violations(got) == []


# ---------------------------------------------------------------- chrgitm_lv
@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("1", "01"),
        ("2", "02"),
        ("3", "03"),
        ("01", "01"),
        ("02", "02"),
        ("03", "03"),
        (" 02 ", "02"),
    ],
)
def test_normalize_level_accepts_one_or_two_digits(raw: str, level: str) -> None:
    assert normalize_level(raw) == level


@pytest.mark.parametrize("raw", ["04", "", " ", "0", "4", "001", "甲"])
def test_normalize_level_refuses_anything_else(raw: str) -> None:
    with pytest.raises(ValueError, match="chrgitm_lv"):
        normalize_level(raw)


# ---------------------------------------------------------------- split_violations itself
def test_split_violations_reports_parts_that_do_not_add_up() -> None:
    good = split_line(fee("10.00", "1", "10.00"), listed("01"))
    bad = replace(good, inscp_scp_amt=D("9.99"))
    assert len(split_violations(bad)) == 1


def test_split_violations_reports_a_part_with_the_wrong_sign() -> None:
    good = split_line(fee("10.00", "1", "10.00"), listed("01"))
    # 10.00 = 11.00 + (−1.00): balanced, but over-limit is negative on a charge
    bad = replace(good, inscp_scp_amt=D("11.00"), overlmt_amt=D("-1.00"))
    assert split_violations(bad) == [f"{good.feedetl_sn}: a part has the wrong sign"]


# ---------------------------------------------------------------- property
def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _four_places(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Decimals with up to 4 places, from whole ten-thousandths (never floats)."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-4))


PRICES = _four_places(100, 999_990_000)  # 0.01 … 99 999.0000
COUNTS = _four_places(1, 10_000_000)  # 0.0001 … 1 000.0000, sign drawn separately
RATIOS = st.sampled_from([D("0"), D("0.05"), D("0.10"), D("0.15"), D("0.20"), D("0.25"), D("0.30")])
CATEGORIES = st.sampled_from([f"{n:02d}" for n in range(1, 15)])
ENTRIES = st.none() | st.builds(
    CatalogueEntry,
    med_list_codg=st.just("XA01"),
    name=st.just("test item"),
    med_chrgitm_type=CATEGORIES,
    chrgitm_lv=st.sampled_from(["01", "02", "03"]),
    selfpay_prop=RATIOS,
    pric_uplmt_amt=st.none() | PRICES,
)


@st.composite
def fee_lines(draw: st.DrawFn) -> FeeLine:
    pric = draw(PRICES)
    cnt = draw(COUNTS) * draw(st.sampled_from([1, -1]))
    return FeeLine("1", "XA01", pric, cnt, _cents(pric * cnt), draw(st.none() | CATEGORIES))


def _four(s: LineSplit) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt)


@settings(max_examples=300)
@given(line=fee_lines(), entry=ENTRIES)
@example(
    line=FeeLine("1", "XA01", D("99999.0000"), D("-1000.0000"), D("-99999000.00")),
    entry=listed("02", ratio="0.30", cap="0.0100"),
)
@example(
    line=FeeLine("1", "XA01", D("0.0100"), D("0.0001"), D("0.00")),
    entry=listed("02", ratio="0.05", cap="0.0100"),
)
def test_every_split_balances_and_keeps_the_sign_of_its_amount(
    line: FeeLine, entry: CatalogueEntry | None
) -> None:
    s = split_line(line, entry)
    amount = line.det_item_fee_sumamt
    assert split_violations(s) == []
    assert sum(_four(s)) == amount
    for part in _four(s):
        if amount > 0:
            assert part >= 0
        elif amount < 0:
            assert part <= 0
        else:
            assert part == 0


@settings(max_examples=300)
@given(line=fee_lines(), entry=ENTRIES)
def test_every_split_follows_the_design_formula(
    line: FeeLine, entry: CatalogueEntry | None
) -> None:
    s = split_line(line, entry)
    amount = line.det_item_fee_sumamt
    if entry is None or entry.chrgitm_lv == "03":
        assert _four(s) == (amount, ZERO, ZERO, ZERO)
        return
    cap = entry.pric_uplmt_amt
    over = _cents(max(ZERO, line.pric - cap) * line.cnt) if cap is not None else ZERO
    ratio = entry.selfpay_prop if entry.chrgitm_lv == "02" else ZERO
    pre = _cents((amount - over) * ratio)
    assert _four(s) == (ZERO, over, pre, amount - over - pre)


@settings(max_examples=300)
@given(line=fee_lines(), entry=ENTRIES)
def test_a_refund_is_the_exact_mirror_of_its_charge(
    line: FeeLine, entry: CatalogueEntry | None
) -> None:
    refund = FeeLine(
        line.feedetl_sn, line.med_list_codg, line.pric, -line.cnt, -line.det_item_fee_sumamt
    )
    charge_parts = _four(split_line(line, entry))
    assert _four(split_line(refund, entry)) == tuple(-p for p in charge_parts)
