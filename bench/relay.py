"""The relay measured end to end: rate sweeps, cost by line count, cost by stored volume.

Everything runs against a stack of its own (``*_bench`` databases, vhost ``relay_bench``, ports
18101–18103) so a benchmark never mixes with the developer's data or the test suite.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import profile
from bench.cpu import CpuMeter
from bench.stack import ROOT, Stack, database_url, start_stack
from shared import clock
from shared.stats import percentile
from sim.plan import CarePlan, plan_cares
from sim.traffic import Catalogue, Endpoints, Gateway, Refused, enrol_all, operator_token

AMQP_URL = "amqp://relay:relay@127.0.0.1:5672/relay_bench"
DATABASES = {
    "treating_region": ("treating", "treating_region_bench"),
    "national_hub": ("hub", "national_hub_bench"),
    "insured_region": ("insured", "insured_region_bench"),
}
PORTS = {"treating_region": 18101, "national_hub": 18102, "insured_region": 18103}
P99_LIMIT_MS = 100.0


def dsn(role: str, database: str) -> str:
    return f"postgresql://{role}:{role}@127.0.0.1:5432/{database}"


def start_bench_stack() -> Stack:
    settings = {
        name: {
            "DATABASE_URL": database_url(name, "_bench"),
            "AMQP_URL": AMQP_URL,
            "LOG_LEVEL": "WARNING",
            # the token the simulator's enrolment sends, whatever the shell exports for a service
            "OPERATOR_TOKEN": operator_token(),
        }
        for name in DATABASES
    }
    settings["national_hub"]["PEER_OPERATOR_TOKEN"] = operator_token()
    return start_stack(ports=PORTS, settings=settings, log_dir=ROOT / ".run" / "bench")


@dataclass
class Ready:
    """A visit registered, its lines uploaded (and discharged): only the settle is left."""

    plan: CarePlan
    body: dict[str, Any]


class Bench:
    def __init__(self, http: httpx.AsyncClient, stack: Stack) -> None:
        self.http = http
        self.stack = stack
        self.gateway = Gateway(Endpoints(stack.treating_url, stack.insured_url))
        self.catalogue = Catalogue(http, stack.treating_url)
        self.institutions: list[dict[str, Any]] = []
        self._tag = 0

    async def close(self) -> None:
        await self.gateway.close()

    async def start(self) -> None:
        self.institutions = (await self.http.get(f"{self.stack.treating_url}/institutions")).json()
        await self.catalogue.load(sorted({i["admdvs"] for i in self.institutions}))

    def plans(self, kind: str, count: int, *, lines: int | None = None) -> list[CarePlan]:
        """Long-term residents (filed), one kind of care: the settle is the only variable."""
        self._tag += 1
        plans: list[CarePlan] = []
        seed = self._tag
        while len(plans) < count:
            batch = plan_cares(
                seed,
                count * 8,
                today=clock.today(),
                institutions=self.institutions,
                tag=f"B{self._tag}x{seed}",
            )
            plans += [
                p
                for p in batch
                if p.kind == kind and p.case == "long_term" and not p.cancel_resettle
            ]
            seed += 1000
        chosen = plans[:count]
        if lines is not None:
            chosen = [replace(p, lines=lines, refunds=0) for p in chosen]
        return chosen

    async def prepare(self, plans: Sequence[CarePlan]) -> list[Ready]:
        await enrol_all(self.http, self.stack.insured_url, plans)
        gate = asyncio.Semaphore(16)

        async def one(plan: CarePlan) -> Ready:
            async with gate:
                return await self._prepare_one(plan)

        return list(await asyncio.gather(*(one(p) for p in plans)))

    async def _prepare_one(self, plan: CarePlan) -> Ready:
        register = {
            "psn_no": plan.psn_no,
            "insutype": plan.insutype,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": plan.certno,
            "med_type": plan.med_type,
            "begntime": f"{plan.admitted:%Y-%m-%d %H:%M:%S}",
        }
        gw = self.gateway
        if plan.inpatient:
            out, _ = await gw.ok(plan, "2401", {"mdtrtinfo": {**register, "ipt_no": "ZY1"}})
            mdtrt_id = out["result"]["mdtrt_id"]
        else:
            out, _ = await gw.ok(plan, "2201", {"data": {**register, "ipt_otp_no": "MZ1"}})
            mdtrt_id = out["data"]["mdtrt_id"]
        lines = self.catalogue.lines(plan, mdtrt_id, random.Random(plan.n))
        upload = "2301" if plan.inpatient else "2204"
        for start in range(0, len(lines), 500):
            await gw.ok(plan, upload, {"feedetail": lines[start : start + 500]})
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
        medfee = sum((Decimal(x["det_item_fee_sumamt"]) for x in lines), Decimal(0))
        body = {
            "data": {
                "psn_no": plan.psn_no,
                "mdtrt_id": mdtrt_id,
                "insutype": plan.insutype,
                "medfee_sumamt": str(medfee),
                "acct_used_flag": "0",
            }
        }
        return Ready(plan, body)

    async def settle(self, ready: Ready) -> float:
        infno = "2304" if ready.plan.inpatient else "2207"
        _, latency = await self.gateway.ok(ready.plan, infno, ready.body)
        return latency


Call = Callable[[], Awaitable[float]]
"""One request of an open-loop step; returns its latency in ms."""


def _ms(latencies: Sequence[float], p: float) -> float:
    """The p-th percentile of latencies in ms, to 0.1 ms; NaN for no samples (never sustained)."""
    return round(percentile(latencies, p), 1) if latencies else float("nan")


async def open_loop(calls: Sequence[Call], rate: float) -> dict[str, Any]:
    """Start call i at t0 + i/rate whatever the answers do (open loop): queueing shows.

    What was prepared for the step is frozen out of the collector meanwhile: a full collection
    over it stalls the load generator's loop, and that stall would be measured as the relay's.
    """
    gc.collect()
    gc.freeze()
    try:
        return await _open_loop(calls, rate)
    finally:
        gc.unfreeze()


async def _open_loop(calls: Sequence[Call], rate: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    started = time.perf_counter()

    async def one(call: Call) -> None:
        t = time.perf_counter()
        try:
            await call()
        except Refused as refused:
            errors[refused.err_code] = errors.get(refused.err_code, 0) + 1
        except (httpx.HTTPError, OSError) as exc:
            key = f"{type(exc).__name__}: {str(exc)[:60]}"
            errors[key] = errors.get(key, 0) + 1
        latencies.append((time.perf_counter() - t) * 1000)

    tasks = []
    for i, call in enumerate(calls):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(call)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    p99 = _ms(latencies, 99)
    return {
        "offered_per_s": rate,
        "achieved_per_s": round(len(calls) / elapsed, 1),
        "count": len(calls),
        "p50_ms": _ms(latencies, 50),
        "p95_ms": _ms(latencies, 95),
        "p99_ms": p99,
        "errors": errors,
        "sustained": not errors and p99 < P99_LIMIT_MS and len(calls) / elapsed >= rate * 0.9,
    }


async def sweep(
    bench: Bench,
    kind: str,
    rates: Sequence[float],
    seconds: float,
    lines: int | None = None,
    *,
    quiet: bool = False,
    cpu: CpuMeter | None = None,
) -> list[dict[str, Any]]:
    """The relay's settlements of one kind at increasing offered rates (see ``sweep_calls``)."""

    async def calls(count: int) -> list[Call]:
        return await settle_calls(bench, kind, count, lines=lines)

    return await sweep_calls(calls, kind, rates, seconds, quiet=quiet, cpu=cpu)


async def settle_calls(
    bench: Bench, kind: str, count: int, *, lines: int | None = None
) -> list[Call]:
    """``count`` settlements of ``kind``, prepared (person, visit, fees) and ready to call."""
    ready = await bench.prepare(bench.plans(kind, count, lines=lines))
    return [partial(bench.settle, r) for r in ready]


async def sweep_calls(
    make_calls: Callable[[int], Awaitable[list[Call]]],
    label: str,
    rates: Sequence[float],
    seconds: float,
    *,
    quiet: bool = False,
    cpu: CpuMeter | None = None,
) -> list[dict[str, Any]]:
    """Increasing offered rates until two in a row are not sustained (p99 ≥ 100 ms or errors).

    One unsustained step alone may be a hiccup of a shared 2-core machine (a checkpoint, the
    load generator's own GC): the next rate decides. The figure is the highest sustained rate.
    """
    steps: list[dict[str, Any]] = []
    misses = 0
    for rate in rates:
        calls = await make_calls(max(10, int(rate * seconds)))
        await asyncio.sleep(1.0)  # let the preparation's writes settle before measuring
        if cpu is not None:
            cpu.start()
        step = await open_loop(calls, rate)
        if cpu is not None:
            cpu.stop()
            step["cpu_ms_per_call"] = cpu.per_call(len(calls))
        steps.append(step)
        if quiet:
            continue
        print(
            f"  {label:<10} offered {rate:6.1f}/s achieved {step['achieved_per_s']:6.1f}/s "
            f"p50 {step['p50_ms']:6.1f} p99 {step['p99_ms']:6.1f} ms errors {step['errors']}"
            f"{'' if step['sustained'] else '  ← not sustained'}",
            flush=True,
        )
        misses = 0 if step["sustained"] else misses + 1
        if misses == 2:
            break
    return steps


async def profiled(
    bench: Bench, kind: str, rate: float, seconds: float, pids: dict[str, int], out: Path
) -> dict[str, Any]:
    """One step of ``kind`` at ``rate`` with every service sampled by py-spy (``bench.profile``):
    where each process's CPU goes while it settles."""
    calls = await settle_calls(bench, kind, max(10, int(rate * seconds)))
    await asyncio.sleep(1.0)  # let the preparation's writes settle before measuring
    step: dict[str, Any] = {}

    async def run() -> None:
        step.update(await open_loop(calls, rate))

    processes = await profile.record(pids, run, seconds, out)
    return {"rate": rate, "step": step, "processes": processes}


def sustained(steps: Sequence[dict[str, Any]]) -> float:
    """The highest achieved rate among the sustained steps (0 if none)."""
    return max((s["achieved_per_s"] for s in steps if s["sustained"]), default=0.0)


async def sequential_latency(
    bench: Bench, kind: str, count: int, lines: int | None = None
) -> dict[str, float]:
    ready = await bench.prepare(bench.plans(kind, count, lines=lines))
    latencies = [await bench.settle(r) for r in ready]
    return {
        "count": count,
        "p50_ms": _ms(latencies, 50),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "p95_ms": _ms(latencies, 95),
    }


PAD_SQL = {
    "insured_region": """
        INSERT INTO settlement (setl_id, mdtrt_id, psn_no, insutype, insuplc_admdvs,
            mdtrtarea_admvs, fixmedins_code, medins_setl_id, infno, med_type, request_hash,
            setl_time, year, refd_setl_flag, init_setl_id, filing_category, medfee_sumamt,
            fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc,
            hifp_pay, pool_prop_selfpay, hifob_pay, hifmi_pay, cvlserv_pay, maf_pay, oth_pay,
            fund_pay_sumamt, psn_part_amt, acct_pay, psn_cash_pay, balc, details, trace, delta,
            created_at)
        SELECT 'APAD' || $3 || g, 'SPAD' || $3 || g, $1, '310', '650100', '110000',
               'H11000000001', 'P' || $3 || lpad(g::text, 28, '0'), '2207', '11', 'pad',
               now(), 2025, '0', NULL,
               '12', 100, 0, 0, 0, 100, 0, 70, 0.7, 0, 0, 0, 0, 0, 70, 30, 0, 30, 0,
               '[]', '[]', '{}', now()
          FROM generate_series(1, $2) AS g""",
    "treating_region": """
        INSERT INTO hospital_message (msgid, infno, fixmedins_code, mdtrtarea_admvs,
            insuplc_admdvs, body_hash, relay_id, inf_refmsgid, status, err_code, err_detail,
            output, received_at, answered_at)
        SELECT 'P' || $2 || lpad(g::text, 28, '0'), '2207', 'H11000000001', '110000', '650100',
               'pad', NULL, 'pad', 'ok', NULL, NULL, NULL, now(), now()
          FROM generate_series(1, $1) AS g""",
    "national_hub": """
        INSERT INTO relay_log (relay_id, msgid, infno, kind, stage, sender_admdvs,
            mdtrtarea_admvs, insuplc_admdvs, fixmedins_code, route, outcome, err_code,
            err_detail, psn_no, certno_masked, sent_at, received_at)
        SELECT 'pad-' || $2 || g || '-' || k, 'P' || $2 || lpad(g::text, 28, '0'), '2207', k,
               'ingress',
               '110000', '110000', '650100', 'H11000000001', 'cross', 'forwarded', NULL, NULL,
               NULL, NULL, now(), now()
          FROM generate_series(1, $1) AS g, unnest(ARRAY['request', 'reply']) AS k""",
}


_PAD_ROUNDS = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


async def steady_latency(
    bench: Bench, kind: str, rounds: int = 3, count: int = 40
) -> dict[str, Any]:
    """One-at-a-time latency as the median of a few rounds' p50s: on a shared 2-core machine
    one round's p50 moves ±25 % from the next under the same conditions."""
    p50s = [(await sequential_latency(bench, kind, count))["p50_ms"] for _ in range(rounds)]
    return {"count": rounds * count, "p50_ms": statistics.median(p50s), "rounds": p50s}


async def stored_settlements() -> int:
    role, database = DATABASES["insured_region"]
    conn = await asyncpg.connect(dsn(role, database))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM settlement"))
    finally:
        await conn.close()


async def pad_to(total: int) -> float:
    """Fill every database with settlements (and their messages and log rows) up to ``total``."""
    started = time.perf_counter()
    have = await stored_settlements()
    missing = max(0, total - have)
    if not missing:
        return 0.0
    tag = next(_PAD_ROUNDS)  # a different id stem for every padding round

    async def pad(name: str) -> None:
        role, database = DATABASES[name]
        conn = await asyncpg.connect(dsn(role, database))
        try:
            if name == "insured_region":
                psn_no = await conn.fetchval("SELECT psn_no FROM person LIMIT 1")
                await conn.execute(PAD_SQL[name], psn_no, missing, tag)
            else:
                await conn.execute(PAD_SQL[name], missing, tag)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()

    await asyncio.gather(*(pad(name) for name in DATABASES))
    return round(time.perf_counter() - started, 1)


def results_dir() -> Path:
    path = ROOT / "bench" / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def today() -> date:
    return clock.today()
