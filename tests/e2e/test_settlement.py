"""Insured-region settlement over the real relay (issue 3): filings, policy, breakdown, cancel.

A treating-region double sends the category totals through the hub as the treating region will;
every breakdown that comes back must satisfy the identities of design §7 to the cent.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared import clock
from shared.envelope import RelayEnvelope
from shared.settlement import setlinfo_violations
from tests.e2e.harness import OPERATOR, Stack, enrol, file
from tests.e2e.relay_client import TreatingRegionDouble

pytestmark = pytest.mark.e2e

TODAY = clock.today()
D = Decimal


def inpatient(
    person: dict[str, Any],
    inscp: str,
    *,
    fulamt: str = "300.00",
    overlmt: str = "0.00",
    preselfpay: str = "500.00",
    level: int = 3,
    admitted: date | None = None,
    discharged: date | None = None,
    med_type: str = "21",
    **flags: str,
) -> dict[str, Any]:
    """Category totals as the treating region sends them: 09 drugs carry the self-pay parts."""
    s, f, o, p = D(inscp), D(fulamt), D(overlmt), D(preselfpay)
    beds = (s * D("0.2")).quantize(D("0.01"))
    categories = [
        {
            "med_chrgitm_type": "01",
            "det_item_fee_sumamt": str(beds),
            "fulamt_ownpay_amt": "0.00",
            "overlmt_amt": "0.00",
            "preselfpay_amt": "0.00",
            "inscp_scp_amt": str(beds),
        },
        {
            "med_chrgitm_type": "09",
            "det_item_fee_sumamt": str(s - beds + f + o + p),
            "fulamt_ownpay_amt": str(f),
            "overlmt_amt": str(o),
            "preselfpay_amt": str(p),
            "inscp_scp_amt": str(s - beds),
        },
    ]
    return {
        "psn_no": person["psn_no"],
        "insutype": person["insurances"][0]["insutype"],
        "med_type": med_type,
        "medins_lv": level,
        "begntime": f"{admitted or TODAY - timedelta(days=7)} 09:00:00",
        "endtime": f"{discharged or TODAY} 10:00:00",
        "medfee_sumamt": str(s + f + o + p),
        "fulamt_ownpay_amt": str(f),
        "overlmt_selfpay": str(o),
        "preselfpay_amt": str(p),
        "inscp_scp_amt": str(s),
        "categories": categories,
        **flags,
    }


def setlinfo(reply: RelayEnvelope) -> dict[str, Any]:
    assert reply.err_code is None, f"{reply.err_code}: {reply.err_detail}"
    info: dict[str, Any] = reply.payload["setlinfo"]
    assert_balances(info, reply.payload["setldetail"])
    return info


def without_ids(info: dict[str, Any]) -> dict[str, Any]:
    """A breakdown's amounts and person, without the ids and time that differ per settlement."""
    ids = ("setl_id", "mdtrt_id", "setl_time", "medins_setl_id")
    return {k: v for k, v in info.items() if k not in ids}


def assert_balances(info: dict[str, Any], details: list[dict[str, Any]]) -> None:
    """The identities of design §7, to the cent, on what came over the wire."""
    assert setlinfo_violations(info, details) == []


async def test_urumqi_other_temporary_traveller_is_cut_15pp_and_a_referral_is_not(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    traveller = await enrol(ahttp, stack, "650100")
    await file(
        ahttp,
        stack,
        traveller["psn_no"],
        category="23",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=30)),
    )
    referred = await enrol(ahttp, stack, "650100")
    await file(
        ahttp,
        stack,
        referred["psn_no"],
        category="21",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=30)),
    )

    cut = setlinfo(
        await treating_double.send(
            "2304", treating="110000", insured="650100", payload=inpatient(traveller, "10000.00")
        )
    )
    home = setlinfo(
        await treating_double.send(
            "2304", treating="110000", insured="650100", payload=inpatient(referred, "10000.00")
        )
    )

    # seed 000 §(六): 三级 employee 0.85 − 15 pp; deductible 900: (10000 − 900) × 0.70
    assert (cut["pool_prop_selfpay"], cut["hifp_pay"]) == ("0.7", "6370.00")
    assert (home["pool_prop_selfpay"], home["hifp_pay"]) == ("0.85", "7735.00")
    assert cut["setl_id"].startswith("A650100")
    assert cut["mdtrt_id"].startswith("S650100")


async def test_emergency_without_filing_counts_as_filed(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100")
    reply = await treating_double.send(
        "2304",
        treating="120000",
        insured="650100",
        payload=inpatient(person, "5000.00", med_type="24"),
    )
    info = setlinfo(reply)
    assert info["pool_prop_selfpay"] == "0.85"  # 乌鲁木齐 emergency: no cut


async def test_no_filing_is_e2001_then_a_retro_filing_before_discharge_settles(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100")
    payload = inpatient(person, "8000.00", admitted=TODAY - timedelta(days=5))

    refused = await treating_double.send(
        "2304", treating="130100", insured="650100", payload=payload
    )
    assert refused.err_code == "E2001"

    await file(
        ahttp, stack, person["psn_no"], category="23", dest_admdvs="130000", begndate=str(TODAY)
    )  # 补办: filed today, after admission, before discharge settlement
    info = setlinfo(
        await treating_double.send("2304", treating="130100", insured="650100", payload=payload)
    )
    assert info["pool_prop_selfpay"] == "0.7"


async def test_admitted_inside_validity_discharged_after_it_still_settles(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100")
    begin = TODAY - timedelta(days=200)
    filing = await file(
        ahttp, stack, person["psn_no"], category="21", dest_admdvs="220100", begndate=str(begin)
    )
    assert date.fromisoformat(filing["enddate"]) < TODAY - timedelta(days=5)  # 6 months
    admitted = date.fromisoformat(filing["enddate"]) - timedelta(days=3)

    info = setlinfo(
        await treating_double.send(
            "2304",
            treating="220100",
            insured="650100",
            payload=inpatient(person, "6000.00", admitted=admitted),
        )
    )
    assert D(info["hifp_pay"]) > 0

    late = await treating_double.send(
        "2304",
        treating="220100",
        insured="650100",
        payload=inpatient(person, "6000.00", admitted=TODAY - timedelta(days=1)),
    )
    assert late.err_code == "E2001"


async def test_inner_mongolia_intra_region_stay_needs_no_filing(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "159900", insutype="390", psn_type="15")
    info = setlinfo(
        await treating_double.send(
            "2304", treating="150200", insured="159900", payload=inpatient(person, "4000.00")
        )
    )
    assert D(info["hifp_pay"]) > 0
    cross = await treating_double.send(
        "2304", treating="110000", insured="159900", payload=inpatient(person, "4000.00")
    )
    assert cross.err_code == "E2001"  # cross-province inpatient care needs a filing (第十一条)


async def test_resident_crossing_the_critical_illness_threshold(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100", insutype="390", psn_type="15", balc="0.00")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="12",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=60)),
    )
    info = setlinfo(
        await treating_double.send(
            "2304", treating="110000", insured="650100", payload=inpatient(person, "80000.00")
        )
    )
    # resident 三级 0.65, deductible 800: hifp = 79200 × 0.65 = 51480.00; burden 28520.00;
    # above the 15000 threshold: 13520 × 0.60 = 8112.00
    assert (info["hifp_pay"], info["hifmi_pay"]) == ("51480.00", "8112.00")
    assert "390200" in {
        d["fund_pay_type"]
        for d in (
            await treating_double.send(
                "2303", treating="110000", insured="650100", payload=inpatient(person, "1000.00")
            )
        ).payload["setldetail"]
    }


async def test_employee_hitting_the_basic_cap_draws_the_large_amount_fund(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100", balc="0.00")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="11",
        dest_admdvs="650000" if False else "110000",
        begndate=str(TODAY - timedelta(days=90)),
    )
    first = setlinfo(
        await treating_double.send(
            "2304", treating="110000", insured="650100", payload=inpatient(person, "170000.00")
        )
    )
    # (170000 − 900) × 0.85 = 143735.00 < 150000: no top-up yet
    assert (first["hifp_pay"], first["hifob_pay"]) == ("143735.00", "0.00")
    second = setlinfo(
        await treating_double.send(
            "2304", treating="110000", insured="650100", payload=inpatient(person, "20000.00")
        )
    )
    # 2nd stay deductible 450; cap left 6265.00; over_cap = 19550 − 6265 / 0.85 = 12179.41;
    # hifob = 12179.41 × 0.90 = 10961.47
    assert (second["hifp_pay"], second["hifob_pay"]) == ("6265.00", "10961.47")


async def test_cancel_then_resettle_gives_the_identical_breakdown(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100", balc="3000.00", cvlserv_flag=True)
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="13",
        dest_admdvs="120000",
        begndate=str(TODAY - timedelta(days=10)),
    )
    payload = inpatient(person, "12000.00", acct_used_flag="1")
    year_before = (
        await ahttp.get(
            f"{stack.insured_url}/admin/persons/{person['psn_no']}/accumulators/{TODAY.year}",
            headers=OPERATOR,
        )
    ).json()

    first = setlinfo(
        await treating_double.send("2304", treating="120000", insured="650100", payload=payload)
    )
    assert D(first["cvlserv_pay"]) > 0
    assert D(first["acct_pay"]) > 0
    cancel = {"data": {"psn_no": person["psn_no"], "setl_id": first["setl_id"]}}
    mirror = setlinfo(
        await treating_double.send("2305", treating="120000", insured="650100", payload=cancel)
    )
    assert mirror["refd_setl_flag"] == "1"
    assert mirror["init_setl_id"] == first["setl_id"]
    assert D(mirror["fund_pay_sumamt"]) == -D(first["fund_pay_sumamt"])
    assert (
        await ahttp.get(
            f"{stack.insured_url}/admin/persons/{person['psn_no']}/accumulators/{TODAY.year}",
            headers=OPERATOR,
        )
    ).json() == year_before

    again = await treating_double.send("2305", treating="120000", insured="650100", payload=cancel)
    assert again.err_code == "E4004"

    second = setlinfo(
        await treating_double.send("2304", treating="120000", insured="650100", payload=payload)
    )
    assert without_ids(second) == without_ids(first)


async def test_pre_settle_stores_nothing_and_a_repeated_msgid_gets_the_stored_answer(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "110000")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="12",
        dest_admdvs="650100",
        begndate=str(TODAY - timedelta(days=10)),
    )
    payload = inpatient(person, "3000.00")
    url = f"{stack.insured_url}/admin/persons/{person['psn_no']}/accumulators/{TODAY.year}"
    before = (await ahttp.get(url, headers=OPERATOR)).json()

    preview = setlinfo(
        await treating_double.send("2303", treating="650100", insured="110000", payload=payload)
    )
    assert preview["setl_id"] is None
    assert (await ahttp.get(url, headers=OPERATOR)).json() == before

    msgid = treating_double.msgid("H65010000077")
    first = setlinfo(
        await treating_double.send(
            "2304", treating="650100", insured="110000", payload=payload, msgid=msgid
        )
    )
    repeat = setlinfo(
        await treating_double.send(
            "2304", treating="650100", insured="110000", payload=payload, msgid=msgid
        )
    )
    assert repeat["setl_id"] == first["setl_id"]
    changed = await treating_double.send(
        "2304",
        treating="650100",
        insured="110000",
        payload=inpatient(person, "3100.00"),
        msgid=msgid,
    )
    assert changed.err_code == "E4002"
    cum = await treating_double.send(
        "5206",
        treating="650100",
        insured="110000",
        payload={"data": {"psn_no": person["psn_no"], "cum_ym": f"{TODAY:%Y%m}"}},
    )
    counters = {r["cum_type_code"]: r["cum"] for r in cum.payload["cuminfo"]}
    assert counters["inpatient_hifp"] == first["hifp_pay"]
    assert counters["inpatient_stays"] == "1"


async def test_unbalanced_totals_are_refused_and_nothing_is_written(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "650100")
    await file(
        ahttp, stack, person["psn_no"], category="21", dest_admdvs="110000", begndate=str(TODAY)
    )
    payload = {**inpatient(person, "1000.00"), "medfee_sumamt": "9999.99"}
    reply = await treating_double.send("2304", treating="110000", insured="650100", payload=payload)
    assert reply.err_code == "E4001"
    url = f"{stack.insured_url}/admin/persons/{person['psn_no']}/accumulators/{TODAY.year}"
    assert {r["cum"] for r in (await ahttp.get(url, headers=OPERATOR)).json()["cuminfo"]} == {
        "0.00",
        "0",
    }


async def test_chronic_disease_needs_its_filing(
    ahttp: httpx.AsyncClient, stack: Stack, treating_double: TreatingRegionDouble
) -> None:
    person = await enrol(ahttp, stack, "120000", psn_type="12")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="12",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=20)),
    )
    payload = {
        **inpatient(person, "600.00", fulamt="0.00", preselfpay="0.00", level=2, med_type="14"),
        "opsp_dise_code": "M03900",
        "categories": [],
    }
    refused = await treating_double.send(
        "2207", treating="110000", insured="120000", payload=payload
    )
    assert refused.err_code == "E2008"
    filed = await treating_double.send(
        "2503",
        treating="110000",
        insured="120000",
        payload={
            "data": {
                "psn_no": person["psn_no"],
                "opsp_dise_code": "M03900",
                "begndate": str(TODAY - timedelta(days=1)),
            }
        },
    )
    assert filed.err_code is None
    assert filed.payload["result"]["trt_dcla_detl_sn"]
    info = setlinfo(
        await treating_double.send("2207", treating="110000", insured="120000", payload=payload)
    )
    assert D(info["hifp_pay"]) > 0
    assert info["act_pay_dedc"] == "0.00"
