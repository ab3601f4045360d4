"""relay-sim: simulated hospitals driving the relay, and the settlement report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from shared import clock
from shared.auth import institution_token, signed_headers
from sim import books, session, supervision
from sim.plan import plan_cares
from sim.report import RunInfo, render_text, summarize, write_reports
from sim.traffic import Catalogue, Endpoints, Gateway, drive, enrol_all, now_tag, run_care


async def run(args: argparse.Namespace) -> int:
    endpoints = Endpoints(args.treating_url, args.insured_url)
    limits = httpx.Limits(max_connections=max(64, (args.concurrency or 16) * 2))
    async with httpx.AsyncClient(timeout=60, limits=limits, trust_env=False) as http:
        institutions = (await http.get(f"{args.treating_url}/institutions")).json()
        tag = args.tag or now_tag()
        first_day = args.first_day or clock.today()
        days = [
            (first_day + timedelta(days=d), share)
            for d, share in enumerate(split(args.cares, args.days))
        ]
        day_plans = [
            plan_cares(
                args.seed + d, share, today=day, institutions=institutions,
                tag=tag if args.days == 1 else f"{tag}d{d:03d}",
            )
            for d, (day, share) in enumerate(days)
        ]  # fmt: skip
        plans = [p for batch in day_plans for p in batch]
        catalogue = Catalogue(http, args.treating_url)
        await catalogue.load(sorted({p.treating for p in plans}))

        await enrol_all(http, args.insured_url, plans)
        gateway = Gateway(endpoints)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        outcomes = []
        if clock.today() > first_day:
            print(f"the business clock is already at {clock.today()}, past {first_day}: "
                  "the first days' cares settle on later days")  # fmt: skip
        began = time.perf_counter()
        try:
            for (day, _), batch in zip(days, day_plans, strict=True):
                if args.days > 1:  # each day's cares on their business day
                    await asyncio.sleep(clock.current().seconds_until(day))
                done, _ = await drive(
                    batch,
                    lambda plan, t0: run_care(gateway, catalogue, http, args.insured_url, plan, t0),
                    concurrency=args.concurrency,
                    rate=args.rate,
                    label="cares through the gateway"
                    + (f" on {day:%Y-%m-%d}" if args.days > 1 else ""),
                )
                outcomes.extend(done)
        finally:
            await gateway.close()
        duration = time.perf_counter() - began
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


def split(total: int, days: int) -> list[int]:
    """``total`` cares over ``days`` days, as evenly as whole cares go."""
    return [total // days + (1 if d < total % days else 0) for d in range(days)]


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
    runner.add_argument(
        "--days",
        type=int,
        default=1,
        help="spread the cares over this many business days, each day's on its day of the "
        "business clock (RELAY_CLOCK_*: a fast clock runs months in minutes)",
    )
    runner.add_argument(
        "--from",
        dest="first_day",
        type=date.fromisoformat,
        default=None,
        help="the first business day of the traffic (yyyy-mm-dd; default: today's); the run "
        "waits for the clock to reach it, and says so if the clock is already past it",
    )
    runner.add_argument("--out", default="reports")
    runner.add_argument("--tag", default=None, help="id suffix (default: the time)")
    runner.add_argument(
        "--treating-url", default=os.environ.get("RELAY_TREATING_URL", "http://127.0.0.1:8001")
    )
    runner.add_argument(
        "--insured-url", default=os.environ.get("RELAY_INSURED_URL", "http://127.0.0.1:8003")
    )
    closer = sub.add_parser(
        "books",
        help="once the business clock is past them, clear the given months and print the "
        "clearing, the prepayment gauges and the daily reconciliation of their days",
    )
    closer.add_argument("--months", required=True, help="comma-separated yyyyMM, in order")
    closer.add_argument("--out", default="reports")
    closer.add_argument(
        "--hub-url", default=os.environ.get("RELAY_HUB_URL", "http://127.0.0.1:8002")
    )
    watcher = sub.add_parser(
        "supervise",
        help="after books: the months' cost monitoring and analysis reports, two-way benefit "
        "flags, and a co-investigation batch played through to its deductions' clearing",
    )
    watcher.add_argument("--months", required=True, help="comma-separated yyyyMM, in order")
    watcher.add_argument("--out", default="reports")
    for name, port in (("hub", 8002), ("treating", 8001), ("insured", 8003)):
        watcher.add_argument(
            f"--{name}-url",
            default=os.environ.get(f"RELAY_{name.upper()}_URL", f"http://127.0.0.1:{port}"),
        )
    args = parser.parse_args()
    clock.install(clock.from_environment())
    if args.command == "supervise":
        sys.exit(
            supervision.main(
                args.hub_url,
                args.treating_url,
                args.insured_url,
                args.months.split(","),
                Path(args.out),
            )
        )
    if args.command == "books":
        sys.exit(books.main(args.hub_url, args.months.split(","), Path(args.out)))
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
