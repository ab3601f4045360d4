"""Autogenerate an Alembic revision: python deploy/local/revision.py SERVICE MESSAGE."""

import sys
from pathlib import Path

from alembic import command

from shared.db import configure_alembic

service, message = sys.argv[1], sys.argv[2]
module = __import__(f"services.{service}.settings", fromlist=["get_settings"])
settings = module.get_settings()
config = configure_alembic(Path("services") / service / "migrations", settings.database_url)
command.revision(config, message=message, autogenerate=True)
