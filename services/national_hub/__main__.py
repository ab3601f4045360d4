from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path

import asyncpg
import httpx

from services.national_hub.adapters.journal import JournalReader
from services.national_hub.entrypoints.api import create_app
from services.national_hub.service_layer import books
from services.national_hub.settings import Settings, get_settings
from shared import clock
from shared.cli import service_main
from shared.errors import RelayError
from shared.statement import parse_day


async def rebuild_log(settings: Settings, idle_s: float) -> int:
    """The transaction log's journal rows, written again from the stream ``hub.journal``."""
    pool = await asyncpg.create_pool(
        settings.database_url.replace("postgresql+asyncpg://", "postgresql://"),
        min_size=1,
        max_size=2,
    )
    try:
        return await JournalReader(settings.amqp_url, pool).rebuild(idle_s=idle_s)
    finally:
        await pool.close()


async def books_command(settings: Settings, args: argparse.Namespace) -> int:
    """A day's reconciliation or a month's clearing, as the admin API answers them: JSON on
    stdout, or CSV with ``--csv`` (the breaks, the lines)."""
    pool = await asyncpg.create_pool(
        settings.database_url.replace("postgresql+asyncpg://", "postgresql://"),
        min_size=1,
        max_size=2,
    )
    try:
        today = clock.today()
        if args.command == "reconcile":
            sources = books.Sources(
                settings.treating_url, settings.insured_url, settings.peer_operator_token
            )
            async with httpx.AsyncClient(timeout=30.0, trust_env=False) as http:
                report = await books.reconcile_day(pool, http, sources, parse_day(args.day, today))
            body = books.report_json(report)
            rows, balanced = body["breaks"], report.balanced
        else:
            month = books.month_named(args.month)
            found = (
                await books.generate(pool, month, today)
                if args.generate
                else await books.statement_of(pool, month)
            )
            body = books.statement_json(found)
            rows, balanced = body["lines"], True
    except RelayError as exc:
        print(exc.plain_message(), file=sys.stderr)
        return 2
    finally:
        await pool.close()
    if args.csv:
        writer = csv.writer(sys.stdout)
        if rows:
            writer.writerow(list(rows[0]))
            writer.writerows([list(r.values()) for r in rows])
    else:
        print(json.dumps(body, ensure_ascii=False, indent=1))
    return 0 if balanced else 1


def _commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    day = sub.add_parser(
        "reconcile",
        help="a business day's three-way reconciliation (exit 1 when it has breaks)",
    )
    day.add_argument("day", help="yyyy-mm-dd")
    day.add_argument("--csv", action="store_true", help="the breaks as CSV")
    month = sub.add_parser("clearing", help="a month's clearing statement")
    month.add_argument("month", help="yyyyMM")
    month.add_argument("--generate", action="store_true", help="generate it (once) first")
    month.add_argument("--csv", action="store_true", help="the lines as CSV")
    cmd = sub.add_parser(
        "rebuild-log",
        help="write the transaction log again from the journal stream (stop the hub first)",
    )
    cmd.add_argument(
        "--idle", type=float, default=2.0, help="stop once the stream is quiet this long (s)"
    )


def main() -> None:
    settings = get_settings()
    args = service_main(
        service="national_hub",
        settings=settings,
        create_app=create_app,
        migrations_dir=Path(__file__).parent / "migrations",
        extra=_commands,
    )
    if args is not None and args.command == "rebuild-log":
        written = asyncio.run(rebuild_log(settings, args.idle))
        print(f"transaction log rebuilt from the stream hub.journal: {written} rows written")
    if args is not None and args.command in ("reconcile", "clearing"):
        sys.exit(asyncio.run(books_command(settings, args)))


if __name__ == "__main__":
    main()
