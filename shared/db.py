"""Async SQLAlchemy helpers: the naming convention, engines, session factories, migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # pre-ping: the settlement paths write through the asyncpg pool, so what still checks out
    # an engine connection (admin calls, filings, person reads) can afford a round trip to be
    # sure it is alive; without it, the first such call after a database restart fails (503)
    # hide_parameters: a statement's parameters (names, id numbers) never reach a log line
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: reading an attribute after commit must not start I/O in async code
    return async_sessionmaker(engine, expire_on_commit=False)


def configure_alembic(migrations_dir: Path, database_url: str) -> Config:
    """One service's Alembic tree, configured without an alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url)
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


def run_migrations(migrations_dir: Path, database_url: str) -> None:
    """``alembic upgrade head`` for one service's database."""
    command.upgrade(configure_alembic(migrations_dir, database_url), "head")
