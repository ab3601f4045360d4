"""Layering: domain code imports no I/O library and no outer layer; pure shared code uses stdlib;
sim/ and bench/ import no service; no service imports another; a service layer takes commands,
never its service's wire models (it imports no entrypoints)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import services

ROOT = Path(services.__file__).resolve().parent.parent

FORBIDDEN_LIBRARIES = frozenset(
    {
        "sqlalchemy",
        "fastapi",
        "aio_pika",
        "aiormq",
        "pydantic",
        "pydantic_settings",
        "httpx",
        "asyncpg",
        "uvicorn",
    }
)
FORBIDDEN_SERVICE_LAYERS = frozenset({"adapters", "entrypoints", "service_layer"})
FORBIDDEN_SHARED = frozenset(
    {
        "shared.db",
        "shared.messaging",
        "shared.web",
        "shared.runtime",
        "shared.envelope",
        "shared.settings",
        "shared.cli",
    }
)

DOMAIN_FILES = sorted(ROOT.glob("services/*/domain/**/*.py"))
SERVICE_FILES = sorted(ROOT.glob("services/*/**/*.py"))
SIM_AND_BENCH_FILES = sorted([*ROOT.glob("sim/**/*.py"), *ROOT.glob("bench/**/*.py")])
SERVICE_LAYER_FILES = sorted(ROOT.glob("services/*/service_layer/**/*.py"))
PURE_SHARED_FILES = [
    ROOT / "shared" / name
    for name in (
        "money.py",
        "errors.py",
        "regions.py",
        "certificates.py",
        "stats.py",
        "identities.py",
    )
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every module the source imports, with relative imports resolved and `from a import b`
    also reported as `a.b` (b may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.append(base)
            found.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def is_forbidden(name: str) -> bool:
    parts = name.split(".")
    if parts[0] in FORBIDDEN_LIBRARIES:
        return True
    if parts[0] == "services" and len(parts) >= 3 and parts[2] in FORBIDDEN_SERVICE_LAYERS:
        return True
    return any(name == s or name.startswith(s + ".") for s in FORBIDDEN_SHARED)


def violations(imports: list[str]) -> list[str]:
    return [name for name in imports if is_forbidden(name)]


def service_imports(imports: list[str]) -> list[str]:
    """Any service module at all: the simulated hospitals and the benches see a service only
    through its wire (HTTP, AMQP) or by starting its process ("hospitals only see the gateway")."""
    return [name for name in imports if name == "services" or name.startswith("services.")]


def other_service_imports(imports: list[str], own: str) -> list[str]:
    """Modules of a service other than ``own``: services talk over the relay, never in-process."""
    return [
        name
        for name in imports
        if (parts := name.split("."))[0] == "services" and len(parts) > 1 and parts[1] != own
    ]


def imports_of(path: Path) -> list[str]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def test_domain_files_are_found() -> None:
    services_with_domain = {p.relative_to(ROOT).parts[1] for p in DOMAIN_FILES}
    assert {"national_hub", "insured_region"} <= services_with_domain
    assert any(p.name == "routing.py" for p in DOMAIN_FILES)


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_no_io_and_no_outer_layer(path: Path) -> None:
    assert violations(imports_of(path)) == []


PURE_SHARED_MODULES = frozenset(module_name(path) for path in PURE_SHARED_FILES)


@pytest.mark.parametrize("path", PURE_SHARED_FILES, ids=lambda p: p.name)
def test_pure_shared_modules_import_only_the_stdlib(path: Path) -> None:
    """The stdlib, or another pure shared module (``from shared.certificates import ...``)."""
    imports = imports_of(path)
    assert imports
    outside = {
        name
        for name in imports
        if name.split(".")[0] not in sys.stdlib_module_names
        and not any(name == m or name.startswith(m + ".") for m in PURE_SHARED_MODULES)
    }
    assert outside == set()


def test_sim_bench_and_service_files_are_found() -> None:
    assert {p.relative_to(ROOT).parts[0] for p in SIM_AND_BENCH_FILES} == {"sim", "bench"}
    assert {p.relative_to(ROOT).parts[1] for p in SERVICE_FILES} == {
        "treating_region",
        "national_hub",
        "insured_region",
    }


@pytest.mark.parametrize("path", SIM_AND_BENCH_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_sim_and_bench_import_no_service(path: Path) -> None:
    assert service_imports(imports_of(path)) == []


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_service_imports_another(path: Path) -> None:
    own = path.relative_to(ROOT).parts[1]
    assert other_service_imports(imports_of(path), own) == []


def entrypoint_imports(imports: list[str], service: str) -> list[str]:
    """The imports of ``service``'s own entrypoints (its routes, consumers and wire models)."""
    package = f"services.{service}.entrypoints"
    return [name for name in imports if name == package or name.startswith(package + ".")]


def test_service_layer_files_are_found() -> None:
    services_with_one = {p.relative_to(ROOT).parts[1] for p in SERVICE_LAYER_FILES}
    assert "treating_region" in services_with_one
    assert any(p.name == "reversal.py" for p in SERVICE_LAYER_FILES)


@pytest.mark.parametrize("path", SERVICE_LAYER_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_service_layer_imports_no_entrypoints(path: Path) -> None:
    service = path.relative_to(ROOT).parts[1]
    assert entrypoint_imports(imports_of(path), service) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from services.treating_region.entrypoints import schemas as s", True),
        ("from ..entrypoints.schemas import Input2207", True),
        ("import services.treating_region.entrypoints.api", True),
        ("from services.treating_region.service_layer.commands import Settle", False),
        ("from services.treating_region.adapters import ledger", False),
    ],
)
def test_entrypoint_check_catches_what_it_should(source: str, caught: bool) -> None:
    module = "services.treating_region.service_layer.settlement"
    found = entrypoint_imports(imported_modules(source, module), "treating_region")
    assert bool(found) is caught


# --- the checker itself catches what it should ----------------------------------------------

BAD_SOURCES = [
    ("import sqlalchemy", "sqlalchemy"),
    ("from sqlalchemy.orm import Session", "sqlalchemy.orm"),
    ("import aio_pika.abc as a", "aio_pika.abc"),
    ("from pydantic import BaseModel", "pydantic"),
    ("from pydantic_settings import BaseSettings", "pydantic_settings"),
    ("import httpx, json", "httpx"),
    ("from services.insured_region.adapters import persons", "services.insured_region.adapters"),
    ("from services.national_hub import service_layer", "services.national_hub.service_layer"),
    ("import services.treating_region.entrypoints.api", "services.treating_region.entrypoints.api"),
    ("from shared import envelope", "shared.envelope"),
    ("from shared.messaging.signing import sign", "shared.messaging.signing"),
    ("from shared.db import make_engine", "shared.db"),
    ("from ..adapters import persons", "services.insured_region.adapters"),
    ("from .. import entrypoints", "services.insured_region.entrypoints"),
    ("def f():\n    import uvicorn\n", "uvicorn"),
]


@pytest.mark.parametrize(("source", "caught"), BAD_SOURCES, ids=[s for s, _ in BAD_SOURCES])
def test_checker_catches_forbidden_imports(source: str, caught: str) -> None:
    found = violations(imported_modules(source, "services.insured_region.domain.person"))
    assert caught in found


@pytest.mark.parametrize(
    "source",
    [
        "from shared.errors import E1001, RelayError",
        "from shared import regions, money",
        "from shared.logging import mask_id_no",
        "from services.insured_region.domain.person import Person",
        "from . import person",
        "import datetime, decimal",
    ],
)
def test_checker_allows_pure_imports(source: str) -> None:
    assert violations(imported_modules(source, "services.insured_region.domain.population")) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        (
            "from services.insured_region.domain.population import make_id_no",
            "services.insured_region.domain.population",
        ),
        ("import services.national_hub.bootstrap", "services.national_hub.bootstrap"),
        ("from services import treating_region", "services.treating_region"),
        ("def f():\n    from services.insured_region import settings\n", "services.insured_region"),
    ],
)
def test_checker_catches_a_service_import_in_sim_or_bench(source: str, caught: str) -> None:
    assert caught in service_imports(imported_modules(source, "sim.plan"))


def test_checker_allows_shared_in_sim_or_bench() -> None:
    source = "from shared.identities import make_id_no\nimport httpx\nfrom . import traffic"
    assert service_imports(imported_modules(source, "sim.plan")) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        (
            "from services.national_hub.domain.routing import decide",
            "services.national_hub.domain.routing",
        ),
        ("import services.treating_region.settings", "services.treating_region.settings"),
        ("from services import national_hub", "services.national_hub"),
        ("from ... import treating_region", "services.treating_region"),
    ],
)
def test_checker_catches_another_service(source: str, caught: str) -> None:
    found = other_service_imports(
        imported_modules(source, "services.insured_region.domain.person"), "insured_region"
    )
    assert caught in found


@pytest.mark.parametrize(
    "source",
    [
        "from services.insured_region.domain.person import Person",
        "from ..adapters import persons",
        "from shared.regions import REGIONS",
        "import services",
    ],
)
def test_checker_allows_the_own_service(source: str) -> None:
    found = other_service_imports(
        imported_modules(source, "services.insured_region.service_layer.settlement"),
        "insured_region",
    )
    assert found == []
