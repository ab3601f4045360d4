"""Manual reimbursement (零星报销, design §8; seed 003 第十五、十六条) on the real stack: a hospital
uploads a visit it could not settle directly; the insured region settles the person's claim under
its **own** catalogue (an item classed differently in Beijing and Ürümqi shows whose list
applied) and its own policy, with a referral-level filing made afterwards; the claim is paid to
the person outside clearing, and both sides see it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.clock import CHINA_TZ
from tests.e2e.harness import OPERATOR, Stack, enrol, signed
from tests.e2e.test_reversal import year_of

pytestmark = pytest.mark.e2e

D = Decimal
HOSPITAL, TREATING, INSURED = "H11000000001", "110000", "650100"


async def _item(http: httpx.AsyncClient, stack: Stack, admdvs: str) -> dict[str, Any]:
    found = await http.get(
        f"{stack.treating_url}/catalogue/{admdvs}/items", params={"q": "瑞舒伐他汀"}
    )
    item: dict[str, Any] = found.json()[0]
    return item


def visit_of(person: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """Admitted and discharged at 03:00 China time, when the UTC date is the day before: the
    claim's days are China days."""
    now = datetime.now(CHINA_TZ).replace(hour=3, minute=0, second=0, tzinfo=None)
    pric = D(item["ref_price"])
    cnt = int(D("20000") / pric)  # well past the inpatient deductible
    return {
        "psn_no": person["psn_no"],
        "insuplc_admdvs": INSURED,
        "insutype": "310",
        "med_type": "21",
        "ipt_otp_no": "ZX" + person["psn_no"][-10:],
        "begntime": f"{now - timedelta(days=5):%Y-%m-%d %H:%M:%S}",  # China time, as sent
        "endtime": f"{now:%Y-%m-%d %H:%M:%S}",
        "diseinfo": [{"diag_type": "1", "diag_code": "I21.9", "diag_name": "急性心肌梗死"}],
        "feedetail": [
            {"feedetl_sn": "1", "med_list_codg": item["med_list_codg"], "pric": str(pric),
             "cnt": str(cnt), "det_item_fee_sumamt": str(pric * cnt)},
            {"feedetl_sn": "2", "med_list_codg": "X-NOT-LISTED", "pric": "300.00", "cnt": "1",
             "det_item_fee_sumamt": "300.00", "med_chrgitm_type": "14"},
        ],
        "memo": "医保信息系统故障，未能直接结算",
    }  # fmt: skip


async def test_a_self_paid_stay_is_reimbursed_under_the_insured_regions_catalogue(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    beijing, urumqi = await _item(ahttp, stack, TREATING), await _item(ahttp, stack, INSURED)
    assert (beijing["chrgitm_lv"], beijing["selfpay_prop"]) != (
        urumqi["chrgitm_lv"], urumqi["selfpay_prop"],
    )  # fmt: skip
    person = await enrol(ahttp, stack, INSURED, balc="0.00")  # no filing at all
    body = visit_of(person, urumqi)

    uploaded = await ahttp.post(
        f"{stack.treating_url}/selfpaid-visits", json=body, headers=signed(HOSPITAL)
    )
    assert uploaded.status_code == 200, uploaded.text
    visit = uploaded.json()
    again = await ahttp.post(
        f"{stack.treating_url}/selfpaid-visits", json=body, headers=signed(HOSPITAL)
    )
    assert again.json()["id"] == visit["id"]  # the same upload, the same visit
    unsigned = await ahttp.post(f"{stack.treating_url}/selfpaid-visits", json=body)
    assert unsigned.status_code == 401

    # the split each catalogue gives differs: the claim must take the insured region's
    splits = {}
    for admdvs in (TREATING, INSURED):
        read = await ahttp.get(
            f"{stack.treating_url}/admin/selfpaid-visits/{visit['id']}",
            params={"catalogue": admdvs},
            headers=OPERATOR,
        )
        splits[admdvs] = read.json()["split"]
    assert splits[TREATING]["preselfpay_amt"] != splits[INSURED]["preselfpay_amt"]

    claimed = await ahttp.post(
        f"{stack.insured_url}/admin/manual-claims",
        json={"psn_no": person["psn_no"], "visit_id": visit["id"]},
        headers=OPERATOR,
    )
    assert claimed.status_code == 200, claimed.text
    answer = claimed.json()
    info = answer["setlinfo"]
    assert (answer["filing"]["category"], answer["filing"]["made_now"]) == ("21", True)
    assert answer["treating_informed"] is True
    for name in ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                 "inscp_scp_amt"):  # fmt: skip
        assert D(info[name]) == D(splits[INSURED][name]), name
    assert D(info["fund_pay_sumamt"]) > 0
    parts = ("fund_pay_sumamt", "acct_pay", "psn_cash_pay")
    assert sum(D(info[p]) for p in parts) == D(info["medfee_sumamt"])

    # under its own policy and the year's accumulators, with the filing made from the China day
    assert (await year_of(ahttp, stack, person["psn_no"]))["inpatient_stays"] == "1"
    listed_filings = await ahttp.get(
        f"{stack.insured_url}/admin/persons/{person['psn_no']}/filings", headers=OPERATOR
    )
    [made] = [f for f in listed_filings.json()["filings"] if f["category"] == "21"]
    assert made["begndate"] == body["begntime"][:10]
    assert made["dest_admdvs"] == TREATING

    repeat = await ahttp.post(
        f"{stack.insured_url}/admin/manual-claims",
        json={"psn_no": person["psn_no"], "visit_id": visit["id"]},
        headers=OPERATOR,
    )
    assert repeat.json()["setlinfo"]["setl_id"] == info["setl_id"]
    assert repeat.json()["filing"]["made_now"] is False  # the filing made the first time

    # both sides see it: the hospital, the treating region's operators, the insured region's
    own = await ahttp.get(
        f"{stack.treating_url}/selfpaid-visits/{visit['id']}", headers=signed(HOSPITAL)
    )
    assert own.json()["claim"]["setl_id"] == info["setl_id"]
    other = await ahttp.get(
        f"{stack.treating_url}/selfpaid-visits/{visit['id']}", headers=signed("H11000000002")
    )
    assert other.status_code == 404  # another institution's visit is not found
    listed = await ahttp.get(
        f"{stack.insured_url}/admin/manual-claims",
        params={"psn_no": person["psn_no"]},
        headers=OPERATOR,
    )
    assert [c["setl_id"] for c in listed.json()] == [info["setl_id"]]

    # paid to the person, outside clearing: not in the insured day statement the hub reconciles
    day = info["setl_time"][:10]
    statement = await ahttp.get(f"{stack.insured_url}/admin/ledger/{day}", headers=OPERATOR)
    assert info["setl_id"] not in {s["setl_id"] for s in statement.json()["settlements"]}


async def test_a_claim_on_another_persons_visit_is_refused(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    person = await enrol(ahttp, stack, INSURED)
    other = await enrol(ahttp, stack, INSURED)
    uploaded = await ahttp.post(
        f"{stack.treating_url}/selfpaid-visits",
        json=visit_of(person, await _item(ahttp, stack, INSURED)),
        headers=signed(HOSPITAL),
    )
    refused = await ahttp.post(
        f"{stack.insured_url}/admin/manual-claims",
        json={"psn_no": other["psn_no"], "visit_id": uploaded.json()["id"]},
        headers=OPERATOR,
    )
    assert refused.status_code == 404
    assert refused.json()["err_code"] == "E1001"
