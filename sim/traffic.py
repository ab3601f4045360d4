"""Run planned cares through the treating region's gateway, as many hospitals would at once.

Closed loop (``--concurrency N``: N cares in flight) or open loop (``--rate R``: a care starts
every 1/R s whatever the answers do). Patients and their filings are enrolled first, through the
insured region's admin API (what the national app and the counter do); the measured traffic goes
to the gateway only, signed with the ``x-tif-*`` headers.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from shared.auth import institution_token, signed_headers
from shared.certificates import id_check_char
from shared.operator_access import operator_headers
from shared.settings import DEV_OPERATOR_TOKEN
from shared.settlement import setlinfo_violations
from sim.http import HttpError, LeanClient
from sim.plan import CarePlan
from sim.report import CareOutcome

GATEWAY = "/fsi/api/rsfComIfsService/callService"
ALL_CATEGORIES = tuple(f"{c:02d}" for c in range(1, 15))
OUTPATIENT_CATEGORIES = ("02", "03", "04", "05", "09", "11", "13")
PHARMACY_CATEGORIES = ("09", "10", "11")
_SEQ = itertools.count(random.randrange(10000))


class Refused(Exception):
    """The gateway answered infcode -1."""

    def __init__(self, infno: str, answer: dict[str, Any], latency_ms: float) -> None:
        self.infno = infno
        self.err_code = str(answer.get("err_code"))
        self.latency_ms = latency_ms
        super().__init__(f"{infno}: {self.err_code} {answer.get('err_msg')}")


@dataclass
class Endpoints:
    treating_url: str
    insured_url: str
    secret: str = field(
        default_factory=lambda: os.environ.get("RELAY_HOSPITAL_SECRET", "dev-hospital-secret")
    )


def operator_token() -> str:
    """The insured region's operator token (its ``INSURED_REGION_OPERATOR_TOKEN``): enrolling
    patients and filings goes through its admin API, as the national app and the counter do."""
    return os.environ.get("RELAY_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN)


class Gateway:
    """One HTTP client for every simulated hospital; each message signed for its institution."""

    def __init__(self, endpoints: Endpoints) -> None:
        self._http = LeanClient(endpoints.treating_url)
        self._endpoints = endpoints
        self._tokens: dict[str, str] = {}
        self.calls = 0

    async def call(
        self, plan: CarePlan, infno: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], float]:
        code = plan.fixmedins_code
        now = datetime.now()
        envelope = {
            "infno": infno,
            "msgid": f"{code}{now:%Y%m%d%H%M%S}{next(_SEQ) % 10000:04d}",
            "mdtrtarea_admvs": plan.treating,
            "insuplc_admdvs": plan.insured,
            "recer_sys_code": "FSI",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": f"{now:%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": code,
            "input": body,
        }
        token = self._tokens.get(code)
        if token is None:
            token = self._tokens[code] = institution_token(self._endpoints.secret, code)
        started = time.perf_counter()
        status, answer = await self._http.post_json(
            GATEWAY, envelope, lambda: signed_headers(code, token, str(int(time.time() * 1000)))
        )
        latency = (time.perf_counter() - started) * 1000
        self.calls += 1
        if status != 200 or not isinstance(answer, dict):
            raise HttpError(f"HTTP {status} from the gateway")
        return answer, latency

    async def close(self) -> None:
        await self._http.close()

    async def ok(
        self, plan: CarePlan, infno: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], float]:
        answer, latency = await self.call(plan, infno, body)
        if answer.get("infcode") != 0:
            raise Refused(infno, answer, latency)
        output: dict[str, Any] = answer.get("output") or {}
        return output, latency


class Catalogue:
    """The items each treating region lists, fetched once (what a HIS keeps locally)."""

    def __init__(self, http: httpx.AsyncClient, treating_url: str) -> None:
        self._http = http
        self._url = treating_url
        self._items: dict[tuple[str, str], list[dict[str, Any]]] = {}

    async def load(self, regions: Sequence[str]) -> None:
        for admdvs in regions:
            for category in ALL_CATEGORIES:
                response = await self._http.get(
                    f"{self._url}/catalogue/{admdvs}/items",
                    params={"med_chrgitm_type": category, "limit": 500},
                )
                self._items[(admdvs, category)] = response.json()

    def lines(self, plan: CarePlan, mdtrt_id: str, rng: random.Random) -> list[dict[str, Any]]:
        categories = {"inpatient": ALL_CATEGORIES, "pharmacy": PHARMACY_CATEGORIES}.get(
            plan.kind, OUTPATIENT_CATEGORIES
        )
        lines = []
        for n in range(plan.lines):
            category = categories[n] if n < len(categories) else rng.choice(categories)
            item = rng.choice(self._items[(plan.treating, category)])
            pric = Decimal(item["ref_price"] or "1.00")
            cnt = Decimal(rng.choice((1, 1, 1, 2, 3, 5, 10)))
            lines.append(
                {
                    "feedetl_sn": f"{n + 1:06d}",
                    "mdtrt_id": mdtrt_id,
                    "psn_no": plan.psn_no,
                    "med_list_codg": item["med_list_codg"],
                    "medins_list_codg": f"HIS{n + 1:05d}",
                    "pric": str(pric),
                    "cnt": str(cnt),
                    "det_item_fee_sumamt": str(
                        (pric * cnt).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    ),
                }
            )
        return lines


def _refunds(
    plan: CarePlan, lines: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """Give back one unit of a few lines (negative cnt, the original's feedetl_sn)."""
    chosen = rng.sample(lines, min(plan.refunds, len(lines)))
    return [
        {
            **line,
            "feedetl_sn": f"R{i + 1:05d}",
            "init_feedetl_sn": line["feedetl_sn"],
            "cnt": "-1",
            "det_item_fee_sumamt": str(-Decimal(line["pric"])),
        }
        for i, line in enumerate(chosen)
    ]


def _total(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(x["det_item_fee_sumamt"]) for x in lines), Decimal(0))


async def enrol(http: httpx.AsyncClient, insured_url: str, plan: CarePlan) -> None:
    body = plan.person_body()
    for attempt in range(5):
        response = await http.post(
            f"{insured_url}/admin/persons", json=body, headers=operator_headers(operator_token())
        )
        if response.status_code == 201:
            break
        if "E1003" not in response.text or attempt == 4:
            raise RuntimeError(f"could not enrol {plan.psn_no}: {response.text[:300]}")
        # an earlier run holds this id number: the same person, another certificate
        certno = body["certno"]
        seq = (int(certno[14:17]) + 2 * (attempt + 1)) % 1000
        first17 = certno[:14] + f"{seq:03d}"
        body = {**body, "certno": first17 + id_check_char(first17)}
    if plan.filing is not None:
        await file(
            http,
            insured_url,
            plan.psn_no,
            plan.filing.category,
            plan.filing.dest_admdvs,
            plan.filing.begndate.isoformat(),
        )


async def enrol_all(
    http: httpx.AsyncClient, insured_url: str, plans: Sequence[CarePlan], concurrency: int = 16
) -> None:
    """Every planned patient and filing, before the measured traffic starts."""
    progress = Progress(len(plans), "enrolling patients")
    gate = asyncio.Semaphore(concurrency)

    async def one(plan: CarePlan) -> None:
        async with gate:
            await enrol(http, insured_url, plan)
        progress.tick(True)

    await asyncio.gather(*(one(p) for p in plans))


async def file(
    http: httpx.AsyncClient, insured_url: str, psn_no: str, category: str, dest: str, begndate: str
) -> None:
    response = await http.post(
        f"{insured_url}/admin/persons/{psn_no}/filings",
        json={"category": category, "dest_admdvs": dest, "begndate": begndate},
        headers=operator_headers(operator_token()),
    )
    if response.status_code != 201:
        raise RuntimeError(f"could not file for {psn_no}: {response.text[:300]}")


async def run_care(
    gw: Gateway,
    catalogue: Catalogue,
    http: httpx.AsyncClient,
    insured_url: str,
    plan: CarePlan,
    started_at: float,
) -> CareOutcome:
    """One patient's care, from admission or registration to the settlement."""
    rng = random.Random(plan.n)
    calls_before = gw.calls
    settle_ms = 0.0
    try:
        register = {
            "psn_no": plan.psn_no,
            "insutype": plan.insutype,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": plan.certno,
            "med_type": plan.med_type,
            "begntime": f"{plan.admitted:%Y-%m-%d %H:%M:%S}",
            "emergency_flag": "1" if plan.emergency else "0",
            "trum_flag": "1" if plan.trauma else "0",
            "rel_ttp_flag": "1" if plan.third_party else "0",
        }
        if plan.inpatient:
            infno, body = "2401", {"mdtrtinfo": {**register, "ipt_no": f"ZY{plan.n:08d}"}}
        else:
            infno, body = "2201", {"data": {**register, "ipt_otp_no": f"MZ{plan.n:08d}"}}
        try:
            output, _ = await gw.ok(plan, infno, body)
        except Refused as refused:
            if plan.retro_filing is None or refused.err_code != "E2001":
                raise
            f = plan.retro_filing  # 补办: the patient files from the ward, before discharge
            await file(
                http, insured_url, plan.psn_no, f.category, f.dest_admdvs, f.begndate.isoformat()
            )
            output, _ = await gw.ok(plan, infno, body)
        mdtrt_id = (output.get("result") or output.get("data") or {})["mdtrt_id"]
        if plan.kind == "chronic":
            await gw.ok(
                plan,
                "2503",
                {
                    "data": {
                        "psn_no": plan.psn_no,
                        "opsp_dise_code": plan.chronic_code,
                        "begndate": f"{plan.admitted:%Y-%m-%d}",
                    }
                },
            )
        if not plan.inpatient:
            visit: dict[str, Any] = {
                "mdtrt_id": mdtrt_id,
                "psn_no": plan.psn_no,
                "med_type": plan.med_type,
            }
            if plan.chronic_code:
                visit["opsp_dise_code"] = plan.chronic_code
            await gw.ok(plan, "2203", {"mdtrtinfo": visit})
        lines = catalogue.lines(plan, mdtrt_id, rng)
        upload = "2301" if plan.inpatient else "2204"
        for start in range(0, len(lines), 200):
            await gw.ok(plan, upload, {"feedetail": lines[start : start + 200]})
        refunds = _refunds(plan, lines, rng)
        if refunds:
            await gw.ok(plan, upload, {"feedetail": refunds})
        if plan.inpatient:
            await gw.ok(
                plan,
                "2402",
                {
                    "dscginfo": {
                        "mdtrt_id": mdtrt_id,
                        "psn_no": plan.psn_no,
                        "endtime": f"{plan.discharged:%Y-%m-%d %H:%M:%S}",
                    }
                },
            )
        settle_body = {
            "data": {
                "psn_no": plan.psn_no,
                "mdtrt_id": mdtrt_id,
                "insutype": plan.insutype,
                "medfee_sumamt": str(_total(lines) + _total(refunds)),
                "acct_used_flag": "1" if plan.acct_used else "0",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": plan.certno,
            }
        }
        pre, settle, cancel = (
            ("2303", "2304", "2305") if plan.inpatient else ("2206", "2207", "2208")
        )
        await gw.ok(plan, pre, settle_body)
        output, settle_ms = await gw.ok(plan, settle, settle_body)
        if plan.cancel_resettle:
            await gw.ok(
                plan,
                cancel,
                {
                    "data": {
                        "psn_no": plan.psn_no,
                        "mdtrt_id": mdtrt_id,
                        "setl_id": output["setlinfo"]["setl_id"],
                    }
                },
            )
            output, settle_ms = await gw.ok(plan, settle, settle_body)
    except Refused as refused:
        outcome = (
            "unknown"
            if refused.err_code == "E5002"
            else ("refused" if refused.err_code[:2] in ("E1", "E2", "E3", "E4") else "error")
        )
        return CareOutcome(
            plan.kind,
            plan.case,
            plan.insured,
            plan.treating,
            _route(plan),
            outcome,
            refused.err_code,
            refused.latency_ms,
            gw.calls - calls_before,
            plan.lines,
            None,
            (),
            time.perf_counter() - started_at,
        )
    except (httpx.HTTPError, HttpError, OSError, KeyError, ValueError) as exc:
        return CareOutcome(
            plan.kind,
            plan.case,
            plan.insured,
            plan.treating,
            _route(plan),
            "error",
            type(exc).__name__,
            0.0,
            gw.calls - calls_before,
            plan.lines,
            None,
            (),
            time.perf_counter() - started_at,
        )
    info = output["setlinfo"]
    return CareOutcome(
        plan.kind,
        plan.case,
        plan.insured,
        plan.treating,
        _route(plan),
        "settled",
        None,
        settle_ms,
        gw.calls - calls_before,
        plan.lines,
        {k: str(v) for k, v in info.items() if v is not None},
        tuple(setlinfo_violations(info, output.get("setldetail", []))),
        time.perf_counter() - started_at,
    )


def _route(plan: CarePlan) -> str:
    return "intra" if plan.insured[:2] == plan.treating[:2] else "cross"


class Progress:
    """A one-line progress bar on a terminal; a line every 10 % otherwise."""

    def __init__(self, total: int, label: str) -> None:
        self._total = max(total, 1)
        self._label = label
        self._done = 0
        self._errors = 0
        self._started = time.perf_counter()
        self._tty = sys.stderr.isatty()
        self._next_tenth = 1

    def tick(self, ok: bool) -> None:
        self._done += 1
        self._errors += 0 if ok else 1
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        if self._tty:
            width = 30
            filled = int(width * self._done / self._total)
            sys.stderr.write(
                f"\r{self._label} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self._done}/{self._total} {self._done / elapsed:6.1f}/s "
                f"not settled {self._errors}   "
            )
            if self._done == self._total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif self._done * 10 >= self._next_tenth * self._total:
            self._next_tenth += 1
            print(
                f"{self._label}: {self._done}/{self._total} ({self._done / elapsed:.1f}/s)",
                file=sys.stderr,
            )


async def drive(
    plans: Sequence[CarePlan],
    care: Callable[[CarePlan, float], Any],
    *,
    concurrency: int | None,
    rate: float | None,
    label: str = "cares",
) -> tuple[list[CareOutcome], float]:
    """Closed loop with ``concurrency`` in flight, or open loop at ``rate`` cares/s."""
    progress = Progress(len(plans), label)
    outcomes: list[CareOutcome] = []
    started = time.perf_counter()

    async def one(plan: CarePlan) -> None:
        outcome: CareOutcome = await care(plan, started)
        outcomes.append(outcome)
        progress.tick(outcome.outcome == "settled" or outcome.err_code == plan.expect)

    if rate:
        tasks = []
        for i, plan in enumerate(plans):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(plan)))
        await asyncio.gather(*tasks)
    else:
        queue: asyncio.Queue[CarePlan] = asyncio.Queue()
        for plan in plans:
            queue.put_nowait(plan)

        async def worker() -> None:
            while not queue.empty():
                await one(queue.get_nowait())

        await asyncio.gather(*(worker() for _ in range(concurrency or 16)))
    return outcomes, time.perf_counter() - started


def now_tag() -> str:
    return datetime.now(UTC).strftime("%y%m%d%H%M%S")
