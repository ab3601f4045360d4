"""Catalogue and institution files → frozen domain objects; bad data stops start-up.

``catalogue/base.csv`` is the catalogue every treating region starts from; each
``catalogue/overrides/<admdvs>.csv`` changes rows of it by code (class, self-pay ratio, price
cap), which is how the same item differs between treating regions (就医地目录).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from services.treating_region.domain.catalogue import (
    CHARGE_CATEGORIES,
    CLASS_B,
    CatalogueEntry,
    Institution,
    normalize_level,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "catalogue"


class CatalogueError(ValueError):
    """A data file that must not be used; the message names the file, the row and the problem."""


def _decimal(text: str, where: str, *, optional: bool = False) -> Decimal | None:
    if text.strip() == "":
        if optional:
            return None
        raise CatalogueError(f"{where}: empty")
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise CatalogueError(f"{where}: not a number: {text!r}") from exc
    if not value.is_finite() or value < 0:
        raise CatalogueError(f"{where}: must be a non-negative number")
    return value


def _entry(row: dict[str, str], where: str) -> CatalogueEntry:
    try:
        level = normalize_level(row["chrgitm_lv"])
    except ValueError as exc:
        raise CatalogueError(f"{where}: {exc}") from exc
    category = row["med_chrgitm_type"].strip().zfill(2)
    if category not in CHARGE_CATEGORIES:
        raise CatalogueError(f"{where}: med_chrgitm_type {category} is not 01–14")
    ratio = _decimal(row["selfpay_prop"] or "0", f"{where} selfpay_prop")
    assert ratio is not None
    if not ratio < 1 or (level != CLASS_B and ratio != 0):
        raise CatalogueError(f"{where}: selfpay_prop {ratio} (only 乙类 has one, below 1)")
    cap = _decimal(row.get("pric_uplmt_amt", ""), f"{where} pric_uplmt_amt", optional=True)
    return CatalogueEntry(
        med_list_codg=row["med_list_codg"].strip(),
        name=row["name"].strip(),
        med_chrgitm_type=category,
        chrgitm_lv=level,
        selfpay_prop=ratio,
        pric_uplmt_amt=cap,
        unit=row.get("unit", "").strip(),
        ref_price=_decimal(row.get("ref_price", ""), f"{where} ref_price", optional=True),
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_catalogues(
    regions: tuple[str, ...], directory: Path = DATA_DIR
) -> dict[str, Mapping[str, CatalogueEntry]]:
    """One catalogue per treating region: the base with that region's overrides applied."""
    base: dict[str, CatalogueEntry] = {}
    for n, row in enumerate(_rows(directory / "base.csv"), 2):
        entry = _entry(row, f"base.csv:{n}")
        if entry.med_list_codg in base:
            raise CatalogueError(f"base.csv:{n}: duplicate code {entry.med_list_codg}")
        base[entry.med_list_codg] = entry
    catalogues: dict[str, Mapping[str, CatalogueEntry]] = {}
    for admdvs in regions:
        catalogue = dict(base)
        path = directory / "overrides" / f"{admdvs}.csv"
        if path.exists():
            for n, row in enumerate(_rows(path), 2):
                entry = _entry(row, f"{path.name}:{n}")
                if entry.med_list_codg not in base:
                    raise CatalogueError(f"{path.name}:{n}: {entry.med_list_codg} not in base")
                catalogue[entry.med_list_codg] = replace(
                    entry, ref_price=entry.ref_price or base[entry.med_list_codg].ref_price
                )
        catalogues[admdvs] = catalogue
    return catalogues


def _flag(text: str) -> bool:
    return text.strip() in ("1", "true", "True", "Y")


def load_institutions(directory: Path = DATA_DIR) -> dict[str, Institution]:
    institutions: dict[str, Institution] = {}
    for n, row in enumerate(_rows(directory / "institutions.csv"), 2):
        code = row["fixmedins_code"].strip()
        level = int(row["medins_lv"])
        if len(code) != 12 or code[0] not in "HP" or not code[1:].isdigit():
            raise CatalogueError(f"institutions.csv:{n}: fixmedins_code {code!r}")
        if level not in (1, 2, 3):
            raise CatalogueError(f"institutions.csv:{n}: medins_lv {level} is not 1, 2 or 3")
        if code in institutions:
            raise CatalogueError(f"institutions.csv:{n}: duplicate {code}")
        institutions[code] = Institution(
            fixmedins_code=code,
            fixmedins_name=row["fixmedins_name"].strip(),
            admdvs=row["admdvs"].strip(),
            medins_lv=level,
            inpatient=_flag(row["inpatient"]),
            outpatient=_flag(row["outpatient"]),
            chronic=_flag(row["chronic"]),
            pharmacy=_flag(row["pharmacy"]),
        )
    return institutions
