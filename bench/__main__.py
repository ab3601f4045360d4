"""make bench: the transport's ceiling, the reference pipeline and the relay against both, what
each part of the relay costs in CPU, and how the relay's cost grows.

One run on one machine, under ten minutes, JSON to ``bench/results/`` with a top-level ``ratio``
(outpatient settlements sustained by the relay ÷ bare round trips the transport sustains, the
four-trip ceiling kept as the unit). The reference pipeline (``bench.pipeline``: the relay's
topology, HTTP → broker → consumer + one INSERT → reply, no logic) is swept under the same rule
as the relay: ``relay_to_reference`` says how much of a no-logic pipeline the relay achieves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import profile, relay
from bench.cpu import CpuMeter, relay_groups
from bench.pipeline import Pipeline, closed_loop, post_calls
from bench.stack import fresh_databases, fresh_journal, peak_memory_mib
from bench.transport import measure_ceiling
from sim.http import LeanClient

PIPELINE_RATES = (80, 120, 160, 200, 240, 280, 320, 360, 400, 480, 560, 640, 720)
OUTPATIENT_RATES = (20, 40, 60, 80, 100, 115, 130, 160, 200, 260, 320)
INPATIENT_RATES = (10, 20, 30, 40, 50, 60, 80)
PROFILES = Path(__file__).resolve().parent.parent / ".run" / "bench" / "profile"
"""py-spy's raw stacks of the profiled step, one file per service (not kept in git)."""


def best_step(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The step the sustained figure comes from (the highest sustained rate)."""
    sustained = [s for s in steps if s["sustained"]]
    return max(sustained, key=lambda s: s["achieved_per_s"]) if sustained else None


def cpu_at_best(steps: list[dict[str, Any]]) -> dict[str, float] | None:
    best = best_step(steps)
    return best.get("cpu_ms_per_call") if best else None


async def reference_pipeline(seconds: float) -> dict[str, Any]:
    """The relay's topology with no logic: closed loop at the ceiling's concurrency, then the
    relay's open-loop sweep and rule."""
    role, database = relay.DATABASES["national_hub"]
    async with Pipeline(relay.AMQP_URL, relay.dsn(role, database)) as pipeline:
        closed = await closed_loop(
            pipeline.url, concurrency=16, seconds=seconds, size=pipeline.size, warmup=2.0
        )
        print(f"    closed loop (16 in flight): {closed['rate']:.0f}/s, p99 {closed['p99_ms']} ms")
        client = LeanClient(pipeline.url)
        try:

            async def calls(count: int) -> list[relay.Call]:
                return post_calls(client, pipeline.size, count)

            cpu = CpuMeter(relay_groups(pipeline.pids()))
            steps = await relay.sweep_calls(calls, "pipeline", PIPELINE_RATES, seconds, cpu=cpu)
        finally:
            await client.close()
        rows = await pipeline.rows()
    return {
        "closed_loop": closed,
        "sustained_per_s": relay.sustained(steps),
        "p99_limit_ms": relay.P99_LIMIT_MS,
        "cpu_ms_per_call": cpu_at_best(steps),
        "steps": steps,
        "rows_inserted": rows,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    print("1/6 transport ceiling (bare two-hop request/reply, same size, persistence, confirms)")
    ceiling = await measure_ceiling(relay.AMQP_URL, concurrency=16, seconds=args.seconds)
    print(f"    {ceiling['rate']:.0f} round trips/s, p99 {ceiling['p99_ms']:.1f} ms")
    await fresh_databases("_bench")
    await fresh_journal(relay.AMQP_URL)
    print("2/6 reference pipeline (HTTP → broker → consumer + one INSERT → reply, no logic)")
    pipeline = await reference_pipeline(args.seconds)
    stack = relay.start_bench_stack()
    try:
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as http:
            bench = relay.Bench(http, stack)
            await bench.start()
            # warm every cache on the path (statements, connections, channels) before measuring
            await relay.sweep(bench, "outpatient", (10,), 3, quiet=True)
            print("3/6 outpatient settlements (2207), open loop at rising rates")
            cpu = CpuMeter(relay_groups(stack.pids()))
            outpatient = await relay.sweep(
                bench, "outpatient", OUTPATIENT_RATES, args.seconds, cpu=cpu
            )
            rate = max(20.0, round(relay.sustained(outpatient) * 0.8))
            print(f"    where the CPU goes, at {rate:.0f}/s (py-spy, every service):")
            where = await relay.profiled(
                bench, "outpatient", rate, args.seconds, stack.pids(), PROFILES
            )
            print(profile.report(where["processes"]), flush=True)
            print("4/6 inpatient settlements (2304, ~50 lines), open loop at rising rates")
            inpatient = await relay.sweep(
                bench, "inpatient", INPATIENT_RATES, args.seconds, lines=50
            )
            print("5/6 inpatient cost by line count (one at a time)")
            by_lines = {}
            for lines in (10, 100, 1000):
                by_lines[str(lines)] = await relay.sequential_latency(
                    bench, "inpatient", 5, lines=lines
                )
                print(f"    {lines:>5} lines: p50 {by_lines[str(lines)]['p50_ms']} ms")
            print("6/6 outpatient settle latency with 10³ and 10⁶ settlements stored")
            await relay.pad_to(1_000)
            small = await relay.steady_latency(bench, "outpatient")
            small["stored"] = await relay.stored_settlements()
            print(f"    {small['stored']:>8} stored: p50 {small['p50_ms']} ms {small['rounds']}")
            pad_seconds = await relay.pad_to(args.large)
            large = await relay.steady_latency(bench, "outpatient")
            large["stored"] = await relay.stored_settlements()
            print(
                f"    {large['stored']:>8} stored: p50 {large['p50_ms']} ms {large['rounds']} "
                f"(padding took {pad_seconds} s)"
            )
            await bench.close()
        memory = {name: peak_memory_mib(pid) for name, pid in stack.pids().items()}
    finally:
        stack.stop()
    best = relay.sustained(outpatient)
    best_in = relay.sustained(inpatient)
    ratio = round(best / ceiling["rate"], 3) if ceiling["rate"] else 0.0
    reference = pipeline["sustained_per_s"]
    pipeline["ratio"] = round(reference / ceiling["rate"], 3) if ceiling["rate"] else 0.0
    return {
        "ratio": ratio,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ceiling": ceiling,
        "reference_pipeline": pipeline,
        "relay_to_reference": round(best / reference, 3) if reference else None,
        "outpatient": {
            "sustained_per_s": best,
            "p99_limit_ms": relay.P99_LIMIT_MS,
            "cpu_ms_per_call": cpu_at_best(outpatient),
            "steps": outpatient,
            "profile": where,
        },
        "inpatient": {"sustained_per_s": best_in, "lines": 50, "steps": inpatient},
        "inpatient_by_lines": by_lines,
        "by_stored_settlements": {
            "small": small,
            "large": large,
            "growth": round(large["p50_ms"] / small["p50_ms"], 2),
        },
        "peak_memory_mib": memory,
        "seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=float, default=8.0, help="per rate step")
    parser.add_argument("--large", type=int, default=1_000_000, help="stored settlements")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    path = relay.results_dir() / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(
        f"\nratio (relay outpatient settlements / transport round trips): {result['ratio']}"
        f"  = {result['outpatient']['sustained_per_s']}/s ÷ {result['ceiling']['rate']:.0f}/s"
    )
    reference = result["reference_pipeline"]
    print(
        f"reference pipeline (no logic), same rule: {reference['sustained_per_s']}/s = "
        f"{reference['ratio']} of the ceiling; the relay does "
        f"{result['relay_to_reference']} of that"
    )
    print(
        f"inpatient sustained: {result['inpatient']['sustained_per_s']}/s; latency growth "
        f"10³→10⁶ stored: ×{result['by_stored_settlements']['growth']}; "
        f"peak memory MiB: {result['peak_memory_mib']}; {result['seconds']} s"
    )
    print(
        "CPU ms per outpatient settlement at the best sustained rate: "
        f"{result['outpatient']['cpu_ms_per_call']}; reference pipeline per call: "
        f"{reference['cpu_ms_per_call']}"
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
