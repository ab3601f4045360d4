"""Start the three real service processes (or target a running deployment) for end-to-end tests.

Set RELAY_E2E_TREATING_URL, RELAY_E2E_HUB_URL and RELAY_E2E_INSURED_URL to run the suite against
a deployment that is already up (e.g. docker compose); otherwise the processes are started here,
on their own ports and their own RabbitMQ vhost (``relay_test``), and stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.stack import Stack as Stack
from bench.stack import database_url, fresh_databases, fresh_journal, wait_healthy
from bench.stack import start_stack as launch
from services.treating_region.adapters.catalogue_loader import load_institutions
from shared.auth import institution_token, signed_headers
from shared.clock import BusinessClock
from shared.identities import AREA_CODE, make_id_no
from shared.operator_access import operator_headers
from shared.regions import POOLS
from shared.settings import DEV_OPERATOR_PII_TOKEN, DEV_OPERATOR_TOKEN

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / ".run" / "e2e"

GATEWAY = "/fsi/api/rsfComIfsService/callService"

UNSERVED_REGION = "220100"
"""A pool the test insured-region process does not serve: its requests are never answered."""

TEST_DEADLINE_S = 2.0
E2E_SUFFIX = os.environ.get("RELAY_E2E_DB_SUFFIX", "_e2e")
"""The suite's databases are ``<service><suffix>``: a second suite on the machine sets its own
(with ``RELAY_E2E_PORT_OFFSET`` and its own vhost in ``RELAY_E2E_AMQP_URL``)."""
PORT_OFFSET = int(os.environ.get("RELAY_E2E_PORT_OFFSET", "0"))

OPERATOR_TOKEN = os.environ.get("RELAY_E2E_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN)
OPERATOR_PII_TOKEN = os.environ.get("RELAY_E2E_OPERATOR_PII_TOKEN", DEV_OPERATOR_PII_TOKEN)
OPERATOR = operator_headers(OPERATOR_TOKEN)
"""What every admin API asks for (design §3); personal data in its answers comes masked."""
OPERATOR_PII = operator_headers(OPERATOR_PII_TOKEN)
"""The right to ask for personal data in clear (``unmasked=true``)."""


EXTERNAL = bool(os.environ.get("RELAY_E2E_TREATING_URL"))
"""The suite runs against a deployment that is already up (its base URLs given), not its own
processes: tests that start stacks of their own (with a business clock, several processes, a
cluster) are skipped, since they would not test the deployment."""


def start_stack() -> Stack:
    if EXTERNAL:
        stack = Stack(
            treating_url=os.environ["RELAY_E2E_TREATING_URL"],
            hub_url=os.environ["RELAY_E2E_HUB_URL"],
            insured_url=os.environ["RELAY_E2E_INSURED_URL"],
            log_dir=LOG_DIR,
            compose=shlex.split(os.environ.get("RELAY_E2E_COMPOSE", "")),
        )
        stack.unserved_region = os.environ.get("RELAY_E2E_UNSERVED_REGION") or None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        for url in (stack.hub_url, stack.insured_url, stack.treating_url):
            wait_healthy(url, None, None)
        return stack
    amqp_url = os.environ.get("RELAY_E2E_AMQP_URL", "amqp://relay:relay@127.0.0.1:5672/relay_test")
    stack = start_local_stack(
        amqp_url=amqp_url,
        suffix=E2E_SUFFIX,
        first_port=18001 + PORT_OFFSET,
        log_dir=LOG_DIR,
        unserved=UNSERVED_REGION,
        treating={"REPLY_DEADLINE_S": str(TEST_DEADLINE_S)},
    )
    stack.unserved_region = UNSERVED_REGION
    return stack


def start_local_stack(
    *,
    amqp_url: str,
    suffix: str,
    first_port: int,
    log_dir: Path,
    unserved: str | None = None,
    business_clock: BusinessClock | None = None,
    hub: dict[str, str] | None = None,
    treating: dict[str, str] | None = None,
) -> Stack:
    """The three processes on ``first_port`` (treating), +1 (hub), +2 (insured), on databases
    ``<service><suffix>`` made fresh and a fresh journal on ``amqp_url``'s vhost: a suite never
    mixes with a developer's data, nor one stack with another."""
    served = ",".join(p for p in POOLS if p != unserved)
    tokens = {"OPERATOR_TOKEN": OPERATOR_TOKEN, "OPERATOR_PII_TOKEN": OPERATOR_PII_TOKEN}
    asyncio.run(fresh_databases(suffix))
    asyncio.run(fresh_journal(amqp_url))
    return launch(
        ports={
            "treating_region": first_port,
            "national_hub": first_port + 1,
            "insured_region": first_port + 2,
        },
        settings={
            "national_hub": {
                "AMQP_URL": amqp_url,
                "DATABASE_URL": database_url("national_hub", suffix),
                "TREATING_URL": f"http://127.0.0.1:{first_port}",
                "INSURED_URL": f"http://127.0.0.1:{first_port + 2}",
                "PEER_OPERATOR_TOKEN": OPERATOR_TOKEN,
                **tokens,
                **(hub or {}),
            },
            "insured_region": {
                "AMQP_URL": amqp_url,
                "REGIONS": served,
                "DATABASE_URL": database_url("insured_region", suffix),
                "TREATING_URL": f"http://127.0.0.1:{first_port}",
                "TREATING_OPERATOR_TOKEN": OPERATOR_TOKEN,
                **tokens,
            },
            "treating_region": {
                "AMQP_URL": amqp_url,
                "DATABASE_URL": database_url("treating_region", suffix),
                "HUB_URL": f"http://127.0.0.1:{first_port + 1}",
                "HUB_OPERATOR_TOKEN": OPERATOR_TOKEN,
                **tokens,
                **(treating or {}),
            },
        },
        log_dir=log_dir,
        business_clock=business_clock,
    )


_rng = random.Random()
_seq = 0


def new_msgid(fixmedins_code: str) -> str:
    global _seq
    _seq = (_seq + 1) % 10000
    return f"{fixmedins_code}{datetime.now():%Y%m%d%H%M%S}{_seq:04d}"


def hospital_code(admdvs: str, *, need: str = "outpatient") -> str:
    """A designated institution of the region (only those may call, design §3)."""
    codes = [
        i.fixmedins_code
        for i in load_institutions().values()
        if i.admdvs == admdvs and getattr(i, need) and i.fixmedins_code.startswith("H")
    ]
    return _rng.choice(codes)


def new_person(admdvs: str, *, insutype: str = "310", psn_type: str = "11") -> dict[str, Any]:
    brdy = date(_rng.randint(1950, 2000), _rng.randint(1, 12), _rng.randint(1, 28))
    gend = _rng.choice("12")
    certno = make_id_no(AREA_CODE[admdvs], brdy, _rng.randint(0, 998), gend)
    return {
        "psn_no": f"{admdvs}T{_rng.getrandbits(60):019d}"[:30],
        "insuplc_admdvs": admdvs,
        "psn_cert_type": "01",
        "certno": certno,
        "psn_name": _rng.choice("王李张刘陈") + _rng.choice("伟芳娜敏静"),
        "gend": gend,
        "brdy": brdy.isoformat(),
        "insurances": [
            {
                "insutype": insutype,
                "psn_type": psn_type,
                "psn_insu_date": "2010-01-01",
                "balc": "1234.50",
            }
        ],
    }


def envelope_1101(
    *,
    treating: str,
    insured: str,
    certno: str,
    psn_name: str | None = None,
    fixmedins_code: str | None = None,
    msgid: str | None = None,
) -> dict[str, Any]:
    code = fixmedins_code or hospital_code(treating)
    return {
        "infno": "1101",
        "msgid": msgid or new_msgid(code),
        "mdtrtarea_admvs": treating,
        "insuplc_admdvs": insured,
        "recer_sys_code": "FSI",
        "infver": "V1.0",
        "opter_type": "1",
        "opter": "0001",
        "opter_name": "收费员",
        "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
        "fixmedins_code": code,
        "fixmedins_name": "测试医院",
        "sign_no": "",
        "input": {
            "data": {
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": certno,
                "psn_cert_type": "01",
                "certno": certno,
                "psn_name": psn_name or "",
            }
        },
    }


async def enrol(
    http: httpx.AsyncClient, stack: Stack, admdvs: str, **insurance: Any
) -> dict[str, Any]:
    """Enrol a fresh person through the insured region's admin API."""
    person = new_person(admdvs)
    person["insurances"][0].update(insurance)
    response = await http.post(f"{stack.insured_url}/admin/persons", json=person, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return person


async def file(http: httpx.AsyncClient, stack: Stack, psn_no: str, **body: Any) -> dict[str, Any]:
    """File (备案) as the national app would."""
    response = await http.post(
        f"{stack.insured_url}/admin/persons/{psn_no}/filings", json=body, headers=OPERATOR
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def enrol_filed(
    http: httpx.AsyncClient, stack: Stack, admdvs: str, dest_admdvs: str, **insurance: Any
) -> dict[str, Any]:
    """A fresh person with a long-term-resident filing (category 12) begun a month ago."""
    person = await enrol(http, stack, admdvs, **insurance)
    begndate = date.fromordinal(datetime.now().date().toordinal() - 30)
    await file(
        http,
        stack,
        person["psn_no"],
        category="12",
        dest_admdvs=dest_admdvs,
        begndate=str(begndate),
    )
    return person


def signed(fixmedins_code: str) -> dict[str, str]:
    """The x-tif headers a hospital signs every request with (design §3)."""
    secret = os.environ.get("RELAY_E2E_HOSPITAL_SECRET", "dev-hospital-secret")
    token = institution_token(secret, fixmedins_code)
    return signed_headers(fixmedins_code, token, str(int(time.time() * 1000)))


async def reconcile(psn_nos: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Live settlements (not cancelled) per side, keyed by setl_id."""
    query = """
        SELECT s.setl_id, s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay
          FROM settlement s
         WHERE s.psn_no = ANY($1) AND s.refd_setl_flag = '0'
           AND NOT EXISTS (SELECT 1 FROM settlement c WHERE c.init_setl_id = s.setl_id)
    """
    sides = []
    for service in ("treating_region", "insured_region"):
        conn = await asyncpg.connect(database_url(service, E2E_SUFFIX, driver="postgresql"))
        try:
            rows = await conn.fetch(query, psn_nos)
        finally:
            await conn.close()
        sides.append(
            {r["setl_id"]: (r["medfee_sumamt"], r["fund_pay_sumamt"], r["acct_pay"]) for r in rows}
        )
    return sides[0], sides[1]


JOURNAL_SETTLE_S = 0.5
"""Longer than the journal's batch wait: after it, rows that were coming have come."""


def hub_log(
    http: httpx.Client, stack: Stack, msgid: str, *, rows: int = 1, wait_s: float = 15.0
) -> list[dict[str, Any]]:
    """The hub's log of a message once it has at least ``rows`` rows: the hub writes it from the
    journal, a moment after the message passed (design §4); then a moment more, so that a row
    too many would show."""
    deadline = time.monotonic() + wait_s
    while True:
        response = http.get(f"{stack.hub_url}/relay-log", params={"msgid": msgid}, headers=OPERATOR)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        if len(found) >= rows or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    time.sleep(JOURNAL_SETTLE_S)
    response = http.get(f"{stack.hub_url}/relay-log", params={"msgid": msgid}, headers=OPERATOR)
    result: list[dict[str, Any]] = response.json()
    return result


def hops(rows: list[dict[str, Any]], *fields: str) -> list[tuple[Any, ...]]:
    """The rows' ``fields``, sorted: a message's path through the relay, as the hub logged it."""
    return sorted(tuple(r[f] for f in fields) for r in rows)
