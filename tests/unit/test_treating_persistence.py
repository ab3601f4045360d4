"""The treating region reads and writes through one persistence technique: asyncpg statements,
in its unit of work or autocommitted on the pool (issue 13). SQLAlchemy stays for the table
definitions (``adapters/orm.py``: the migrations' model); no use case or repository runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_layering import ROOT, imports_of

TREATING = ROOT / "services" / "treating_region"
RUNNING_FILES = sorted(
    path
    for path in [*TREATING.glob("service_layer/**/*.py"), *TREATING.glob("adapters/**/*.py")]
    if path.name != "orm.py"
)


def test_the_files_are_found() -> None:
    names = {path.name for path in RUNNING_FILES}
    assert {"unit_of_work.py", "visits.py", "ledger.py", "settlement.py"} <= names


@pytest.mark.parametrize("path", RUNNING_FILES, ids=lambda p: str(p.relative_to(TREATING)))
def test_no_use_case_or_repository_runs_sqlalchemy(path: Path) -> None:
    used = [name for name in imports_of(path) if name.split(".")[0] == "sqlalchemy"]
    assert not used, f"{path.relative_to(ROOT)} imports {used}"
