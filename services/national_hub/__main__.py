from __future__ import annotations

from pathlib import Path

from services.national_hub.entrypoints.api import create_app
from services.national_hub.settings import get_settings
from shared.cli import service_main


def main() -> None:
    service_main(
        service="national_hub",
        settings=get_settings(),
        create_app=create_app,
        migrations_dir=Path(__file__).parent / "migrations",
    )


if __name__ == "__main__":
    main()
