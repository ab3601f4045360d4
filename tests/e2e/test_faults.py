"""The relay never loses or doubles money when a process dies mid-burst (issue 5, design §4).

Each test sends a burst of settlements, kills a process with SIGKILL while they are in flight,
restarts it, lets the hospital resolve what it did not hear back about (status query, then a
2601 reversal for anything still open), and reconciles the two databases: every settlement the
hospital was told about exists exactly once on both sides, nothing exists on one side only, and
every breakdown balances.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bench.stack import wait_healthy
from shared.settlement import setlinfo_violations
from tests.e2e.harness import Stack, enrol_filed, reconcile
from tests.e2e.hospital import Hospital

pytestmark = pytest.mark.e2e

D = Decimal
BURST = 24


async def open_visits(
    hospital: Hospital,
    http: httpx.AsyncClient,
    stack: Stack,
    count: int,
) -> list[dict[str, Any]]:
    """Registered outpatient visits with their lines: only the settle is left."""
    visits = []
    for _ in range(count):
        person = await enrol_filed(http, stack, "650100", "110000", balc="100.00")
        mdtrt_id = (
            await hospital.ok(
                "2201",
                "650100",
                {
                    "data": {
                        "psn_no": person["psn_no"],
                        "insutype": "310",
                        "begntime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                        "mdtrt_cert_type": "02",
                        "mdtrt_cert_no": person["certno"],
                        "ipt_otp_no": "MZF",
                    }
                },
            )
        )["data"]["mdtrt_id"]
        lines = await hospital.lines(
            mdtrt_id, person["psn_no"], per_category=1, categories=("02", "04", "09")
        )
        await hospital.ok("2204", "650100", {"feedetail": lines})
        total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
        visits.append({"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "total": str(total)})
    return visits


async def resolve(
    hospital: Hospital,
    http: httpx.AsyncClient,
    stack: Stack,
    sent: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]],
) -> int:
    """What a HIS does after a crash: ask, and reverse whatever is still not known."""
    open_ones = [(e, v) for e, a, v in sent if a.get("infcode") != 0]

    async def status(envelope: dict[str, Any]) -> str:
        url = f"{stack.treating_url}/admin/messages/{envelope['msgid']}"
        response = await http.get(url)
        return str(response.json()["status"]) if response.status_code == 200 else "absent"

    statuses: list[str] = []
    for _ in range(20):  # late replies land within seconds of the recovery
        statuses = list(await asyncio.gather(*(status(e) for e, _ in open_ones)))
        if "unknown" not in statuses and "pending" not in statuses:
            break
        await asyncio.sleep(0.5)
    reversed_count = 0
    for (envelope, visit), state in zip(open_ones, statuses, strict=True):
        if state == "late_ok":
            continue
        for _attempt in range(10):  # a reversal is idempotent: a HIS retries it until it lands
            reversal = await hospital.call(
                "2601",
                "650100",
                {
                    "data": {
                        "psn_no": visit["psn_no"],
                        "omsgid": envelope["msgid"],
                        "oinfno": "2207",
                        "mdtrt_id": visit["mdtrt_id"],
                    }
                },
            )
            if reversal["err_code"] not in ("E5002", "E5003"):
                break
            await asyncio.sleep(0.5)
        assert reversal["infcode"] == 0, reversal
        reversed_count += 1
    return reversed_count


def rabbitmqctl(command: str) -> None:
    subprocess.run(
        ["/usr/sbin/rabbitmqctl", "-q", command],
        check=True,
        timeout=120,
        capture_output=True,
        env={**os.environ, "ERL_EPMD_ADDRESS": "127.0.0.1"},
    )


def restart_postgresql() -> None:
    version = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    subprocess.run(
        ["pg_ctlcluster", version, "main", "restart", "-m", "fast"],
        check=True,
        timeout=120,
        capture_output=True,
    )


def wait_until_healthy(stack: Stack) -> None:
    """Every service reconnects by itself (robust connections); wait until all say so."""
    for name in ("national_hub", "insured_region", "treating_region"):
        wait_healthy(stack.url(name), None, None, timeout_s=60)


async def burst_with_a_crash(http: httpx.AsyncClient, stack: Stack, victim: str) -> None:
    hospital = Hospital(http, stack, "H11000000001", "110000")
    visits = await open_visits(hospital, http, stack, BURST)
    spacing = 0.15 if victim == "rabbitmq" else 0.04  # the broker takes longer to go down
    envelopes = [
        hospital.envelope(
            "2207",
            "650100",
            {
                "data": {
                    "psn_no": v["psn_no"],
                    "mdtrt_id": v["mdtrt_id"],
                    "medfee_sumamt": v["total"],
                    "acct_used_flag": "1",
                }
            },
        )
        for v in visits
    ]

    async def crash() -> None:
        await asyncio.sleep(0.4)  # some settlements are through, some on their way
        if victim == "postgresql":
            await asyncio.to_thread(restart_postgresql)
            await asyncio.to_thread(wait_until_healthy, stack)
            return
        if victim == "rabbitmq":
            await asyncio.to_thread(rabbitmqctl, "stop_app")
            await asyncio.sleep(1.0)
            await asyncio.to_thread(rabbitmqctl, "start_app")
            await asyncio.to_thread(wait_until_healthy, stack)
            return
        await asyncio.to_thread(stack.kill, victim)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(stack.start, victim)

    async def send(envelope: dict[str, Any], n: int) -> dict[str, Any]:
        await asyncio.sleep(n * spacing)  # a burst over a second or more, not one instant
        try:
            return await hospital.send(envelope)
        except httpx.HTTPError as exc:  # the gateway itself died: the hospital heard nothing
            return {"infcode": None, "err_code": type(exc).__name__}

    crashing = asyncio.create_task(crash())
    answers = await asyncio.gather(*(send(e, n) for n, e in enumerate(envelopes)))
    await crashing
    accepted = {a["output"]["setlinfo"]["setl_id"] for a in answers if a.get("infcode") == 0}
    for answer in answers:
        if answer.get("infcode") == 0:
            assert (
                setlinfo_violations(answer["output"]["setlinfo"], answer["output"]["setldetail"])
                == []
            )
        else:
            assert answer["err_code"] in (
                "E5002",
                "E5003",
                "E5005",
                "E9006",
                "ReadError",
                "RemoteProtocolError",
                "ConnectError",
            )
    await resolve(hospital, http, stack, list(zip(envelopes, answers, visits, strict=True)))

    treating, insured = await reconcile([v["psn_no"] for v in visits])
    assert accepted <= set(treating)  # nothing the hospital was told about is lost
    assert set(treating) == set(insured)  # nothing exists on one side only
    assert all(treating[k] == insured[k] for k in treating)  # same money on both sides
    assert len(insured) == len(set(insured))  # and nothing twice
    with (stack.log_dir / "faults.jsonl").open("a") as out:  # the figures for the report
        out.write(
            json.dumps(
                {
                    "victim": victim,
                    "in_flight": BURST,
                    "accepted_at_once": len(accepted),
                    "settled_after_recovery": len(insured),
                    "lost": 0,
                    "doubled": 0,
                }
            )
            + "\n"
        )


async def test_kill_the_insured_region_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    if not stack.processes:
        pytest.skip("needs the processes started by the suite")
    await burst_with_a_crash(ahttp, stack, "insured_region")


async def test_kill_the_hub_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    if not stack.processes:
        pytest.skip("needs the processes started by the suite")
    await burst_with_a_crash(ahttp, stack, "national_hub")


async def test_restart_rabbitmq_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    """The broker's application stops and starts again (connections drop, queues stay)."""
    if not stack.processes or shutil.which("rabbitmqctl", path="/usr/sbin:/usr/bin") is None:
        pytest.skip("needs the local broker and the processes started by the suite")
    await burst_with_a_crash(ahttp, stack, "rabbitmq")


async def test_restart_postgresql_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    """The database server restarts under the insured region (here: the one local cluster)."""
    if not stack.processes or shutil.which("pg_ctlcluster") is None:
        pytest.skip("needs the local PostgreSQL cluster and the processes started by the suite")
    await burst_with_a_crash(ahttp, stack, "postgresql")
