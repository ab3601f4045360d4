"""Scripted care through the gateway: a whole inpatient stay, an outpatient visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sim.his import His, settle_body, total_of


@dataclass(frozen=True, slots=True)
class Patient:
    psn_no: str
    certno: str
    insured: str
    insutype: str


@dataclass(frozen=True, slots=True)
class Settled:
    title: str
    his: His
    patient: Patient
    lines: int
    output: dict[str, Any]


def inpatient_stay(
    his: His,
    patient: Patient,
    *,
    lines: int,
    days: int = 6,
    med_type: str = "21",
    acct_used: bool = False,
    title: str = "",
) -> Settled:
    """2401 → 2301 → 2402 → 2303 → 2304, as a HIS runs a stay."""
    admitted = datetime.now() - timedelta(days=days)
    mdtrt_id = his.ok(
        "2401",
        patient.insured,
        {
            "mdtrtinfo": {
                "psn_no": patient.psn_no,
                "insutype": patient.insutype,
                "begntime": f"{admitted:%Y-%m-%d %H:%M:%S}",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": patient.certno,
                "med_type": med_type,
                "ipt_no": f"ZY{patient.psn_no[-8:]}",
            }
        },
    )["result"]["mdtrt_id"]
    fee_lines = his.lines(mdtrt_id, patient.psn_no, lines)
    for start in range(0, len(fee_lines), 200):  # HIS clients upload in batches
        his.ok("2301", patient.insured, {"feedetail": fee_lines[start : start + 200]})
    his.ok(
        "2402",
        patient.insured,
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": patient.psn_no,
                "endtime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
            }
        },
    )
    body = settle_body(patient.psn_no, mdtrt_id, total_of(fee_lines), patient.insutype, acct_used)
    his.ok("2303", patient.insured, body)
    output = his.ok("2304", patient.insured, body)
    return Settled(title or "inpatient stay", his, patient, len(fee_lines), output)


def outpatient_visit(
    his: His,
    patient: Patient,
    *,
    lines: int,
    med_type: str = "11",
    chronic_code: str | None = None,
    acct_used: bool = True,
    title: str = "",
) -> Settled:
    """2201 → 2203 → 2204 → 2206 → 2207."""
    mdtrt_id = his.ok(
        "2201",
        patient.insured,
        {
            "data": {
                "psn_no": patient.psn_no,
                "insutype": patient.insutype,
                "begntime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": patient.certno,
                "ipt_otp_no": f"MZ{patient.psn_no[-8:]}",
                "med_type": "11",
            }
        },
    )["data"]["mdtrt_id"]
    visit: dict[str, Any] = {"mdtrt_id": mdtrt_id, "psn_no": patient.psn_no, "med_type": med_type}
    if chronic_code:
        visit["opsp_dise_code"] = chronic_code
    his.ok("2203", patient.insured, {"mdtrtinfo": visit})
    categories = ("02", "04", "09", "11", "13") if med_type != "41" else ("09", "10", "11")
    fee_lines = his.lines(mdtrt_id, patient.psn_no, lines, categories)
    his.ok("2204", patient.insured, {"feedetail": fee_lines})
    body = settle_body(patient.psn_no, mdtrt_id, total_of(fee_lines), patient.insutype, acct_used)
    his.ok("2206", patient.insured, body)
    output = his.ok("2207", patient.insured, body)
    return Settled(title or "outpatient visit", his, patient, len(fee_lines), output)
