"""A simulated HIS that does what the conformance kit expects (design §8b), and can be told to
do it wrong, so the kit's report can be seen failing for the right reasons.

It signs in (9001), queries a person (1101), settles four outpatient visits (one cancelled with
2208, one reversed with 2601), one inpatient stay (cancelled with 2305), and reconciles the day
(3201). Whatever the session forces on it, it handles as a HIS should:

- E1001 on 1101: the clerk re-reads the card, and the query goes again under a new msgid;
- E2001 on registration: the patient files (备案), and the registration goes again under a new
  msgid;
- E5002 on a settlement (a lost reply, or a timeout after a long wait): it reads the message's
  outcome (``GET /fsi/messages/{msgid}``) and takes the settlement from there.

``Faults`` makes it the client vendors get wrong: a refused msgid resent with another body, a lost
reply ignored, ``insuplc_admdvs`` left out of the visit's calls after registration.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from shared.auth import institution_token, signed_headers
from shared.identities import AREA_CODE, make_id_no
from shared.operator_access import operator_headers

GATEWAY = "/fsi/api/rsfComIfsService/callService"
FAULTS = ("reuse_msgid", "ignore_lost_reply", "omit_insuplc")


@dataclass(frozen=True)
class Faults:
    reuse_msgid: bool = False
    """Resend a refused msgid with another body (what E9004 answers)."""
    ignore_lost_reply: bool = False
    """Neither read the outcome of a settlement answered E5002 nor reverse it."""
    omit_insuplc: bool = False
    """Leave ``insuplc_admdvs`` out of every call after the registration."""

    @classmethod
    def named(cls, names: list[str]) -> Faults:
        unknown = set(names) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
        return cls(**dict.fromkeys(names, True))


class Refused(Exception):
    def __init__(self, infno: str, answer: dict[str, Any]) -> None:
        self.err_code = str(answer.get("err_code"))
        super().__init__(f"{infno}: {self.err_code} {answer.get('err_msg')}")


@dataclass
class Patient:
    psn_no: str
    certno: str
    psn_name: str
    insutype: str = "310"


@dataclass
class KitHospital:
    http: httpx.Client
    treating_url: str
    insured_url: str
    fixmedins_code: str
    treating: str
    insured: str
    secret: str
    operator_token: str
    faults: Faults = field(default_factory=Faults)
    log: list[str] = field(default_factory=list)
    sign_no: str | None = None
    _filed: Patient | None = None
    last_msgid: str = ""
    """The msgid of the last call ``ok`` made (after any retry under a new msgid)."""
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _rng: random.Random = field(default_factory=random.Random)

    # ---- the wire --------------------------------------------------------------------------

    def msgid(self) -> str:
        return f"{self.fixmedins_code}{datetime.now():%Y%m%d%H%M%S}{next(self._seq) % 10000:04d}"

    def _headers(self) -> dict[str, str]:
        token = institution_token(self.secret, self.fixmedins_code)
        return signed_headers(self.fixmedins_code, token, str(int(time.time() * 1000)))

    def envelope(
        self, infno: str, body: dict[str, Any], *, msgid: str | None = None, insuplc: bool = True
    ) -> dict[str, Any]:
        envelope = {
            "infno": infno,
            "msgid": msgid or self.msgid(),
            "mdtrtarea_admvs": self.treating,
            "insuplc_admdvs": self.insured,
            "recer_sys_code": "FSI",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.fixmedins_code,
            "fixmedins_name": "一致性测试医院",
            "input": body,
        }
        if self.sign_no:
            envelope["sign_no"] = self.sign_no
        if not insuplc:
            del envelope["insuplc_admdvs"]
        return envelope

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(
            f"{self.treating_url}{GATEWAY}", json=envelope, headers=self._headers()
        )
        answer: dict[str, Any] = response.json()
        code = "0" if answer.get("infcode") == 0 else answer.get("err_code")
        self.log.append(f"{envelope['infno']} {envelope['msgid']} → {code}")
        return answer

    def ok(self, infno: str, body: dict[str, Any], *, visit_call: bool = False) -> dict[str, Any]:
        """Send, and handle what the kit may force, as a HIS should (or as ``faults`` says)."""
        envelope = self.envelope(infno, body, insuplc=not (visit_call and self.faults.omit_insuplc))
        answer = self.send(envelope)
        self.last_msgid = envelope["msgid"]
        if answer.get("infcode") == 0:
            output: dict[str, Any] = answer.get("output") or {}
            return output
        code = str(answer.get("err_code"))
        if code in ("E1001", "E2001"):
            if self.faults.reuse_msgid:  # "fix" the body and send it under the same msgid
                self.send({**envelope, "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                           "opter": "0002"})  # fmt: skip
            if code == "E2001":
                self.file()
            return self.ok(infno, body, visit_call=visit_call)
        if code == "E5002":
            if self.faults.ignore_lost_reply:
                return {}  # and carries on as if nothing had been sent
            return self.outcome_of(envelope["msgid"], infno)
        raise Refused(infno, answer)

    def outcome_of(self, msgid: str, infno: str) -> dict[str, Any]:
        """After E5002: what became of the message, read back as the gateway offers."""
        for _ in range(20):
            response = self.http.get(
                f"{self.treating_url}/fsi/messages/{msgid}", headers=self._headers()
            )
            found = response.json()
            self.log.append(f"read {msgid} → {found.get('status')}")
            if found.get("status") in ("ok", "late_ok"):
                output: dict[str, Any] = found["output"]
                return output
            if found.get("status") in ("error", "late_error"):
                raise Refused(infno, found)
            time.sleep(0.5)
        raise Refused(infno, {"err_code": "E5002", "err_msg": "outcome still unknown"})

    # ---- the patients ----------------------------------------------------------------------

    def enrol(self) -> Patient:
        """A fresh person insured in ``insured`` (the insured region's admin API, as its
        counter does), with a filing for ``treating`` begun a month ago."""
        rng = self._rng
        brdy = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        gend = rng.choice("12")
        certno = make_id_no(AREA_CODE[self.insured], brdy, rng.randint(0, 998), gend)
        person: dict[str, Any] = {
            "psn_no": f"{self.insured}K{rng.getrandbits(60):019d}"[:30],
            "insuplc_admdvs": self.insured,
            "psn_cert_type": "01",
            "certno": certno,
            "psn_name": rng.choice("王李张刘陈") + rng.choice("伟芳娜敏静"),
            "gend": gend,
            "brdy": brdy.isoformat(),
            "insurances": [
                {"insutype": "310", "psn_type": "11", "psn_insu_date": "2010-01-01",
                 "balc": "500.00"}
            ],
        }  # fmt: skip
        response = self.http.post(
            f"{self.insured_url}/admin/persons",
            json=person,
            headers=operator_headers(self.operator_token),
        )
        response.raise_for_status()
        patient = Patient(str(person["psn_no"]), certno, str(person["psn_name"]))
        self._filed = patient
        self.file(patient)
        return patient

    def file(self, patient: Patient | None = None) -> None:
        """备案, as the patient does through the national app (an existing filing stands)."""
        patient = patient or self._filed
        assert patient is not None
        begndate = date.today() - timedelta(days=30)
        response = self.http.post(
            f"{self.insured_url}/admin/persons/{patient.psn_no}/filings",
            json={"category": "12", "dest_admdvs": self.treating, "begndate": str(begndate)},
            headers=operator_headers(self.operator_token),
        )
        self.log.append(f"filing for {patient.psn_no[-6:]} → HTTP {response.status_code}")

    def items(self, category: str) -> list[dict[str, Any]]:
        response = self.http.get(
            f"{self.treating_url}/catalogue/{self.treating}/items",
            params={"med_chrgitm_type": category, "limit": 20},
        )
        found: list[dict[str, Any]] = response.json()
        return found

    def lines(self, mdtrt_id: str, patient: Patient, categories: tuple[str, ...]) -> list[Any]:
        lines = []
        for n, category in enumerate(categories, 1):
            item = self._rng.choice(self.items(category))
            pric = Decimal(item["ref_price"] or "1.00")
            cnt = Decimal(self._rng.choice((1, 2, 3)))
            lines.append(
                {
                    "feedetl_sn": f"{n:06d}",
                    "mdtrt_id": mdtrt_id,
                    "psn_no": patient.psn_no,
                    "fee_ocur_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                    "med_list_codg": item["med_list_codg"],
                    "medins_list_codg": f"HIS{n:05d}",
                    "pric": str(pric),
                    "cnt": str(cnt),
                    "det_item_fee_sumamt": str(
                        (pric * cnt).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    ),
                }
            )
        return lines

    # ---- the flows -------------------------------------------------------------------------

    def sign_in(self) -> None:
        output = self.ok("9001", {"signIn": {"opter_no": "0001"}})
        self.sign_no = output["signinoutb"]["sign_no"]

    def person_query(self, patient: Patient) -> str:
        output = self.ok(
            "1101",
            {
                "data": {
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": patient.certno,
                    "psn_cert_type": "01",
                    "certno": patient.certno,
                    "psn_name": patient.psn_name,
                }
            },
        )
        psn_no: str = output["baseinfo"]["psn_no"]
        return psn_no

    def _settle_body(self, patient: Patient, mdtrt_id: str, total: Decimal) -> dict[str, Any]:
        return {
            "data": {
                "psn_no": patient.psn_no,
                "mdtrt_id": mdtrt_id,
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": patient.certno,
                "medfee_sumamt": str(total),
                "insutype": patient.insutype,
                "acct_used_flag": "0",
            }
        }

    def outpatient(self, patient: Patient) -> tuple[str, dict[str, Any] | None, str]:
        """2201 → 2204 → 2206 → 2207: (mdtrt_id, the settlement or None, the 2207's msgid)."""
        self._filed = patient
        registered = self.ok(
            "2201",
            {
                "data": {
                    "psn_no": patient.psn_no,
                    "insutype": patient.insutype,
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": patient.certno,
                    "med_type": "11",
                    "begntime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                    "ipt_otp_no": f"MZ{next(self._seq):08d}",
                }
            },
        )
        mdtrt_id = registered["data"]["mdtrt_id"]
        lines = self.lines(mdtrt_id, patient, ("09", "03"))
        self.ok("2204", {"feedetail": lines}, visit_call=True)
        total = sum((Decimal(x["det_item_fee_sumamt"]) for x in lines), Decimal(0))
        body = self._settle_body(patient, mdtrt_id, total)
        self.ok("2206", body, visit_call=True)
        settled = self.ok("2207", body, visit_call=True)
        return mdtrt_id, settled.get("setlinfo"), self.last_msgid

    def inpatient(self, patient: Patient) -> None:
        """2401 → 2301 → 2402 → 2303 → 2304, then 2305."""
        self._filed = patient
        admitted = self.ok(
            "2401",
            {
                "mdtrtinfo": {
                    "psn_no": patient.psn_no,
                    "insutype": patient.insutype,
                    "begntime": f"{datetime.now() - timedelta(days=3):%Y-%m-%d %H:%M:%S}",
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": patient.certno,
                    "med_type": "21",
                    "ipt_no": f"ZY{next(self._seq):08d}",
                    "adm_dept_name": "心内科",
                },
                "diseinfo": [{"diag_type": "1", "diag_code": "I21.9", "diag_name": "急性心肌梗死"}],
            },
        )
        mdtrt_id = admitted["result"]["mdtrt_id"]
        lines = self.lines(mdtrt_id, patient, ("01", "09", "08", "03"))
        self.ok("2301", {"feedetail": lines}, visit_call=True)
        self.ok(
            "2402",
            {
                "dscginfo": {
                    "mdtrt_id": mdtrt_id,
                    "psn_no": patient.psn_no,
                    "endtime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                }
            },
            visit_call=True,
        )
        total = sum((Decimal(x["det_item_fee_sumamt"]) for x in lines), Decimal(0))
        body = self._settle_body(patient, mdtrt_id, total)
        self.ok("2303", body, visit_call=True)
        info = self.ok("2304", body, visit_call=True)["setlinfo"]
        cancel = {"psn_no": patient.psn_no, "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}
        self.ok("2305", {"data": cancel}, visit_call=True)

    def reconcile(self) -> None:
        day = date.today().isoformat()
        self.ok(
            "3201",
            {
                "data": {
                    "setl_optins": self.insured,
                    "stmt_begndate": day,
                    "stmt_enddate": f"{day} 23:59:59",
                    "medfee_sumamt": "0.00",
                    "fund_pay_sumamt": "0.00",
                    "acct_pay": "0.00",
                    "fixmedins_setl_cnt": "0",
                }
            },
        )

    def run(self) -> None:
        """Every golden flow, in an order that meets each negative scenario's forced outcome
        first: the first 1101 and registration of the session are the ones armed, and the first
        two settlements the lost reply's and the timeout's."""
        first, second = self.enrol(), self.enrol()
        self.sign_in()
        self.person_query(first)
        self.outpatient(first)  # a lost reply, if armed, falls here
        self.outpatient(second)  # and a timeout here
        visit, settled, _ = self.outpatient(second)
        if settled is not None:
            cancel = {"psn_no": second.psn_no, "mdtrt_id": visit, "setl_id": settled["setl_id"]}
            self.ok("2208", {"data": cancel}, visit_call=True)
        visit, _, msgid = self.outpatient(first)
        self.ok(
            "2601",
            {"data": {"psn_no": first.psn_no, "omsgid": msgid, "oinfno": "2207",
                      "mdtrt_id": visit}},
        )  # fmt: skip
        self.inpatient(second)
        self.reconcile()
