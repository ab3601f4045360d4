"""A hospital settles cross-region patients through the gateway (issue 4), end to end.

Inpatient: admission → 40+ lines over all 14 categories → discharge → pre-settle → settle →
cancel → settle again. Outpatient: registration → lines → pre-settle → settle, for patients of
three insured regions, one of them in the same province.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared import clock
from tests.e2e.harness import Stack, enrol, file
from tests.e2e.hospital import Hospital
from tests.e2e.test_settlement import assert_balances, without_ids

pytestmark = pytest.mark.e2e

D = Decimal
TODAY = clock.today()
PARTS = ("fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt")


@pytest.fixture
def beijing(ahttp: httpx.AsyncClient, stack: Stack) -> Hospital:
    return Hospital(ahttp, stack, "H11000000001", "110000")  # 北京协和医院, level 3


def admission(person: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "mdtrtinfo": {
            "psn_no": person["psn_no"],
            "insutype": person["insurances"][0]["insutype"],
            "begntime": f"{datetime.now() - timedelta(days=6):%Y-%m-%d %H:%M:%S}",
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person["certno"],
            "med_type": "21",
            "ipt_no": "ZY" + person["psn_no"][-8:],
            "adm_dept_name": "心内科",
            **extra,
        },
        "diseinfo": [{"diag_type": "1", "diag_code": "I21.9", "diag_name": "急性心肌梗死"}],
    }


def settle_body(
    person: dict[str, Any],
    mdtrt_id: str,
    total: Decimal,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": person["psn_no"],
            "mdtrt_id": mdtrt_id,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person["certno"],
            "medfee_sumamt": str(total),
            "insutype": person["insurances"][0]["insutype"],
            "acct_used_flag": "0",
            **extra,
        }
    }


async def test_a_whole_inpatient_stay(
    ahttp: httpx.AsyncClient, stack: Stack, beijing: Hospital
) -> None:
    person = await enrol(ahttp, stack, "650100")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="23",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=30)),
    )
    admitted = await beijing.ok("2401", "650100", admission(person))
    mdtrt_id = admitted["result"]["mdtrt_id"]
    assert mdtrt_id.startswith("S650100")

    lines = await beijing.lines(mdtrt_id, person["psn_no"])
    assert len(lines) >= 30
    result = (await beijing.ok("2301", "650100", {"feedetail": lines}))["result"]
    assert len(result) == len(lines)
    for line, split in zip(lines, result, strict=True):
        assert sum(D(split[p]) for p in PARTS) == D(line["det_item_fee_sumamt"])
    assert {r["med_chrgitm_type"] for r in result} == {f"{c:02d}" for c in range(1, 15)}
    assert {r["chrgitm_lv"] for r in result} >= {"01", "02"}

    # a refund of one unit of the first line, then one that would refund more than was given
    first = lines[0]
    refund = {
        **first,
        "feedetl_sn": "R00001",
        "init_feedetl_sn": first["feedetl_sn"],
        "cnt": "-1",
        "det_item_fee_sumamt": str(-D(first["pric"])),
    }
    await beijing.ok("2301", "650100", {"feedetail": [refund]})
    too_much = {
        **refund,
        "feedetl_sn": "R00002",
        "cnt": str(-D(first["cnt"]) - 1),
        "det_item_fee_sumamt": str(-D(first["pric"]) * (D(first["cnt"]) + 1)),
    }
    refused = await beijing.call("2301", "650100", {"feedetail": [too_much]})
    assert refused["err_code"] == "E3004"
    total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0)) - D(first["pric"])

    early = await beijing.call("2303", "650100", settle_body(person, mdtrt_id, total))
    assert early["err_code"] == "E3002"  # not discharged yet
    await beijing.ok(
        "2402",
        "650100",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": person["psn_no"],
                "endtime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            }
        },
    )

    preview = await beijing.ok("2303", "650100", settle_body(person, mdtrt_id, total))
    assert preview["setlinfo"]["setl_id"] is None
    wrong = await beijing.call("2304", "650100", settle_body(person, mdtrt_id, total + 1))
    assert wrong["err_code"] == "E3007"

    settled = await beijing.ok("2304", "650100", settle_body(person, mdtrt_id, total))
    info = settled["setlinfo"]
    assert_balances(info, settled["setldetail"])
    assert D(info["medfee_sumamt"]) == total
    assert info["pool_prop_selfpay"] == "0.7"  # 乌鲁木齐 other temporary: 0.85 − 15 pp
    for name in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"):
        assert info[name] == preview["setlinfo"][name]
    late_line = await beijing.call(
        "2301", "650100", {"feedetail": [{**lines[1], "feedetl_sn": "L99999"}]}
    )
    assert late_line["err_code"] == "E3002"  # no lines after settlement

    cancel = {
        "data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}
    }
    mirror = (await beijing.ok("2305", "650100", cancel))["setlinfo"]
    assert D(mirror["fund_pay_sumamt"]) == -D(info["fund_pay_sumamt"])
    assert (await beijing.call("2305", "650100", cancel))["err_code"] == "E3002"

    again = (await beijing.ok("2304", "650100", settle_body(person, mdtrt_id, total)))["setlinfo"]
    assert without_ids(again) == without_ids(info)


async def test_admission_without_filing_is_e2001_and_emergency_is_admitted(
    ahttp: httpx.AsyncClient, stack: Stack, beijing: Hospital
) -> None:
    person = await enrol(ahttp, stack, "650100")
    refused = await beijing.call("2401", "650100", admission(person))
    assert refused["err_code"] == "E2001"
    assert "备案" in refused["err_msg"]
    emergency = await beijing.ok("2401", "650100", admission(person, med_type="24"))
    assert emergency["result"]["filing_category"] == "22"


async def test_trauma_with_a_third_party_is_not_settled_directly(
    ahttp: httpx.AsyncClient, stack: Stack, beijing: Hospital
) -> None:
    person = await enrol(ahttp, stack, "120000")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="12",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=30)),
    )
    refused = await beijing.call(
        "2401", "120000", admission(person, trum_flag="1", rel_ttp_flag="1")
    )
    assert refused["err_code"] == "E2007"
    await beijing.ok("2401", "120000", admission(person, trum_flag="1", rel_ttp_flag="0"))


async def test_line_rules(ahttp: httpx.AsyncClient, stack: Stack, beijing: Hospital) -> None:
    person = await enrol(ahttp, stack, "650100")
    await file(
        ahttp,
        stack,
        person["psn_no"],
        category="21",
        dest_admdvs="110000",
        begndate=str(TODAY - timedelta(days=3)),
    )
    mdtrt_id = (await beijing.ok("2401", "650100", admission(person)))["result"]["mdtrt_id"]
    lines = await beijing.lines(mdtrt_id, person["psn_no"], per_category=1, categories=("03", "09"))
    bad = {**lines[0], "det_item_fee_sumamt": str(D(lines[0]["det_item_fee_sumamt"]) + D("0.01"))}
    assert (await beijing.call("2301", "650100", {"feedetail": [bad]}))["err_code"] == "E3005"
    await beijing.ok("2301", "650100", {"feedetail": lines})
    dup = await beijing.call("2301", "650100", {"feedetail": [lines[0]]})
    assert dup["err_code"] == "E3003"
    missing = await beijing.call(
        "2302",
        "650100",
        {"data": [{"feedetl_sn": "NOPE", "mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}]},
    )
    assert missing["err_code"] == "E3009"
    still = await beijing.call(
        "2404", "650100", {"data": {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}}
    )
    assert still["err_code"] == "E3002"  # lines first
    cancelled = await beijing.ok(
        "2302",
        "650100",
        {"data": [{"feedetl_sn": "0000", "mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}]},
    )
    assert cancelled["result"]["cancelled"] == 2
    await beijing.ok("2404", "650100", {"data": {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}})
    gone = await beijing.call("2301", "650100", {"feedetail": lines})
    assert gone["err_code"] == "E3002"


@pytest.mark.parametrize(
    ("insured", "treating", "hospital", "filing_dest"),
    [
        pytest.param("650100", "110000", "H11000000002", "110000", id="urumqi_in_beijing"),
        pytest.param("110000", "650100", "H65010000001", "650000", id="beijing_in_urumqi"),
        pytest.param("150200", "159900", "H15990000001", None, id="baotou_in_hohhot_intra"),
    ],
)
async def test_an_outpatient_visit(
    ahttp: httpx.AsyncClient,
    stack: Stack,
    insured: str,
    treating: str,
    hospital: str,
    filing_dest: str | None,
) -> None:
    clinic = Hospital(ahttp, stack, hospital, treating)
    person = await enrol(ahttp, stack, insured, balc="500.00")
    if filing_dest:
        await file(
            ahttp,
            stack,
            person["psn_no"],
            category="12",
            dest_admdvs=filing_dest,
            begndate=str(TODAY - timedelta(days=40)),
        )
    registered = await clinic.ok(
        "2201",
        insured,
        {
            "data": {
                "psn_no": person["psn_no"],
                "insutype": "310",
                "begntime": f"{datetime.now():%Y-%m-%d}",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person["certno"],
                "ipt_otp_no": "MZ0001",
                "dept_name": "全科",
            }
        },
    )
    mdtrt_id = registered["data"]["mdtrt_id"]
    await clinic.ok(
        "2203",
        insured,
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": person["psn_no"],
                "med_type": "11",
                "dise_codg": "J06.9",
                "dise_name": "急性上呼吸道感染",
            }
        },
    )
    lines = await clinic.lines(
        mdtrt_id, person["psn_no"], per_category=2, categories=("02", "04", "09", "11", "13")
    )
    await clinic.ok("2204", insured, {"feedetail": lines})
    total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
    body = settle_body(person, mdtrt_id, total, acct_used_flag="1")
    preview = await clinic.ok("2206", insured, body)
    settled = await clinic.ok("2207", insured, body)
    info = settled["setlinfo"]
    assert_balances(info, settled["setldetail"])
    assert D(info["medfee_sumamt"]) == total
    assert info["fund_pay_sumamt"] == preview["setlinfo"]["fund_pay_sumamt"]
    assert D(info["acct_pay"]) == min(D("500.00"), D(info["psn_part_amt"]))
    mirror = await clinic.ok(
        "2208",
        insured,
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}},
    )
    assert mirror["setlinfo"]["refd_setl_flag"] == "1"


async def test_the_same_item_is_classed_by_each_treating_region(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    """就医地目录: the treating region's catalogue decides the class, ratio and cap."""
    beijing = await ahttp.get(
        f"{stack.treating_url}/catalogue/110000/items", params={"q": "瑞舒伐他汀"}
    )
    urumqi = await ahttp.get(
        f"{stack.treating_url}/catalogue/650100/items", params={"q": "瑞舒伐他汀"}
    )
    b, u = beijing.json()[0], urumqi.json()[0]
    assert b["med_list_codg"] == u["med_list_codg"]
    assert (b["chrgitm_lv"], b["selfpay_prop"]) != (u["chrgitm_lv"], u["selfpay_prop"])


async def test_same_msgid_same_body_is_the_stored_answer_other_body_is_refused(
    ahttp: httpx.AsyncClient, stack: Stack, beijing: Hospital
) -> None:
    person = await enrol(ahttp, stack, "650100")
    envelope = beijing.envelope("2401", "650100", admission(person, med_type="24"))
    first = await beijing.send(envelope)
    again = await beijing.send(envelope)
    assert first["infcode"] == 0
    assert again["output"] == first["output"]
    changed = {**envelope, "input": admission(person, med_type="21")}
    assert (await beijing.send(changed))["err_code"] == "E9004"
