"""relay-sim's days and its books report: how cares spread over days, and what the report says."""

from __future__ import annotations

import pytest

from sim.__main__ import split
from sim.books import render, render_html


@pytest.mark.parametrize(
    ("total", "days", "shares"),
    [(10, 3, [4, 3, 3]), (2, 5, [1, 1, 0, 0, 0]), (59, 59, [1] * 59), (0, 2, [0, 0])],
)
def test_cares_spread_over_days_as_evenly_as_whole_cares_go(
    total: int, days: int, shares: list[int]
) -> None:
    assert split(total, days) == shares
    assert sum(split(total, days)) == total


def test_the_report_says_who_pays_whom_the_gauges_the_warnings_and_the_days() -> None:
    line = {
        "payer": "650000",
        "payee": "110000",
        "route": "cross",
        "mark": "*",
        "entries": 1,
        "amount": "-70.00",
    }
    books = {
        "clearing": [
            {
                "month": "202602",
                "entries": 1,
                "total": "-70.00",
                "lines": [line],
                "notices": [
                    {"party": "110000", "net": "-70.00"},
                    {"party": "650000", "net": "70.00"},
                ],
            }
        ],
        "prepayment": {
            "gauges": [
                {"province": "650000", "ratio": "0.9500", "quota": "1000.00", "level": "red"}
            ],
            "events": [
                {
                    "province": "650000",
                    "level": "red",
                    "ratio": "0.9500",
                    "topup_requested": True,
                    "raised_at": "2026-02-19T16:30:00+00:00",
                }
            ],
        },
        "overview": {"warnings": ["202512 的费用超过两个月未清算（最迟 2026-02-28）"]},
        "days": [
            {"balanced": True, "breaks": []},
            {"balanced": False, "breaks": [{"category": "outcome_unknown"}]},
        ],
    }
    text = render(books)
    assert "* 新疆维吾尔自治区 → 北京市 (cross):    1 entries         -70.00" in text
    assert "新疆维吾尔自治区:   95.0 % of 1,000.00 — red" in text
    # the warning's day is China's: 16:30 UTC on the 19th is the 20th in China
    assert "2026-02-20 新疆维吾尔自治区: red at 95.0 %, emergency top-up requested" in text
    assert "1 of 2 days balanced" in text
    assert "'outcome_unknown': 1" in text
    assert "clearing warning: 202512" in text


def test_the_page_draws_the_matrix_the_gauges_over_time_and_the_days() -> None:
    books = {
        "clearing": [
            {
                "month": "202601",
                "entries": 2,
                "total": "30.00",
                "lines": [
                    {"payer": "650000", "payee": "110000", "amount": "20.00"},
                    {"payer": "120000", "payee": "110000", "amount": "10.00"},
                ],
                "notices": [{"party": "110000", "net": "30.00"}],
            }
        ],
        "prepayment": {
            "events": [],
            "history": [
                {"province": "650000", "day": "2026-01-01", "ratio": "0.5000"},
                {"province": "650000", "day": "2026-01-02", "ratio": "0.9500"},
            ],
        },
        "days": [{"day": "2026-01-01", "balanced": True, "breaks": [], "pairs": []}],
    }
    page = render_html(books)
    assert page.count("<polyline") == 1  # one province, one line over its days
    assert "<th>新疆维吾尔自治区</th>" in page
    assert ">20.00</td>" in page
    assert "1 of 1 days balanced" in page
