from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.insured_region.adapters import persons
from services.insured_region.domain.population import generate
from services.insured_region.entrypoints.api import create_app
from services.insured_region.service_layer import enrolment
from services.insured_region.settings import Settings, get_settings
from shared import clock
from shared.cli import service_main
from shared.db import make_engine, make_session_factory
from shared.messaging.person_index import index_key
from shared.regions import POOLS, parse_region_list


async def seed(settings: Settings, seed_value: int, per_region: int) -> dict[str, int]:
    """Enrol the deterministic population; persons already there are left as they are.

    Each region's whole index is owed to the hub in the same transaction (a re-sync, batched):
    a hub database made afresh learns every person again from the next ``make seed``.
    """
    engine = make_engine(settings.database_url, pool_size=2)
    sessions = make_session_factory(engine)
    key = index_key(settings.relay_secret)
    added: dict[str, int] = {}
    try:
        for admdvs in parse_region_list(settings.regions):
            people = generate(
                seed_value, admdvs, per_region, today=clock.today(), destinations=POOLS
            )
            async with sessions() as session, session.begin():
                added[admdvs] = sum([await persons.add(session, p) for p in people])
                await enrolment.owe_index(session, admdvs, key)
    finally:
        await engine.dispose()
    return added


async def index_sync(settings: Settings) -> dict[str, int]:
    """Owe the hub the served regions' whole person index (the service publishes it)."""
    engine = make_engine(settings.database_url, pool_size=2)
    try:
        return await enrolment.resync(
            make_session_factory(engine),
            parse_region_list(settings.regions),
            index_key(settings.relay_secret),
        )
    finally:
        await engine.dispose()


def _commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("seed", help="enrol a deterministic synthetic population")
    cmd.add_argument("--seed", type=int, default=42)
    cmd.add_argument("--per-region", type=int, default=40)
    sub.add_parser(
        "index-sync",
        help="re-send the served regions' persons to the hub's national person index",
    )


def main() -> None:
    settings = get_settings()
    args = service_main(
        service="insured_region",
        settings=settings,
        create_app=create_app,
        migrations_dir=Path(__file__).parent / "migrations",
        extra=_commands,
    )
    if args is not None and args.command == "seed":
        added = asyncio.run(seed(settings, args.seed, args.per_region))
        print(
            f"seeded {sum(added.values())} new persons: "
            + ", ".join(f"{k}={v}" for k, v in added.items())
        )
        print(_QUEUED)
    if args is not None and args.command == "index-sync":
        counts = asyncio.run(index_sync(settings))
        print(
            f"national person index: {sum(counts.values())} persons queued for the hub: "
            + ", ".join(f"{k}={v}" for k, v in counts.items())
        )
        print(_QUEUED)


_QUEUED = (
    "the insured-region service sends the queued index events to the hub "
    "(within seconds if it runs, else as it starts)"
)


if __name__ == "__main__":
    main()
