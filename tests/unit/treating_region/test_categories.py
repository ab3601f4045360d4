"""The 14 fee categories of an inpatient settlement (design §5): sums by category and in total.

The hand example's expected sums are worked out in the comments; the properties restate the
design's identities and group the lines independently of ``by_category``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.treating_region.domain.catalogue import CatalogueEntry
from services.treating_region.domain.categories import CategoryTotal, by_category, totals_of
from services.treating_region.domain.split import FeeLine, LineSplit, split_line

D = Decimal
ZERO = D("0.00")
ALL_CODES = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14")


def listed(
    level: str, *, ratio: str = "0", cap: str | None = None, category: str = "09"
) -> CatalogueEntry:
    return CatalogueEntry(
        "XA01", "test item", category, level, D(ratio), None if cap is None else D(cap)
    )


def fee(sn: str, pric: str, cnt: str, amount: str, hospital_type: str | None = None) -> FeeLine:
    return FeeLine(sn, "XA01", D(pric), D(cnt), D(amount), hospital_type)


def _amounts(t: CategoryTotal) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    return (
        t.det_item_fee_sumamt,
        t.fulamt_ownpay_amt,
        t.overlmt_amt,
        t.preselfpay_amt,
        t.inscp_scp_amt,
    )


def test_no_lines_still_give_all_14_categories_in_order() -> None:
    result = by_category([])
    assert tuple(t.med_chrgitm_type for t in result) == ALL_CODES
    assert all(_amounts(t) == (ZERO,) * 5 for t in result)


def test_a_hand_worked_stay() -> None:
    lines = [
        # 09, 乙类 0.10: 37.80 × 2 = 75.60; pre 7.56; inscp 68.04
        split_line(fee("1", "37.80", "2", "75.60"), listed("02", ratio="0.10")),
        # 09, 甲类 cap 100: 120.00 × 3 = 360.00; over 60.00; inscp 300.00
        split_line(fee("2", "120.00", "3", "360.00"), listed("01", cap="100.00")),
        # unlisted, the hospital says 03: fulamt 85.00
        split_line(fee("3", "85.00", "1", "85.00", "03"), None),
        # 09, one unit of line 2 refunded: −120.00; over −20.00; inscp −100.00
        split_line(fee("4", "120.00", "-1", "-120.00"), listed("01", cap="100.00")),
    ]
    result = {t.med_chrgitm_type: t for t in by_category(lines)}
    # 09: det 75.60 + 360.00 − 120.00 = 315.60; over 60.00 − 20.00 = 40.00; pre 7.56;
    #     inscp 68.04 + 300.00 − 100.00 = 268.04   (40.00 + 7.56 + 268.04 = 315.60)
    assert _amounts(result["09"]) == (D("315.60"), ZERO, D("40.00"), D("7.56"), D("268.04"))
    assert _amounts(result["03"]) == (D("85.00"), D("85.00"), ZERO, ZERO, ZERO)
    for code in set(ALL_CODES) - {"03", "09"}:
        assert _amounts(result[code]) == (ZERO,) * 5
    # totals: 315.60 + 85.00 = 400.60; fulamt 85.00; over 40.00; pre 7.56; inscp 268.04
    t = totals_of(lines)
    assert (t.medfee_sumamt, t.fulamt_ownpay_amt, t.overlmt_selfpay) == (
        D("400.60"),
        D("85.00"),
        D("40.00"),
    )
    assert (t.preselfpay_amt, t.inscp_scp_amt) == (D("7.56"), D("268.04"))


def test_a_line_and_its_full_refund_net_to_zero_in_their_category() -> None:
    entry = listed("02", ratio="0.10", cap="200.00", category="06")
    charge = split_line(fee("1", "250.00", "2", "500.00"), entry)
    refund = split_line(fee("2", "250.00", "-2", "-500.00"), entry)
    result = {t.med_chrgitm_type: t for t in by_category([charge, refund])}
    assert all(_amounts(t) == (ZERO,) * 5 for t in result.values())


# ---------------------------------------------------------------- properties
def _four_places(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-4))


CATEGORIES = st.sampled_from(ALL_CODES)
ENTRIES = st.none() | st.builds(
    CatalogueEntry,
    med_list_codg=st.just("XA01"),
    name=st.just("test item"),
    med_chrgitm_type=CATEGORIES,
    chrgitm_lv=st.sampled_from(["01", "02", "03"]),
    selfpay_prop=st.sampled_from([D("0"), D("0.05"), D("0.10"), D("0.20"), D("0.30")]),
    pric_uplmt_amt=st.none() | _four_places(100, 999_990_000),
)


@st.composite
def splits(draw: st.DrawFn) -> LineSplit:
    pric = draw(_four_places(100, 999_990_000))
    cnt = draw(_four_places(1, 10_000_000)) * draw(st.sampled_from([1, -1]))
    amount = (pric * cnt).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    hospital_type = draw(st.none() | st.just("") | CATEGORIES)
    return split_line(FeeLine("1", "XA01", pric, cnt, amount, hospital_type), draw(ENTRIES))


def _sum(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO)


@settings(max_examples=200)
@given(lines=st.lists(splits(), max_size=30))
def test_categories_add_up_to_the_totals(lines: list[LineSplit]) -> None:
    result = by_category(lines)
    assert tuple(t.med_chrgitm_type for t in result) == ALL_CODES
    t = totals_of(lines)
    # the totals are the plain sums of the lines …
    assert (
        t.medfee_sumamt,
        t.fulamt_ownpay_amt,
        t.overlmt_selfpay,
        t.preselfpay_amt,
        t.inscp_scp_amt,
    ) == (
        _sum([x.det_item_fee_sumamt for x in lines]),
        _sum([x.fulamt_ownpay_amt for x in lines]),
        _sum([x.overlmt_amt for x in lines]),
        _sum([x.preselfpay_amt for x in lines]),
        _sum([x.inscp_scp_amt for x in lines]),
    )
    # … and so are the categories, summed over all 14
    assert tuple(_sum([_amounts(c)[k] for c in result]) for k in range(5)) == (
        t.medfee_sumamt,
        t.fulamt_ownpay_amt,
        t.overlmt_selfpay,
        t.preselfpay_amt,
        t.inscp_scp_amt,
    )
    for c in result:
        assert c.fulamt_ownpay_amt + c.overlmt_amt + c.preselfpay_amt + c.inscp_scp_amt == (
            c.det_item_fee_sumamt
        )
        members = [x for x in lines if x.med_chrgitm_type == c.med_chrgitm_type]
        assert c.det_item_fee_sumamt == _sum([x.det_item_fee_sumamt for x in members])
        assert c.inscp_scp_amt == _sum([x.inscp_scp_amt for x in members])


@settings(max_examples=200)
@given(lines=st.lists(splits(), min_size=1, max_size=20))
def test_full_refunds_net_every_category_to_zero(lines: list[LineSplit]) -> None:
    refunds = [
        split_line(
            FeeLine("r", "XA01", x.pric, -x.cnt, -x.det_item_fee_sumamt, x.med_chrgitm_type),
            _entry_of(x),
        )
        for x in lines
    ]
    for c in by_category(lines + refunds):
        assert _amounts(c) == (ZERO,) * 5
    t = totals_of(lines + refunds)
    assert (t.medfee_sumamt, t.fulamt_ownpay_amt, t.overlmt_selfpay) == (ZERO, ZERO, ZERO)
    assert (t.preselfpay_amt, t.inscp_scp_amt) == (ZERO, ZERO)


def _entry_of(s: LineSplit) -> CatalogueEntry | None:
    """The catalogue row a split was made from (it carries everything the split reads)."""
    if not s.in_catalogue:
        return None
    return CatalogueEntry(
        "XA01", "test item", s.med_chrgitm_type, s.chrgitm_lv, s.selfpay_prop, s.pric_uplmt_amt
    )
