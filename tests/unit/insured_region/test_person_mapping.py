"""The balance is a Decimal inside and a 2-decimal string on the wire; one mapping each way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.insured_region.adapters.orm import PersonRow
from services.insured_region.adapters.persons import insurance_row, to_domain
from services.insured_region.domain.person import Insurance, insurance_from
from services.insured_region.entrypoints.schemas import PersonIn, person_info_output

INSURANCE = Insurance("310", "11", "1", date(2010, 1, 1), True, Decimal("1234.50"), "新华书店")

ENROLMENT = {
    "psn_no": "65010000420000000001",
    "insuplc_admdvs": "650100",
    "certno": "11010519491231002x",
    "psn_name": "张三",
    "gend": "2",
    "brdy": "1949-12-31",
    "insurances": [
        {"insutype": "310", "psn_type": "11", "psn_insu_date": "2010-01-01", "balc": "1234.5"}
    ],
    "identities": [{"psn_idet_type": "2302", "begntime": "2024-01-01"}],
}


def test_an_insurance_row_reads_back_as_the_same_insurance() -> None:
    row = insurance_row("65010000420000000001", INSURANCE)
    assert row.psn_no == "65010000420000000001"
    assert row.balc == Decimal("1234.50")
    assert insurance_from(row) == INSURANCE


def test_a_person_row_and_an_enrolment_build_the_same_person() -> None:
    enrolled = PersonIn.model_validate(ENROLMENT).to_domain()
    row = PersonRow(
        psn_no=enrolled.psn_no,
        insuplc_admdvs=enrolled.insuplc_admdvs,
        psn_cert_type=enrolled.psn_cert_type,
        certno=enrolled.certno,
        psn_name=enrolled.psn_name,
        gend=enrolled.gend,
        naty=enrolled.naty,
        brdy=enrolled.brdy,
        insurances=[insurance_row(enrolled.psn_no, i) for i in enrolled.insurances],
        identities=[],
        filings=[],
        chronic_filings=[],
    )
    stored = to_domain(row)
    assert stored.insurances == enrolled.insurances
    assert stored.insurances[0].balc == Decimal("1234.50")
    assert stored.certno == "11010519491231002X"  # canonical check character, both ways


def test_the_wire_writes_the_balance_with_two_decimals() -> None:
    person = PersonIn.model_validate(ENROLMENT).to_domain()
    [insuinfo] = person_info_output(person, date(2026, 12, 2))["insuinfo"]
    assert insuinfo["balc"] == "1234.50"
    assert isinstance(person.insurances[0].balc, Decimal)
