"""setlinfo_violations: the §7 identities on a breakdown as it travels (strings on the wire)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.settlement import setlinfo_violations

BALANCED: dict[str, Any] = {
    "medfee_sumamt": "1000.00", "fulamt_ownpay_amt": "100.00", "overlmt_selfpay": "50.00",
    "preselfpay_amt": "50.00", "inscp_scp_amt": "800.00", "hifp_pay": "500.00",
    "hifob_pay": "0.00", "hifmi_pay": "0.00", "cvlserv_pay": "100.00", "maf_pay": "0.00",
    "oth_pay": "0.00", "fund_pay_sumamt": "600.00", "psn_part_amt": "400.00",
    "acct_pay": "150.00", "psn_cash_pay": "250.00",
}  # fmt: skip
DETAILS = [{"fund_payamt": "500.00"}, {"fund_payamt": "100.00"}]


def test_a_balanced_breakdown_has_no_violations() -> None:
    assert setlinfo_violations(BALANCED, DETAILS) == []


@pytest.mark.parametrize(
    ("change", "details", "broken"),
    [
        ({"medfee_sumamt": "1000.01"}, DETAILS, "medfee"),
        ({"hifp_pay": "500.01"}, DETAILS, "fund_pay_sumamt ≠ Σ funds"),
        ({"psn_part_amt": "399.99"}, DETAILS, "psn_part ≠ medfee"),
        ({"acct_pay": "150.01"}, DETAILS, "acct_pay + psn_cash_pay"),
        ({}, [{"fund_payamt": "600.01"}], "setldetail"),
        ({"cvlserv_pay": "100.001", "hifp_pay": "499.999"}, DETAILS, "whole cents"),
    ],
    ids=["parts", "funds", "psn_part", "account_and_cash", "details", "cents"],
)
def test_each_broken_identity_is_named(
    change: dict[str, str], details: list[dict[str, str]], broken: str
) -> None:
    problems = setlinfo_violations({**BALANCED, **change}, details)
    assert any(broken in p for p in problems), problems


def test_an_unreadable_breakdown_is_reported_not_raised() -> None:
    assert setlinfo_violations({"medfee_sumamt": "x"}, [])[0].startswith("unreadable")
