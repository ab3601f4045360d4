"""sim.report: exact counts and Decimal money, nearest-rank latency, text digest, HTML, files."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sim.report import (
    LATENCY_CAP,
    CareOutcome,
    RunInfo,
    render_html,
    render_text,
    summarize,
    write_reports,
)

RUN = RunInfo(
    seed=7,
    cares=6,
    duration_s=2.0,
    concurrency=4,
    target_rate=None,
    started="2025-03-01T09:00:00+08:00",
)
BEIJING, BAOTOU, REGION_LEVEL, URUMQI = "110000", "150200", "159900", "650100"


def setl(medfee: str, hifp: str, cash: str, **others: str) -> dict[str, str]:
    """A setlinfo with the amounts the report reads (others default to 0.00)."""
    info = {
        "medfee_sumamt": medfee,
        "hifp_pay": hifp,
        "hifob_pay": "0.00",
        "hifmi_pay": "0.00",
        "cvlserv_pay": "0.00",
        "maf_pay": "0.00",
        "acct_pay": "0.00",
        "psn_cash_pay": cash,
        "fund_pay_sumamt": hifp,
    }
    info.update(others)
    return info


def care(**changes: Any) -> CareOutcome:
    base = CareOutcome(
        kind="inpatient",
        case="long_term",
        insured=REGION_LEVEL,
        treating=BEIJING,
        route="cross",
        outcome="settled",
        err_code=None,
        latency_ms=10.0,
        calls=6,
        lines=20,
        setlinfo=setl("100.00", "60.00", "40.00"),
        violations=(),
        finished_at=1.0,
    )
    return dataclasses.replace(base, **changes)


def refused(code: str, **changes: Any) -> CareOutcome:
    return care(outcome="refused", err_code=code, setlinfo=None, **changes)


@pytest.fixture
def outcomes() -> list[CareOutcome]:
    return [
        care(
            setlinfo=setl("1000.10", "700.07", "200.03", acct_pay="100.00"),
            latency_ms=12.0,
            lines=30,
        ),
        care(
            kind="outpatient",
            case="intra_no_filing",
            insured=BAOTOU,
            treating=REGION_LEVEL,
            route="intra",
            setlinfo=setl("234.46", "100.23", "134.23"),
            latency_ms=8.0,
            lines=4,
        ),
        care(
            kind="chronic",
            case="referral",
            setlinfo=setl("0.10", "0.10", "0.00", hifmi_pay="0.00", maf_pay="0.00"),
            latency_ms=30.0,
            lines=2,
        ),
        refused("E2001", kind="inpatient", case="emergency_no_filing", lines=0, latency_ms=5.0),
        refused("E2001", kind="pharmacy", case="other_temporary", route="intra", lines=1),
        care(outcome="error", err_code="E9001", setlinfo=None, kind="inpatient", lines=10),
    ]


def test_counts_by_outcome_route_kind_and_case(outcomes: list[CareOutcome]) -> None:
    s = summarize(outcomes, RUN)["settlements"]
    assert s["by_outcome"] == {"settled": 3, "refused": 2, "error": 1, "unknown": 0}
    assert list(s["by_route"]) == ["intra", "cross"]
    assert s["by_route"]["intra"] == {"settled": 1, "refused": 1, "error": 0, "unknown": 0}
    assert s["by_route"]["cross"] == {"settled": 2, "refused": 1, "error": 1, "unknown": 0}
    assert list(s["by_kind"]) == ["inpatient", "outpatient", "chronic", "pharmacy"]
    assert s["by_kind"]["inpatient"] == {"settled": 1, "refused": 1, "error": 1, "unknown": 0}
    assert s["by_case"]["long_term"]["settled"] == 1
    assert s["by_case"]["long_term"]["error"] == 1
    assert s["by_case"]["emergency_no_filing"]["refused"] == 1


def test_an_unexpected_outcome_is_counted_not_dropped() -> None:
    s = summarize([care(outcome="timeout", setlinfo=None)], RUN)["settlements"]
    assert s["by_outcome"] == {"settled": 0, "refused": 0, "error": 0, "unknown": 0, "timeout": 1}


def test_errors_by_code_most_frequent_first(outcomes: list[CareOutcome]) -> None:
    errors = summarize(outcomes, RUN)["errors_by_code"]
    assert errors == {"E2001": 2, "E9001": 1}
    assert list(errors) == ["E2001", "E9001"]


def test_money_is_summed_exactly_over_settled_breakdowns(outcomes: list[CareOutcome]) -> None:
    money = summarize(outcomes, RUN)["money_by_fund"]
    assert money == {
        "medfee": "1234.66",
        "hifp": "800.40",
        "hifob": "0.00",
        "hifmi": "0.00",
        "cvlserv": "0.00",
        "maf": "0.00",
        "account": "100.00",
        "cash": "334.26",
    }


def test_money_has_no_float_drift() -> None:
    cares = [care(setlinfo=setl("0.10", "0.10", "0.00")) for _ in range(3)]
    cares.append(care(setlinfo=setl("0.20", "0.20", "0.00")))
    assert summarize(cares, RUN)["money_by_fund"]["medfee"] == "0.50"


def test_an_unreadable_amount_is_refused_with_context() -> None:
    with pytest.raises(ValueError, match=r"setlinfo\.hifp_pay"):
        summarize([care(setlinfo=setl("1.00", "1,00", "0.00"))], RUN)


def test_nearest_rank_percentiles_on_1_to_100() -> None:
    cares = [care(latency_ms=float(v)) for v in range(100, 0, -1)]
    latency = summarize(cares, RUN)["latency_ms"]
    assert latency == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0, "mean": 50.5}


def test_latency_is_over_settled_cares_only(outcomes: list[CareOutcome]) -> None:
    summary = summarize(outcomes, RUN)
    assert summary["latency_ms"]["max"] == 30.0
    assert summary["latencies_ms"] == [12.0, 8.0, 30.0]


def test_latency_without_settlements_is_none() -> None:
    summary = summarize([refused("E2001")], RUN)
    assert summary["latency_ms"] == dict.fromkeys(("p50", "p95", "p99", "max", "mean"))
    assert summary["latencies_ms"] == []


def test_raw_latencies_are_rounded_and_capped() -> None:
    cares = [care(latency_ms=1.04)] * (LATENCY_CAP + 5)
    latencies = summarize(cares, RUN)["latencies_ms"]
    assert len(latencies) == LATENCY_CAP
    assert latencies[0] == 1.0


def test_violations_are_counted_per_breakdown() -> None:
    cares = [
        care(violations=("fund_pay_sumamt ≠ Σ funds", "psn_part ≠ acct_pay + psn_cash_pay")),
        care(violations=("Σ setldetail ≠ fund_pay_sumamt",)),
        care(),
        refused("E2001"),
    ]
    identities = summarize(cares, RUN)["identities"]
    assert identities["checked"] == 3
    assert identities["violations"] == 2
    assert len(identities["examples"]) == 3
    assert identities["examples"][0].endswith("fund_pay_sumamt ≠ Σ funds")
    assert "159900→110000" in identities["examples"][0]


def test_violation_examples_are_capped_at_five() -> None:
    cares = [care(violations=(f"problem {i}",)) for i in range(8)]
    identities = summarize(cares, RUN)["identities"]
    assert identities["violations"] == 8
    assert len(identities["examples"]) == 5


def test_throughput_counts_finished_cares_and_settlements(outcomes: list[CareOutcome]) -> None:
    assert summarize(outcomes, RUN)["throughput"] == {"cares_per_s": 3.0, "settlements_per_s": 1.5}
    zero = dataclasses.replace(RUN, duration_s=0.0)
    assert summarize(outcomes, zero)["throughput"] == {
        "cares_per_s": None,
        "settlements_per_s": None,
    }


def test_flows_per_region_pair_sorted_by_medfee(outcomes: list[CareOutcome]) -> None:
    flows = summarize(outcomes, RUN)["flows"]
    assert flows == [
        {
            "insured": REGION_LEVEL,
            "treating": BEIJING,
            "route": "cross",
            "settled": 2,
            "medfee": "1000.20",
        },
        {
            "insured": BAOTOU,
            "treating": REGION_LEVEL,
            "route": "intra",
            "settled": 1,
            "medfee": "234.46",
        },
    ]


def test_flows_tie_on_medfee_by_settled_then_codes() -> None:
    cares = [
        care(insured=URUMQI, setlinfo=setl("5.00", "5.00", "0.00")),
        care(insured=BAOTOU, setlinfo=setl("5.00", "5.00", "0.00")),
        care(insured=BEIJING, treating=URUMQI, outcome="refused", setlinfo=None),
    ]
    flows = summarize(cares, RUN)["flows"]
    assert [(f["insured"], f["medfee"]) for f in flows] == [
        (BAOTOU, "5.00"),
        (URUMQI, "5.00"),
        (BEIJING, "0.00"),
    ]


def test_inpatient_lines_and_mix(outcomes: list[CareOutcome]) -> None:
    summary = summarize(outcomes, RUN)
    assert summary["lines"] == {"inpatient_mean": 20.0, "inpatient_max": 30}
    assert summary["mix"] == {
        "inpatient": 0.5,
        "outpatient": 0.167,
        "chronic": 0.167,
        "pharmacy": 0.167,
    }


def test_an_empty_run_summarises() -> None:
    summary = summarize([], RUN)
    assert summary["mix"] == {}
    assert summary["flows"] == []
    assert summary["money_by_fund"]["medfee"] == "0.00"
    assert summary["lines"] == {"inpatient_mean": None, "inpatient_max": None}
    assert "no settled cares" in render_text(summary)
    assert render_html(summary).count("<svg") == 3


def test_run_info_is_carried(outcomes: list[CareOutcome]) -> None:
    assert summarize(outcomes, RUN)["run"] == {
        "seed": 7,
        "cares": 6,
        "duration_s": 2.0,
        "concurrency": 4,
        "target_rate": None,
        "started": "2025-03-01T09:00:00+08:00",
    }


def test_text_has_the_key_lines(outcomes: list[CareOutcome]) -> None:
    text = render_text(summarize(outcomes, RUN))
    lines = text.splitlines()
    assert len(lines) <= 30
    assert lines[0].startswith("relay-sim run · seed 7 · 6 cares · 2.0 s")
    assert re.search(r"^  all\s+3\s+2\s+1\s+0\s+6$", text, re.M)
    assert re.search(r"^  intra\s+1\s+1\s+0\s+0\s+2$", text, re.M)
    assert re.search(r"^  cross\s+2\s+1\s+1\s+0\s+4$", text, re.M)
    assert "E2001 ×2" in text
    assert "E9001 ×1" in text
    assert re.search(r"medfee\s+1,234\.66", text)
    assert re.search(r"cash\s+334\.26", text)
    assert "identities checked on 3 breakdowns: 0 violations" in text
    assert "p50 12.0  p95 30.0  p99 30.0  max 30.0" in text
    assert "3.0 cares/s   1.5 settlements/s" in text
    assert "inpatient 50.0%" in text
    assert "内蒙古自治区区本级 → 北京市" in text


def test_text_makes_violations_stand_out() -> None:
    cares = [care(violations=("fund_pay_sumamt ≠ Σ funds",)), care()]
    text = render_text(summarize(cares, RUN))
    assert "!! identities checked on 2 breakdowns: 1 VIOLATION !!" in text
    assert "fund_pay_sumamt ≠ Σ funds" in text


def test_text_aligns_cjk_region_names() -> None:
    cares = [
        care(insured=REGION_LEVEL, treating=BEIJING, setlinfo=setl("9.00", "9.00", "0.00")),
        care(insured="999999", treating="888888", setlinfo=setl("1.00", "1.00", "0.00")),
    ]
    text = render_text(summarize(cares, RUN))
    rows = [line for line in text.splitlines() if "→" in line and "insured" not in line]
    assert len(rows) == 2
    assert "999999 → 888888" in rows[1]
    # the route column starts at the same display column whatever the names' width
    wide = rows[0].index("cross") + sum(1 for c in rows[0] if "\u4e00" <= c <= "\u9fff")
    assert wide == rows[1].index("cross")


def test_html_has_three_charts_and_no_external_resources(outcomes: list[CareOutcome]) -> None:
    page = render_html(summarize(outcomes, RUN))
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert page.count("<svg") == 3
    assert "<script" not in page
    assert "src=" not in page
    assert "href=" not in page
    assert "@import" not in page
    assert "内蒙古自治区区本级" in page
    assert "1,234.66" in page


def test_html_escapes_injected_text(outcomes: list[CareOutcome]) -> None:
    evil = refused("<script>alert(1)</script>", case='x"><b>')
    page = render_html(summarize([*outcomes, evil], RUN))
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page


def test_html_shows_violations(outcomes: list[CareOutcome]) -> None:
    page = render_html(summarize([*outcomes, care(violations=("a < b",))], RUN))
    assert 'class="bad"' in page
    assert "a &lt; b" in page


def test_write_reports_round_trips(outcomes: list[CareOutcome], tmp_path: Path) -> None:
    summary = summarize(outcomes, RUN)
    target = tmp_path / "out" / "run-7"
    json_path, html_path = write_reports(summary, target)
    assert (json_path, html_path) == (target / "report.json", target / "report.html")
    text = json_path.read_text(encoding="utf-8")
    assert json.loads(text) == summary
    assert "内蒙古" not in text  # codes, not names, in the data
    assert html_path.read_text(encoding="utf-8") == render_html(summary)


def test_json_keeps_non_ascii_readable(tmp_path: Path) -> None:
    summary = summarize([care(violations=("fund_pay_sumamt ≠ Σ funds",))], RUN)
    json_path, _ = write_reports(summary, tmp_path)
    text = json_path.read_text(encoding="utf-8")
    assert "≠ Σ funds" in text
    assert json.loads(text) == summary


def test_medical_assistance_is_reported_as_a_fund() -> None:
    """maf_pay (610100) is summed and printed like every other fund (issue 12, item 17)."""
    aided = care(
        setlinfo=setl("1000.00", "600.00", "100.00", maf_pay="300.00", fund_pay_sumamt="900.00")
    )
    summary = summarize([aided, care()], RUN)
    assert summary["money_by_fund"]["maf"] == "300.00"
    assert re.search(r"maf\s+300\.00", render_text(summary))
    assert "医疗救助" in render_html(summary)
