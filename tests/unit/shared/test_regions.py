"""shared.regions: the region registry, provinces and the intra/cross route (design §1)."""

from __future__ import annotations

import pytest

from shared.regions import (
    POOLS,
    REGIONS,
    Route,
    is_known,
    parse_region_list,
    province_of,
    route_between,
)


@pytest.mark.parametrize(
    ("treating", "insured", "expected"),
    [
        ("150200", "159900", Route.INTRA),
        ("159900", "150200", Route.INTRA),
        ("150781", "150200", Route.INTRA),
        ("110000", "110000", Route.INTRA),
        ("110000", "650100", Route.CROSS),
        ("650100", "110000", Route.CROSS),
        ("110000", "120000", Route.CROSS),
        ("130100", "150200", Route.CROSS),
    ],
    ids=lambda v: str(v),
)
def test_route_between(treating: str, insured: str, expected: Route) -> None:
    assert route_between(treating, insured) is expected


def test_route_values_are_the_wire_words() -> None:
    assert Route.INTRA.value == "intra"
    assert Route.CROSS.value == "cross"


@pytest.mark.parametrize(
    ("admdvs", "province"),
    [
        ("150200", "150000"),
        ("159900", "150000"),
        ("150781", "150000"),
        ("150000", "150000"),
        ("110000", "110000"),
        ("650100", "650000"),
    ],
)
def test_province_of(admdvs: str, province: str) -> None:
    assert province_of(admdvs) == province


@pytest.mark.parametrize("admdvs", list(REGIONS))
def test_region_province_property_agrees_with_province_of(admdvs: str) -> None:
    assert REGIONS[admdvs].province == province_of(admdvs)


def test_is_known() -> None:
    assert is_known("650100")
    assert is_known("150000")
    assert not is_known("990000")
    assert not is_known("")


@pytest.mark.parametrize("value", ["all", "", "   ", "*", " all "], ids=repr)
def test_parse_region_list_all_means_every_pool(value: str) -> None:
    assert parse_region_list(value) == POOLS


def test_parse_region_list_explicit_list_keeps_order() -> None:
    assert parse_region_list("650100, 110000,150200") == ("650100", "110000", "150200")


def test_parse_region_list_ignores_empty_items() -> None:
    assert parse_region_list("110000,,120000,") == ("110000", "120000")


def test_parse_region_list_single_code() -> None:
    assert parse_region_list("159900") == ("159900",)


def test_parse_region_list_unknown_code_raises_and_names_it() -> None:
    with pytest.raises(ValueError, match="990000"):
        parse_region_list("110000,990000")


def test_pools_exclude_the_province_code() -> None:
    assert "150000" in REGIONS
    assert "150000" not in POOLS


def test_pools_are_every_pool_region() -> None:
    assert set(POOLS) == {code for code, region in REGIONS.items() if region.is_pool}
    assert len(POOLS) == len(set(POOLS))


@pytest.mark.parametrize("admdvs", list(REGIONS))
def test_region_codes_are_six_digits_keyed_by_themselves(admdvs: str) -> None:
    region = REGIONS[admdvs]
    assert region.admdvs == admdvs
    assert len(admdvs) == 6
    assert admdvs.isdigit()
    assert region.name
    assert region.name_en
