"""Cost monitoring's indicators and warnings (seed 003 第五十九条), as a table of cases."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from services.treating_region.domain import monitoring as m

D = Decimal


def figures(visits: int, medfee: str, fund: str = "0", drugs: str = "0", materials: str = "0",
            exams: str = "0") -> m.Figures:  # fmt: skip
    return m.Figures(visits, D(medfee), D(fund), D(drugs), D(materials), D(exams))


KEY = ("H1", "650100", "110000")


def test_indicators_of_a_month() -> None:
    f = figures(4, "1000.00", "700.00", "300.00", "100.00", "200.00")
    assert f.avg_cost == D("250.00")
    assert f.fund_ratio == D("0.7000")
    assert f.three_fees_share == D("0.6000")
    assert f.per_visit(f.drugs) == D("75.00")
    assert m.growth(D("300"), D("250")) == D("0.2000")
    assert m.growth(D("300"), D("0")) is None


def test_rows_roll_up_per_institution_and_per_region_pair() -> None:
    now = {KEY: figures(2, "200"), ("H2", "650100", "110000"): figures(3, "300")}
    rows = m.rows(now, {KEY: figures(1, "50")})
    by = {(r.subject.scope, r.subject.key): r for r in rows}
    assert by[("pair", "650100→110000")].now == figures(5, "500")
    assert by[("institution", "H1")].before == figures(1, "50")
    assert by[("institution", "H2")].before == m.NONE


LIMITS = m.Thresholds(min_visits=2)


@pytest.mark.parametrize(
    ("now", "before", "indicators"),
    [
        # a cost jump of 50 % per visit: the average cost warns, and so does each fee that grew
        (figures(2, "3000", "1500", "600"), figures(2, "2000", "1000", "400"),
         {"avg_cost", "drugs"}),
        # 20 % is the threshold itself: no warning
        (figures(2, "2400", "1200"), figures(2, "2000", "1000"), set()),
        # the funds paid 95 %, and the three fees are 80 % of the bill
        (figures(2, "1000", "950", "400", "200", "200"), figures(0, "0"),
         {"fund_ratio", "three_fees_share"}),
        # too few visits this month to judge anything
        (figures(1, "9000", "8900"), figures(2, "100"), set()),
        # too few visits last month to judge a growth
        (figures(2, "9000"), figures(1, "100"), set()),
    ],
)  # fmt: skip
def test_warnings(now: m.Figures, before: m.Figures, indicators: set[str]) -> None:
    rows = [r for r in m.rows({KEY: now}, {KEY: before}) if r.subject.scope == "institution"]
    found = m.warnings(rows, LIMITS)
    assert {w.indicator for w in found} == indicators
    for w in found:
        assert w.value > w.threshold
        assert "超过预警值" in w.message


def test_a_pharmacys_three_fees_share_is_not_judged() -> None:
    drugs_only = figures(3, "900", "300", "900")
    rows = [r for r in m.rows({KEY: drugs_only}, {}) if r.subject.scope == "institution"]
    assert {w.indicator for w in m.warnings(rows, LIMITS)} == {"three_fees_share"}
    assert m.warnings(rows, LIMITS, frozenset({"H1"})) == []


def test_thresholds_are_data(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"min_visits": 3, "avg_cost_growth": "0.1"}), encoding="utf-8")
    found = m.load_thresholds(path)
    assert (found.min_visits, found.avg_cost_growth) == (3, D("0.1"))
    assert found.fund_ratio == m.Thresholds().fund_ratio
    path.write_text(json.dumps({"avg_cost_growht": "0.1"}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown"):
        m.load_thresholds(path)
    assert m.load_thresholds() == m.Thresholds()  # the shipped file holds the defaults
