"""The command line every service shares: ``serve`` (migrating first) and ``migrate``."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from fastapi import FastAPI

from shared import clock
from shared.db import run_migrations
from shared.logging import configure_logging
from shared.settings import CommonSettings
from shared.web import serve

S = TypeVar("S", bound=CommonSettings)


def service_main(
    *,
    service: str,
    settings: S,
    create_app: Callable[[S], FastAPI],
    migrations_dir: Path,
    argv: Sequence[str] | None = None,
    extra: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] | None = None,
) -> argparse.Namespace | None:
    """Run ``serve`` or ``migrate``; return the parsed arguments of any other sub-command."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="apply migrations, then serve HTTP and consume")
    serve_cmd.add_argument("--no-migrate", action="store_true")
    sub.add_parser("migrate", help="alembic upgrade head for this service's database")
    if extra is not None:
        extra(sub)
    args = parser.parse_args(argv)
    configure_logging(service, settings.log_level)
    clock.install(clock.from_environment())  # every command: serve, seed, rebuild-log…
    command = args.command or "serve"
    if command == "migrate":
        run_migrations(migrations_dir, settings.database_url)
        return None
    if command == "serve":
        if not getattr(args, "no_migrate", False):
            run_migrations(migrations_dir, settings.database_url)
        serve(create_app(settings), settings.http_host, settings.http_port, settings.log_level)
        return None
    return args
