"""relay-sim: simulated hospitals driving the relay, and the settlement report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from shared import clock
from shared.auth import institution_token, signed_headers
from sim import session
from sim.plan import plan_cares
from sim.report import RunInfo, render_text, summarize, write_reports
from sim.traffic import Catalogue, Endpoints, Gateway, drive, enrol_all, now_tag, run_care


async def run(args: argparse.Namespace) -> int:
    endpoints = Endpoints(args.treating_url, args.insured_url)
    limits = httpx.Limits(max_connections=max(64, (args.concurrency or 16) * 2))
    async with httpx.AsyncClient(timeout=60, limits=limits, trust_env=False) as http:
        institutions = (await http.get(f"{args.treating_url}/institutions")).json()
        tag = args.tag or now_tag()
        plans = plan_cares(
            args.seed, args.cares, today=clock.today(), institutions=institutions, tag=tag
        )
        catalogue = Catalogue(http, args.treating_url)
        await catalogue.load(sorted({p.treating for p in plans}))

        await enrol_all(http, args.insured_url, plans)
        gateway = Gateway(endpoints)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            outcomes, duration = await drive(
                plans,
                lambda plan, t0: run_care(gateway, catalogue, http, args.insured_url, plan, t0),
                concurrency=args.concurrency,
                rate=args.rate,
                label="cares through the gateway",
            )
        finally:
            await gateway.close()
    summary = summarize(
        outcomes,
        RunInfo(
            seed=args.seed,
            cares=args.cares,
            duration_s=duration,
            concurrency=None if args.rate else args.concurrency,
            target_rate=args.rate,
            started=started,
        ),
    )
    print(render_text(summary))
    directory = Path(args.out) / f"run-{tag}"
    json_path, html_path = write_reports(summary, directory)
    print(f"\nreport: {html_path.resolve()}\n        {json_path.resolve()}")
    expected = {p.case: p.expect for p in plans}
    unexpected = [
        o for o in outcomes if o.outcome != "settled" and o.err_code != expected.get(o.case)
    ]
    violations = sum(1 for o in outcomes if o.violations)
    if unexpected:
        print(
            f"{len(unexpected)} cares ended other than planned, e.g. "
            + ", ".join(f"{o.case}:{o.err_code}" for o in unexpected[:5])
        )
    return 1 if violations or unexpected else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="relay-sim", description="Simulated hospitals")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("session", help="a short scripted hospital session through the relay")
    headers = sub.add_parser("headers", help="signed x-tif headers for one request, for curl")
    headers.add_argument("fixmedins_code")
    runner = sub.add_parser("run", help="seeded traffic through the gateway, then the report")
    runner.add_argument("--seed", type=int, default=42)
    runner.add_argument("--cares", type=int, default=2000)
    mode = runner.add_mutually_exclusive_group()
    mode.add_argument("--concurrency", type=int, default=16, help="cares in flight (closed loop)")
    mode.add_argument("--rate", type=float, default=None, help="cares started per second")
    runner.add_argument("--out", default="reports")
    runner.add_argument("--tag", default=None, help="id suffix (default: the time)")
    runner.add_argument(
        "--treating-url", default=os.environ.get("RELAY_TREATING_URL", "http://127.0.0.1:8001")
    )
    runner.add_argument(
        "--insured-url", default=os.environ.get("RELAY_INSURED_URL", "http://127.0.0.1:8003")
    )
    args = parser.parse_args()
    if args.command in (None, "session"):
        sys.exit(session.main())
    if args.command == "headers":
        secret = os.environ.get("RELAY_HOSPITAL_SECRET", "dev-hospital-secret")
        code = args.fixmedins_code
        signed = signed_headers(code, institution_token(secret, code), str(int(time.time() * 1000)))
        print(" ".join(f"-H {name}:{value}" for name, value in signed.items()))
        return
    if args.command == "run":
        sys.exit(asyncio.run(run(args)))
    parser.error(f"unknown command {args.command}")


if __name__ == "__main__":
    main()
