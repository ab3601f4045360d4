from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import asyncpg

from services.national_hub.adapters.journal import JournalReader
from services.national_hub.entrypoints.api import create_app
from services.national_hub.settings import Settings, get_settings
from shared.cli import service_main


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


def _commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


if __name__ == "__main__":
    main()
