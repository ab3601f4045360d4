from __future__ import annotations

from pathlib import Path

from services.treating_region.entrypoints.api import create_app
from services.treating_region.settings import get_settings
from shared.cli import service_main


def main() -> None:
    service_main(
        service="treating_region",
        settings=get_settings(),
        create_app=create_app,
        migrations_dir=Path(__file__).parent / "migrations",
    )


if __name__ == "__main__":
    main()
