"""The treating regions' catalogues (就医地目录) and designated institutions: public reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.treating_region.domain.catalogue import CatalogueEntry, Institution
from shared.errors import E3006, E9002, RelayError

router = APIRouter()


def catalogues_of(request: Request) -> Mapping[str, Mapping[str, CatalogueEntry]]:
    catalogues: Mapping[str, Mapping[str, CatalogueEntry]] = request.app.state.catalogues
    return catalogues


def institutions_of(request: Request) -> Mapping[str, Institution]:
    institutions: Mapping[str, Institution] = request.app.state.institutions
    return institutions


def _entry_out(entry: CatalogueEntry) -> dict[str, Any]:
    return {
        "med_list_codg": entry.med_list_codg,
        "name": entry.name,
        "med_chrgitm_type": entry.med_chrgitm_type,
        "chrgitm_lv": entry.chrgitm_lv,
        "selfpay_prop": str(entry.selfpay_prop),
        "pric_uplmt_amt": str(entry.pric_uplmt_amt) if entry.pric_uplmt_amt is not None else None,
        "unit": entry.unit,
        "ref_price": str(entry.ref_price) if entry.ref_price is not None else None,
    }


@router.get(
    "/catalogue/{admdvs}/items/{med_list_codg}",
    tags=["catalogue"],
    summary="One item of a treating region's catalogue (就医地目录)",
)
async def catalogue_item(request: Request, admdvs: str, med_list_codg: str) -> dict[str, Any]:
    entry = catalogues_of(request).get(admdvs, {}).get(med_list_codg)
    if entry is None:
        raise RelayError(E9002, detail=f"{admdvs} 的就医地目录中没有 {med_list_codg}")
    return _entry_out(entry)


@router.get(
    "/catalogue/{admdvs}/items",
    tags=["catalogue"],
    summary="Search a treating region's catalogue by name, code, category or class",
)
async def catalogue_search(
    request: Request,
    admdvs: str,
    q: Annotated[str | None, Query(max_length=50)] = None,
    med_chrgitm_type: Annotated[str | None, Query(pattern=r"^(0[1-9]|1[0-4])$")] = None,
    chrgitm_lv: Annotated[str | None, Query(pattern=r"^0[1-3]$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    catalogues = catalogues_of(request)
    if admdvs not in catalogues:
        raise RelayError(E9002, detail=f"没有 {admdvs} 的就医地目录")
    found = []
    for entry in catalogues[admdvs].values():
        if q and q not in entry.name and not entry.med_list_codg.startswith(q):
            continue
        if med_chrgitm_type and entry.med_chrgitm_type != med_chrgitm_type:
            continue
        if chrgitm_lv and entry.chrgitm_lv != chrgitm_lv:
            continue
        found.append(_entry_out(entry))
        if len(found) >= limit:
            break
    return found


@router.get("/institutions", tags=["catalogue"], summary="Designated institutions of a region")
async def institution_list(
    request: Request,
    admdvs: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> list[dict[str, Any]]:
    return [asdict(i) for i in institutions_of(request).values() if admdvs in (None, i.admdvs)]


@router.get(
    "/institutions/{fixmedins_code}",
    tags=["catalogue"],
    summary="A designated institution: its level and networked services",
)
async def institution(request: Request, fixmedins_code: str) -> dict[str, Any]:
    inst = institutions_of(request).get(fixmedins_code)
    if inst is None:
        raise RelayError(E3006, detail=fixmedins_code)
    return asdict(inst)
