"""Region policy files: every shipped file loads, and the loader refuses what 22号文 forbids."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from services.insured_region.adapters.policy_loader import (
    POLICY_DIR,
    PolicyError,
    load_policies,
    parse_policy,
)
from services.insured_region.domain.policy import PsnClass, RegionPolicy
from shared.regions import POOLS

SHIPPED = sorted(POLICY_DIR.glob("*.toml"))
URUMQI = POLICY_DIR / "650100_urumqi.toml"
URUMQI_TEXT = URUMQI.read_text(encoding="utf-8")
ORIGIN = URUMQI.name

# "seed NNN" names a policy document (000–004, defined in docs/policy-sources.md); "lead B / B−/C /
# C" names a row of the team's policy-leads.md table (plausible, not official; see the same file);
# "illustrative" says that no document gives the number.
SOURCE_FORM = re.compile(r"illustrative\b.*|seed 00[0-4] .+|lead (B|B−/C|C)\b.*policy-leads\.md .+")
NATIONAL_CHRONIC_CODES = {"M03900", "M01600", "M00500", "M07800", "M08300"}
ASSISTANCE_IDENTITIES = {"2301": "特困人员", "2302": "低保对象"}
CHRONIC_M03900 = (
    "employee_active = 0.80\nemployee_retired = 0.85\nresident = 0.60\nannual_cap = 3000"
)
CIVIL_SERVANT = '[civil_servant]\nsource = "illustrative"\nratio = 0.50'
SOURCED_TABLES = {
    "inpatient.deductible",
    "inpatient.ratio",
    "inpatient.annual_cap",
    "outpatient.deductible",
    "outpatient.ratio",
    "outpatient.annual_cap",
    "reduction_pp",
    "large_amount",
    "critical_illness",
    "civil_servant",
    "filing",
}


def _parse(path: Path) -> RegionPolicy:
    return parse_policy(path.read_text(encoding="utf-8"), path.name)


def _variant(old: str, new: str, text: str = URUMQI_TEXT) -> str:
    """The 乌鲁木齐 file with one exact piece of text, found once and only once, replaced."""
    assert text.count(old) == 1, f"{old!r} is not unique in {ORIGIN}"
    return text.replace(old, new)


def _line_after(header: str) -> str:
    """The line after a table header of the 乌鲁木齐 file, with its newline."""
    lines = URUMQI_TEXT.splitlines(keepends=True)
    return next(after for line, after in pairwise(lines) if line.startswith(header))


def _amounts(policy: RegionPolicy) -> Iterator[tuple[str, Decimal]]:
    for pool_name, pool in (("inpatient", policy.inpatient), ("outpatient", policy.outpatient)):
        for psn_class, levels in pool.deductible.items():
            for level, amount in enumerate(levels, 1):
                yield f"{pool_name}.deductible.{psn_class}.{level}", amount
        for psn_class, cap in pool.annual_cap.items():
            yield f"{pool_name}.annual_cap.{psn_class}", cap
    yield "large_amount.annual_cap", policy.large_amount.annual_cap
    yield "critical_illness.threshold", policy.critical_illness.threshold
    yield "critical_illness.annual_cap", policy.critical_illness.annual_cap
    for i, segment in enumerate(policy.critical_illness.segments):
        if segment.upto is not None:
            yield f"critical_illness.segments.{i}.upto", segment.upto
    for identity, assistance in policy.assistance.items():
        yield f"assistance.{identity}.annual_cap", assistance.annual_cap
    for code, disease in policy.chronic.items():
        yield f"chronic.{code}.annual_cap", disease.annual_cap


def _shares(policy: RegionPolicy) -> Iterator[tuple[str, Decimal]]:
    for pool_name, pool in (("inpatient", policy.inpatient), ("outpatient", policy.outpatient)):
        for psn_class, levels in pool.ratio.items():
            for level, ratio in enumerate(levels, 1):
                yield f"{pool_name}.ratio.{psn_class}.{level}", ratio
    yield "inpatient.later_stay_deductible_factor", policy.inpatient.later_stay_deductible_factor
    yield "large_amount.ratio", policy.large_amount.ratio
    yield "civil_servant.ratio", policy.civil_servant_ratio
    for i, segment in enumerate(policy.critical_illness.segments):
        yield f"critical_illness.segments.{i}.ratio", segment.ratio
    for identity, assistance in policy.assistance.items():
        yield f"assistance.{identity}.ratio", assistance.ratio
    for code, disease in policy.chronic.items():
        for psn_class, ratio in disease.ratio.items():
            yield f"chronic.{code}.{psn_class}", ratio
    for category, pp in policy.reduction_pp.items():
        yield f"reduction_pp.{category}", pp


# --- the shipped files ---------------------------------------------------------------------------


def test_every_pool_of_the_scenario_has_one_policy_and_nothing_else_has() -> None:
    assert len(SHIPPED) == len(POOLS)
    assert set(load_policies()) == set(POOLS)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_file_loads_under_the_admdvs_its_name_starts_with(path: Path) -> None:
    policy = _parse(path)

    assert path.name.split("_", 1)[0] == policy.admdvs
    assert policy.name.strip()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_table_names_a_seed_a_lead_or_says_illustrative(path: Path) -> None:
    policy = _parse(path)
    tables = SOURCED_TABLES | {f"assistance.{k}" for k in policy.assistance}
    tables |= {f"chronic.{k}" for k in policy.chronic}

    assert set(policy.sources) == tables
    for table, source in policy.sources.items():
        assert source.strip(), f"{path.name} {table}: empty source"
        assert SOURCE_FORM.fullmatch(source), f"{path.name} {table}: {source!r} names no document"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_file_lists_the_national_chronic_codes_and_both_assistance_identities(
    path: Path,
) -> None:
    policy = _parse(path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))

    assert set(policy.chronic) == NATIONAL_CHRONIC_CODES
    assert {k: v["name"] for k, v in raw["assistance"].items()} == ASSISTANCE_IDENTITIES


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_amounts_are_decimals_in_cents_and_shares_are_decimals(path: Path) -> None:
    policy = _parse(path)

    for name, amount in _amounts(policy):
        assert type(amount) is Decimal, f"{path.name} {name}"
        assert amount.as_tuple().exponent == -2, f"{path.name} {name} = {amount}"
    for name, share in _shares(policy):
        assert type(share) is Decimal, f"{path.name} {name}"


# --- how numbers are read ------------------------------------------------------------------------


def test_a_toml_decimal_is_read_exactly_never_through_a_float() -> None:
    text = _variant(CIVIL_SERVANT, CIVIL_SERVANT.replace("0.50", "0.1"))
    text = _variant("employee_active = 5000", "employee_active = 0.1", text)

    policy = parse_policy(text, ORIGIN)

    assert type(policy.civil_servant_ratio) is Decimal
    assert policy.civil_servant_ratio.as_tuple() == Decimal("0.1").as_tuple() == (0, (1,), -1)
    assert str(policy.outpatient.annual_cap[PsnClass.EMPLOYEE_ACTIVE]) == "0.10"


def test_an_integer_amount_is_given_its_cents() -> None:
    policy = parse_policy(URUMQI_TEXT, ORIGIN)

    assert str(policy.inpatient.deductible[PsnClass.RESIDENT][0]) == "200.00"
    assert str(policy.large_amount.annual_cap) == "400000.00"


def test_an_amount_with_a_fraction_of_a_cent_is_refused_not_rounded() -> None:
    text = _variant("employee_active = 5000", "employee_active = 5000.005")

    with pytest.raises(PolicyError, match=r"outpatient\.annual_cap\.employee_active"):
        parse_policy(text, ORIGIN)


# --- what the loader refuses ---------------------------------------------------------------------

REFUSED = [
    pytest.param(
        "21 = 0",
        "21 = 11",
        r"reduction 11 pp for category 21 outside 0\.\.10 \(22号文\)",
        id="referral-cut-11pp-over-22hao-10pp",
    ),
    pytest.param(
        "22 = 0",
        "22 = 10.5",
        r"reduction 10\.5 pp for category 22 outside 0\.\.10",
        id="emergency-cut-10.5pp-over-22hao-10pp",
    ),
    pytest.param(
        "23 = 15",
        "23 = 21",
        r"reduction 21 pp for category 23 outside 0\.\.20 \(22号文\)",
        id="other-temporary-cut-21pp-over-22hao-20pp",
    ),
    pytest.param(
        "23 = 15",
        "23 = -1",
        r"reduction -1 pp for category 23 outside 0\.\.20",
        id="negative-cut",
    ),
    pytest.param(
        "21 = 0",
        "11 = 5\n21 = 0",
        r"reduction 5 pp for category 11 outside 0\.\.0",
        id="long-term-category-11-cut",
    ),
    pytest.param(
        "employee_active = [0.95, 0.90, 0.85]",
        "employee_active = [1.2, 0.90, 0.85]",
        r"inpatient\.ratio\.employee_active\.0\s+Input should be less than or equal to 1",
        id="inpatient-ratio-1.2",
    ),
    pytest.param(
        CHRONIC_M03900,
        CHRONIC_M03900.replace("resident = 0.60", "resident = 1.2"),
        r"chronic\.M03900\.resident\s+Input should be less than or equal to 1",
        id="chronic-ratio-1.2",
    ),
    pytest.param(
        CIVIL_SERVANT,
        CIVIL_SERVANT.replace("0.50", "1.2"),
        r"civil_servant\.ratio\s+Input should be less than or equal to 1",
        id="civil-servant-ratio-1.2",
    ),
    pytest.param(
        '[large_amount]\nsource = "illustrative"\n',
        "[large_amount]\n",
        r"large_amount\.source\s+Field required",
        id="missing-source",
    ),
    pytest.param(
        _line_after("[reduction_pp]"),
        "",
        r"reduction_pp\.source\s+Field required",
        id="missing-source-of-the-reductions",
    ),
    pytest.param(
        'name = "乌鲁木齐市"',
        'name = "乌鲁木齐市"\ndeductable = 300',
        r"deductable\s+Extra inputs are not permitted",
        id="unknown-top-level-key",
    ),
    pytest.param(
        CIVIL_SERVANT,
        CIVIL_SERVANT + "\nretired_ratio = 0.60",
        r"civil_servant\.retired_ratio\s+Extra inputs are not permitted",
        id="unknown-key-in-a-table",
    ),
    pytest.param(
        "{ ratio = 0.70 }",
        "{ upto = 200000, ratio = 0.70 }",
        r"critical_illness segments must end with an open segment",
        id="critical-illness-segments-not-ending-open",
    ),
    pytest.param(
        "{ upto = 100000, ratio = 0.60 }, { ratio = 0.70 }",
        "{ ratio = 0.60 }, { ratio = 0.70 }",
        r"critical_illness segments must rise",
        id="critical-illness-open-segment-before-the-last",
    ),
    pytest.param(
        "resident = [200, 500, 800]",
        "resident = [-200, 500, 800]",
        r"inpatient\.deductible\.resident\.0\s+Input should be greater than or equal to 0",
        id="negative-deductible",
    ),
    pytest.param(
        "[civil_servant]",
        "[civil_servant",
        r"not TOML",
        id="invalid-toml",
    ),
    pytest.param(
        CHRONIC_M03900,
        CHRONIC_M03900 + "\nannual_cap = 4000",
        r"not TOML",
        id="invalid-toml-duplicate-key",
    ),
]


@pytest.mark.parametrize(("old", "new", "problem"), REFUSED)
def test_loader_refuses_and_names_the_file_and_the_problem(
    old: str, new: str, problem: str
) -> None:
    text = _variant(old, new)

    with pytest.raises(PolicyError, match=problem) as refused:
        parse_policy(text, ORIGIN)

    assert str(refused.value).startswith(f"{ORIGIN}: ")


def test_loader_refuses_a_blank_source() -> None:
    text = _variant(CIVIL_SERVANT, CIVIL_SERVANT.replace('"illustrative"', '"   "'))

    with pytest.raises(PolicyError, match=r"civil_servant\.source"):
        parse_policy(text, ORIGIN)


def test_load_policies_refuses_two_files_for_the_same_admdvs(tmp_path: Path) -> None:
    (tmp_path / "650100_urumqi.toml").write_text(URUMQI_TEXT, encoding="utf-8")
    (tmp_path / "650100_urumqi_copy.toml").write_text(URUMQI_TEXT, encoding="utf-8")

    with pytest.raises(
        PolicyError, match=r"^650100_urumqi_copy\.toml: a second policy for 650100$"
    ):
        load_policies(tmp_path)


def test_load_policies_stops_at_a_bad_file_and_names_it(tmp_path: Path) -> None:
    (tmp_path / "650100_urumqi.toml").write_text(_variant("23 = 15", "23 = 21"), encoding="utf-8")

    with pytest.raises(PolicyError, match=r"^650100_urumqi\.toml: reduction 21 pp"):
        load_policies(tmp_path)
