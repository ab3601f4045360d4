"""The synthetic population: deterministic, well-formed id numbers, every kind of person."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from services.insured_region.domain.person import Person, age_on
from services.insured_region.domain.population import FILING_CATEGORIES, KINDS, generate
from shared.certificates import id_check_char, is_resident_id
from shared.identities import AREA_CODE, ASSISTANCE_IDENTITIES, make_id_no
from shared.regions import POOLS

TODAY = date(2026, 11, 23)
SEED = 20261123
COUNT = 300


def population(admdvs: str = "150200", seed: int = SEED, count: int = COUNT) -> list[Person]:
    return generate(seed, admdvs, count, today=TODAY, destinations=POOLS)


@pytest.fixture(scope="module", params=POOLS)
def people(request: pytest.FixtureRequest) -> list[Person]:
    admdvs: str = request.param
    return population(admdvs)


# --- id numbers -----------------------------------------------------------------------------


GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_check_char(first17: str) -> str:
    """Reference ISO 7064 MOD 11-2 as GB 11643 defines it: weight of digit i is 2^(17-i) mod 11."""
    total = sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def test_reference_check_char_weights() -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == GB11643_WEIGHTS
    assert gb11643_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("id_no", ["11010519491231002X", "440524188001010014"])
def test_id_check_char_on_known_valid_ids(id_no: str) -> None:
    assert id_check_char(id_no[:17]) == id_no[17]
    assert is_resident_id(id_no)


def test_generated_ids_pass_the_gb11643_check() -> None:
    for person in population():
        assert gb11643_check_char(person.certno[:17]) == person.certno[17], person.certno


def test_lowercase_x_check_char_is_valid() -> None:
    with_x = next(
        id_no
        for id_no in (make_id_no("150202", date(1980, 1, 1), seq, "1") for seq in range(1000))
        if id_no.endswith("X")
    )
    assert is_resident_id(with_x)
    assert is_resident_id(with_x[:17] + "x")


@pytest.mark.parametrize(
    "id_no",
    [
        "110105194912310022",
        "11010519491231002",
        "11010519491231002XX",
        "1101051949123100AX",
        "",
    ],
    ids=["wrong_check_char", "17_chars", "19_chars", "letter_in_body", "empty"],
)
def test_invalid_ids_are_refused(id_no: str) -> None:
    assert not is_resident_id(id_no)


@pytest.mark.parametrize("gend", ["1", "2"])
@pytest.mark.parametrize("seq", [0, 1, 2, 998, 999])
def test_make_id_no_is_valid_and_carries_birth_date_and_sex(seq: int, gend: str) -> None:
    id_no = make_id_no("150202", date(1980, 2, 29), seq, gend)
    assert is_resident_id(id_no)
    assert id_no[:6] == "150202"
    assert id_no[6:14] == "19800229"
    assert (int(id_no[16]) % 2 == 1) == (gend == "1")


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_the_same_people() -> None:
    assert population() == population()


def test_another_seed_gives_other_people() -> None:
    assert population(seed=SEED) != population(seed=SEED + 1)


def test_another_region_gives_other_people() -> None:
    first = population("150200")
    second = population("650100")
    assert [p.psn_name for p in first] != [p.psn_name for p in second]


def test_count_is_honoured() -> None:
    assert len(population(count=7)) == 7
    assert population(count=0) == []


# --- every person is well-formed ------------------------------------------------------------


def test_every_id_number_is_valid(people: list[Person]) -> None:
    assert all(is_resident_id(p.certno) for p in people)


def test_id_numbers_use_the_regions_area_code(people: list[Person]) -> None:
    area = AREA_CODE[people[0].insuplc_admdvs]
    assert all(p.certno[:6] == area for p in people)


def test_id_number_birth_digits_match_brdy(people: list[Person]) -> None:
    for person in people:
        assert person.certno[6:14] == person.brdy.strftime("%Y%m%d"), person.psn_no


def test_id_number_sex_parity_matches_gend(people: list[Person]) -> None:
    for person in people:
        assert person.gend in ("1", "2")
        assert (int(person.certno[16]) % 2 == 1) == (person.gend == "1"), person.psn_no


def test_certnos_are_unique_within_a_region(people: list[Person]) -> None:
    certnos = [p.certno for p in people]
    assert len(certnos) == COUNT
    assert len(set(certnos)) == COUNT


def test_psn_nos_are_unique_within_a_region(people: list[Person]) -> None:
    assert len({p.psn_no for p in people}) == COUNT


def test_everyone_is_insured_here(people: list[Person]) -> None:
    admdvs = people[0].insuplc_admdvs
    for person in people:
        assert person.insuplc_admdvs == admdvs
        assert person.psn_cert_type == "01"
        assert len(person.insurances) == 1
        assert person.insurances[0].psn_insu_stas == "1"


def test_everyone_has_a_name(people: list[Person]) -> None:
    assert all(2 <= len(p.psn_name) <= 5 for p in people)


def test_everyone_is_born_before_today(people: list[Person]) -> None:
    assert all(p.brdy < TODAY for p in people)


def test_every_age_fits_its_kind() -> None:
    kinds = {(k.insutype, k.psn_type): k for k in KINDS}
    for person in population():
        kind = kinds[(person.insurances[0].insutype, person.insurances[0].psn_type)]
        assert kind.min_age <= age_on(person.brdy, TODAY) <= kind.max_age, person.psn_no


# --- the mix of people ----------------------------------------------------------------------


def test_all_five_person_kinds_are_present(people: list[Person]) -> None:
    kinds = Counter((p.insurances[0].insutype, p.insurances[0].psn_type) for p in people)
    assert set(kinds) == {(k.insutype, k.psn_type) for k in KINDS}
    assert all(n >= COUNT // len(KINDS) for n in kinds.values())


def test_some_people_hold_filings(people: list[Person]) -> None:
    with_filing = [p for p in people if p.filings]
    assert 0 < len(with_filing) < COUNT


def test_filings_point_elsewhere_and_use_known_categories(people: list[Person]) -> None:
    admdvs = people[0].insuplc_admdvs
    filings = [f for p in people for f in p.filings]
    assert {f.category for f in filings} == set(FILING_CATEGORIES)
    for filing in filings:
        assert filing.dest_admdvs in POOLS
        assert filing.dest_admdvs != admdvs
        assert filing.begndate < TODAY
        assert filing.status == "active"
        if filing.category.startswith("1"):
            assert filing.enddate is None
        else:
            assert filing.enddate is not None
            assert filing.enddate > filing.begndate
    assert len({f.filing_id for f in filings}) == len(filings)


def test_some_civil_servants(people: list[Person]) -> None:
    civil = [p for p in people if p.insurances[0].cvlserv_flag]
    assert civil
    assert all(p.insurances[0].insutype == "310" for p in civil)
    assert all(p.insurances[0].psn_type == "11" for p in civil)


def test_some_assistance_identities(people: list[Person]) -> None:
    codes = {i.psn_idet_type for p in people for i in p.identities}
    assert codes == set(ASSISTANCE_IDENTITIES)


def test_only_employees_have_an_account_balance(people: list[Person]) -> None:
    for person in people:
        insurance = person.insurances[0]
        assert isinstance(insurance.balc, Decimal)
        assert insurance.balc.as_tuple().exponent == -2  # whole cents, as the wire writes them
        assert insurance.balc >= 0
        if insurance.insutype == "390":
            assert str(insurance.balc) == "0.00"


@pytest.mark.parametrize("admdvs", POOLS)
def test_a_small_population_holds_assistance_identities_in_every_region(admdvs: str) -> None:
    """40 per region (the ``make seed`` default): a few per cent 特困 / 低保, valid today, so the
    assistance fund (610100) has someone to pay for wherever they are treated."""
    people = population(admdvs, count=40)
    aided = [p for p in people if p.identities]
    assert 0.02 <= len(aided) / len(people) <= 0.15
    for person in aided:
        for identity in person.identities:
            assert identity.psn_idet_type in ASSISTANCE_IDENTITIES
            assert identity.begntime <= TODAY
            assert identity.endtime is None or identity.endtime >= TODAY
