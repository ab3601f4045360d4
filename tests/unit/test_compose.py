"""docker-compose.yml and deploy/Dockerfile checked against the code, without Docker.

No Docker engine is needed (nor used): the compose file is parsed with PyYAML and every app
service's command, environment, ports, healthcheck and mounts are compared with the service
packages, their CLI (run for real up to argument parsing) and their Settings classes.

Each ``*_problems`` helper returns human-readable problems naming the offending compose key; the
real file must have none, and ``test_a_wrong_entry_is_reported`` breaks a copy on purpose to show
that each kind of mistake would be caught.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import io
import json
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn
from unittest import mock
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from shared.messaging.definitions import hash_matches
from shared.messaging.topology import region_user
from shared.regions import parse_region_list

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SQL = Path("deploy/postgres/init.sql")
RABBITMQ_DEFINITIONS = Path("deploy/rabbitmq/definitions.json")
INFRA_SERVICES = ("postgres", "rabbitmq")
EXPECTED_APP_SERVICES = ("insured_region", "national_hub", "treating_region")
LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"

Compose = dict[str, Any]


def code_services(root: Path = ROOT) -> list[str]:
    """The services the code has: packages under services/ runnable with ``python -m``."""
    return sorted(
        p.parent.name
        for p in (root / "services").glob("*/__main__.py")
        if (p.parent / "__init__.py").is_file() and (p.parent / "settings.py").is_file()
    )


def load_compose(path: Path = COMPOSE_FILE) -> Compose:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: top level is not a mapping"
    assert isinstance(data.get("services"), dict), f"{path}: no 'services' mapping"
    return data


# ------------------------------------------------------------------ compose value helpers

_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` as it resolves with VAR unset (the checked-in default)."""
    return _INTERPOLATION.sub(lambda m: m["default"] or "", value).replace("$$", "$")


def command_args(svc: dict[str, Any]) -> list[str]:
    command = svc.get("command")
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(a) for a in command]


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def service_module(svc: dict[str, Any]) -> str | None:
    """``x`` for a command ``python -m services.x ...``; None for anything else."""
    args = command_args(svc)
    if len(args) >= 3 and args[0].startswith("python") and args[1] == "-m":
        module = args[2]
        if module.startswith("services."):
            return module.removeprefix("services.")
    return None


def app_services(compose: Compose, root: Path = ROOT) -> dict[str, str]:
    """compose service name -> code service, for each service running an existing ``services.<x>``.

    A command naming a module the code lacks is reported by ``command_problems``.
    """
    known = set(code_services(root))
    found: dict[str, str] = {}
    for name, svc in compose["services"].items():
        module = service_module(svc)
        if module in known:
            found[name] = module
    return found


def subcommand(svc: dict[str, Any]) -> str | None:
    args = command_args(svc)
    return args[3] if len(args) > 3 else None


def published_ports(svc: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    """(host ip, host port, container port) of each ``ports`` entry, short or long syntax."""
    out: list[tuple[str | None, str, str]] = []
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            host_ip = entry.get("host_ip")
            out.append((host_ip, str(entry.get("published", "")), str(entry.get("target", ""))))
            continue
        text = interpolate(str(entry)).split("/")[0]
        if text.startswith("["):  # [::1]:8001:8001
            ip, _, rest = text[1:].partition("]:")
            host, _, target = rest.rpartition(":")
            out.append((ip, host, target))
            continue
        parts = text.split(":")
        if len(parts) == 3:
            out.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            out.append((None, parts[0], parts[1]))
        else:
            out.append((None, "", parts[0]))
    return out


def settings_class(code_service: str) -> type[BaseSettings]:
    module = importlib.import_module(f"services.{code_service}.settings")
    cls = module.Settings
    assert isinstance(cls, type)
    assert issubclass(cls, BaseSettings)
    return cls


def env_prefix(cls: type[BaseSettings]) -> str:
    return str(cls.model_config.get("env_prefix") or "")


def default_http_port(cls: type[BaseSettings]) -> int:
    default = cls.model_fields["http_port"].default
    assert isinstance(default, int), f"{cls.__module__}.Settings.http_port has no int default"
    return default


def settings_values(cls: type[BaseSettings], env: dict[str, str]) -> dict[str, str]:
    """field name -> value for the env vars that map to a field of ``cls``."""
    prefix = env_prefix(cls)
    values: dict[str, str] = {}
    for key, value in env.items():
        field = key[len(prefix) :].lower() if key.startswith(prefix) else None
        if field in cls.model_fields:
            values[field] = interpolate(value)
    return values


# ------------------------------------------------------------------ the checks


def services_present_problems(compose: Compose, root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    services = compose["services"]
    running = set(app_services(compose).values())
    for name in code_services(root):
        if name not in services:
            problems.append(f"services.{name}: missing (the code has services/{name})")
        if name not in running:
            problems.append(f"services.{name}: no compose service runs python -m services.{name}")
    for name in INFRA_SERVICES:
        if name not in services:
            problems.append(f"services.{name}: missing")
    for name, svc in services.items():
        if not isinstance(svc, dict) or not (svc.get("image") or svc.get("build")):
            problems.append(f"services.{name}: neither image nor build")
    return problems


class _Parsed(Exception):
    def __init__(self, namespace: argparse.Namespace) -> None:
        super().__init__("parsed")
        self.namespace = namespace


def cli_problem(code_service: str, argv: list[str]) -> str | None:
    """Run the service's real ``main()`` up to argument parsing; None if the CLI accepts argv.

    Nothing is served or migrated: ``parse_args`` is wrapped to stop right after parsing, and
    ``get_settings`` is replaced so the process environment and the settings cache stay
    untouched.
    """
    module = importlib.import_module(f"services.{code_service}.__main__")
    main = getattr(module, "main", None)
    if not callable(main):
        return f"services.{code_service}.__main__ has no main()"
    original = argparse.ArgumentParser.parse_args

    def stop_after_parsing(
        parser: argparse.ArgumentParser, args: Any = None, namespace: Any = None
    ) -> NoReturn:
        raise _Parsed(original(parser, args, namespace))

    settings = settings_class(code_service).model_construct()
    stderr = io.StringIO()
    with (
        mock.patch.object(argparse.ArgumentParser, "parse_args", stop_after_parsing),
        mock.patch.object(module, "get_settings", return_value=settings),
        mock.patch("sys.argv", [f"python -m services.{code_service}", *argv]),
        contextlib.redirect_stderr(stderr),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        try:
            main()
        except _Parsed as parsed:
            if getattr(parsed.namespace, "command", None) != argv[0]:
                return f"parsed as {parsed.namespace!r}"
            return None
        except SystemExit as exc:
            message = stderr.getvalue().strip().splitlines() or ["no message"]
            return f"rejected (exit {exc.code}): {message[-1]}"
    return "main() returned without parsing its arguments"


def command_problems(compose: Compose, root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    for name, svc in compose["services"].items():
        if name in INFRA_SERVICES:
            continue
        args = command_args(svc)
        module = service_module(svc)
        key = f"services.{name}.command"
        if module is None:
            problems.append(f"{key}: {args!r} is not ['python', '-m', 'services.<x>', ...]")
            continue
        package = root / "services" / module
        if not module.isidentifier() or not (package / "__main__.py").is_file():
            problems.append(f"{key}: services.{module} is not a package with __main__.py")
            continue
        if len(args) < 4:
            problems.append(f"{key}: no sub-command (serve, migrate, ...) after services.{module}")
            continue
        problem = cli_problem(module, [interpolate(a) for a in args[3:]])
        if problem is not None:
            problems.append(f"{key}: {shlex.join(args[3:])!r}: {problem}")
    return problems


def environment_problems(compose: Compose) -> list[str]:
    problems: list[str] = []
    secrets: dict[str, str] = {}
    for name, module in app_services(compose).items():
        svc = compose["services"][name]
        cls = settings_class(module)
        prefix = env_prefix(cls)
        env = environment(svc)
        for key in env:
            field = key[len(prefix) :].lower() if key.startswith(prefix) else None
            if field not in cls.model_fields:
                problems.append(
                    f"services.{name}.environment.{key}: not a setting of services.{module} "
                    f"(expected {prefix}<FIELD> with FIELD one of "
                    f"{', '.join(f.upper() for f in cls.model_fields)})"
                )
        values = settings_values(cls, env)
        try:
            cls.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else "?"
                problems.append(
                    f"services.{name}.environment.{prefix}{field.upper()}: {error['msg']}"
                )
        if subcommand(svc) == "serve":
            if values.get("http_host") != ALL_INTERFACES:
                problems.append(
                    f"services.{name}.environment.{prefix}HTTP_HOST: must be {ALL_INTERFACES} "
                    f"inside the container (the default listens on loopback only)"
                )
            if "relay_secret" not in values:
                problems.append(f"services.{name}.environment.{prefix}RELAY_SECRET: not set")
        if "relay_secret" in values:
            secrets[f"services.{name}.environment.{prefix}RELAY_SECRET"] = env[
                f"{prefix}RELAY_SECRET"
            ]
    if len(set(secrets.values())) > 1:
        problems.append(f"relay secrets differ between services: {secrets}")
    return problems


def _init_sql_accounts(init_sql: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(role -> password, database -> owner) created by deploy/postgres/init.sql."""
    text = init_sql.read_text(encoding="utf-8")
    roles = dict(re.findall(r"CREATE ROLE\s+(\w+)\b[^;]*?PASSWORD\s+'([^']*)'", text, re.I))
    databases = dict(re.findall(r"CREATE DATABASE\s+(\w+)\s+OWNER\s+(\w+)", text, re.I))
    return roles, databases


def url_problems(compose: Compose, root: Path = ROOT) -> list[str]:
    """DATABASE_URL / AMQP_URL point at compose services and at accounts that get created."""
    problems: list[str] = []
    roles, databases = _init_sql_accounts(root / INIT_SQL)
    definitions = json.loads((root / RABBITMQ_DEFINITIONS).read_text(encoding="utf-8"))
    vhosts = {v["name"] for v in definitions.get("vhosts", [])}
    users = {u["name"]: u["password_hash"] for u in definitions.get("users", [])}
    for name, module in app_services(compose).items():
        cls = settings_class(module)
        prefix = env_prefix(cls)
        values = settings_values(cls, environment(compose["services"][name]))
        serves = subcommand(compose["services"][name]) == "serve"
        for field, service in (("database_url", "postgres"), ("amqp_url", "rabbitmq")):
            if field not in values:
                if serves or field == "database_url":  # the defaults point at 127.0.0.1
                    problems.append(f"services.{name}.environment.{prefix}{field.upper()}: not set")
                continue
            key = f"services.{name}.environment.{prefix}{field.upper()}"
            url = urlsplit(values[field])
            if url.hostname != service:
                problems.append(f"{key}: host {url.hostname!r} is not the {service} service")
            path = url.path.lstrip("/")
            if field == "database_url":
                if roles.get(url.username or "") != url.password:
                    problems.append(f"{key}: role {url.username!r} / password not in init.sql")
                if databases.get(path) != url.username:
                    problems.append(f"{key}: database {path!r} owned by it not in init.sql")
            else:
                if path not in vhosts:
                    problems.append(f"{key}: vhost {path!r} not in definitions.json")
                if url.username not in users:
                    problems.append(f"{key}: user {url.username!r} not in definitions.json")
                elif not hash_matches(unquote(url.password or ""), users[url.username]):
                    problems.append(f"{key}: password of {url.username!r} not in definitions.json")
        if serves and name != "national_hub":
            problems += _region_user_problems(name, prefix, cls, values, users)
    return problems


def _region_user_problems(
    name: str, prefix: str, cls: type[BaseSettings], values: dict[str, str], users: dict[str, str]
) -> list[str]:
    """A region service connects as each served region's broker user (design §4): every one
    must be in the definitions with the password the service will give."""
    default = cls.model_fields["amqp_region_password"].default
    password = values.get("amqp_region_password", default)
    overrides = json.loads(values.get("amqp_region_passwords", "{}"))
    problems = []
    for admdvs in parse_region_list(values.get("regions", "all")):
        user = region_user(admdvs)
        key = f"services.{name}.environment.{prefix}REGIONS: {admdvs}"
        if user not in users:
            problems.append(f"{key}: broker user {user!r} not in definitions.json")
        elif not hash_matches(overrides.get(admdvs, password), users[user]):
            problems.append(f"{key}: password of {user!r} not in definitions.json")
    return problems


def port_problems(compose: Compose) -> list[str]:
    problems: list[str] = []
    for name, svc in compose["services"].items():
        for host_ip, host, target in published_ports(svc):
            if host_ip != LOOPBACK:
                problems.append(
                    f"services.{name}.ports: {host}:{target} binds {host_ip or 'all interfaces'}, "
                    f"not {LOOPBACK}"
                )
    for name, module in app_services(compose).items():
        svc = compose["services"][name]
        ports = published_ports(svc)
        if subcommand(svc) != "serve":
            if ports:
                problems.append(f"services.{name}.ports: a one-shot command publishes no port")
            continue
        cls = settings_class(module)
        default = str(default_http_port(cls))
        listen = settings_values(cls, environment(svc)).get("http_port", default)
        expected = (LOOPBACK, default, listen)
        if ports != [expected]:
            problems.append(
                f"services.{name}.ports: {ports} should be exactly ['{':'.join(expected)}'] "
                f"(host port = services.{module} default http_port {default}, "
                f"container port = the port it listens on, {listen})"
            )
        test = " ".join(str(t) for t in (svc.get("healthcheck") or {}).get("test") or [])
        if f":{listen}/healthz" not in test:
            problems.append(
                f"services.{name}.healthcheck.test: does not request :{listen}/healthz ({test!r})"
            )
    return problems


def dependency_problems(compose: Compose) -> list[str]:
    problems: list[str] = []
    services = compose["services"]
    for name, svc in services.items():
        depends = svc.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        for dep, spec in depends.items():
            key = f"services.{name}.depends_on.{dep}"
            if dep not in services:
                problems.append(f"{key}: no such service")
            elif spec.get("condition") == "service_healthy" and not services[dep].get(
                "healthcheck"
            ):
                problems.append(f"{key}: service_healthy but {dep} has no healthcheck")
        if name in app_services(compose) and subcommand(svc) == "serve":
            for infra in INFRA_SERVICES:
                if (depends.get(infra) or {}).get("condition") != "service_healthy":
                    problems.append(
                        f"services.{name}.depends_on.{infra}: condition must be service_healthy"
                    )
    return problems


def _bind_sources(svc: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(source, named volume or None) of each ``volumes`` entry."""
    for entry in svc.get("volumes") or []:
        if isinstance(entry, dict):
            source = str(entry.get("source", ""))
            yield source, source if entry.get("type") == "volume" else None
            continue
        source = str(entry).split(":")[0]
        is_path = source.startswith((".", "/", "~"))
        yield source, None if is_path else source


def mount_problems(compose: Compose, root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    declared = set((compose.get("volumes") or {}).keys())
    for name, svc in compose["services"].items():
        for source, volume in _bind_sources(svc):
            if volume is not None:
                if volume not in declared:
                    problems.append(f"services.{name}.volumes: named volume {volume!r} undeclared")
            elif not (root / source).exists():
                problems.append(f"services.{name}.volumes: {source} does not exist in the repo")
        env_files = svc.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            if not (root / str(env_file)).is_file():
                problems.append(f"services.{name}.env_file: {env_file} does not exist")
        build = svc.get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = root / str(build.get("context", "."))
        dockerfile = context / str(build.get("dockerfile", "Dockerfile"))
        if not context.is_dir():
            problems.append(f"services.{name}.build.context: {context} is not a directory")
        if not dockerfile.is_file():
            problems.append(f"services.{name}.build.dockerfile: {dockerfile} does not exist")
        else:
            problems.extend(
                f"services.{name}.build.dockerfile: {p}"
                for p in dockerfile_problems(dockerfile, context)
            )
    return problems


def dockerfile_problems(dockerfile: Path, context: Path = ROOT) -> list[str]:
    """COPY sources exist in the build context; the image ends as a non-root user."""
    problems: list[str] = []
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    users: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        instruction = words[0].upper()
        if instruction == "USER":
            users.append(words[1])
        if instruction not in ("COPY", "ADD") or any(w.startswith("--from") for w in words):
            continue
        sources = [w for w in words[1:-1] if not w.startswith("--")]
        for source in sources:
            if any(c in source for c in "*?["):
                continue  # a wildcard may match nothing on purpose
            if not (context / source).exists():
                problems.append(f"{instruction} {source}: not in the build context")
    if not users or users[-1] in ("root", "0", "0:0"):
        problems.append("the image must end with a non-root USER")
    return problems


CHECKS: tuple[Callable[[Compose], list[str]], ...] = (
    services_present_problems,
    command_problems,
    environment_problems,
    url_problems,
    port_problems,
    dependency_problems,
    mount_problems,
)


def all_problems(compose: Compose) -> list[str]:
    return [problem for check in CHECKS for problem in check(compose)]


# ------------------------------------------------------------------ tests


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load_compose()


def test_the_code_has_the_expected_services() -> None:
    assert code_services() == list(EXPECTED_APP_SERVICES)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_compose_matches_the_code(compose: Compose, check: Callable[[Compose], list[str]]) -> None:
    problems = check(compose)
    assert not problems, "docker-compose.yml:\n  " + "\n  ".join(problems)


def test_app_services_publish_their_default_ports(compose: Compose) -> None:
    ports = {
        module: published_ports(compose["services"][name])
        for name, module in app_services(compose).items()
        if subcommand(compose["services"][name]) == "serve"
    }
    assert ports == {
        module: [(LOOPBACK, str(p), str(p))]
        for module in EXPECTED_APP_SERVICES
        for p in [default_http_port(settings_class(module))]
    }


def test_seed_is_an_optional_one_shot(compose: Compose) -> None:
    seed = compose["services"]["seed"]
    assert seed.get("profiles") == ["seed"]
    assert service_module(seed) == "insured_region"
    assert subcommand(seed) == "seed"
    assert seed.get("restart") == "no"


def _set_env(service: str, key: str, value: str) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        c["services"][service]["environment"][key] = value

    return mutate


def _set(service: str, key: str, value: Any) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        c["services"][service][key] = value

    return mutate


def _drop(service: str) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        del c["services"][service]

    return mutate


WRONG_ENTRIES: list[tuple[str, Callable[[Compose], None], str]] = [
    (
        "unknown setting",
        _set_env("treating_region", "TREATING_REGION_REPLY_DEADLINE", "10"),
        "services.treating_region.environment.TREATING_REGION_REPLY_DEADLINE",
    ),
    (
        "other service's prefix",
        _set_env("national_hub", "TREATING_REGION_HTTP_PORT", "8001"),
        "services.national_hub.environment.TREATING_REGION_HTTP_PORT",
    ),
    (
        "value of the wrong type",
        _set_env("treating_region", "TREATING_REGION_REPLY_DEADLINE_S", "soon"),
        "services.treating_region.environment.TREATING_REGION_REPLY_DEADLINE_S",
    ),
    (
        "listening on loopback in the container",
        _set_env("insured_region", "INSURED_REGION_HTTP_HOST", "127.0.0.1"),
        "services.insured_region.environment.INSURED_REGION_HTTP_HOST",
    ),
    (
        "different relay secret",
        _set_env("insured_region", "INSURED_REGION_RELAY_SECRET", "other"),
        "relay secrets differ",
    ),
    (
        "database not created by init.sql",
        _set_env(
            "national_hub",
            "NATIONAL_HUB_DATABASE_URL",
            "postgresql+asyncpg://hub:hub@postgres:5432/hub",
        ),
        "services.national_hub.environment.NATIONAL_HUB_DATABASE_URL",
    ),
    (
        "broker host that is no service",
        _set_env("national_hub", "NATIONAL_HUB_AMQP_URL", "amqp://relay:relay@127.0.0.1/relay"),
        "services.national_hub.environment.NATIONAL_HUB_AMQP_URL",
    ),
    (
        "broker password other than the definitions'",
        _set_env("national_hub", "NATIONAL_HUB_AMQP_URL", "amqp://relay:nope@rabbitmq:5672/relay"),
        "services.national_hub.environment.NATIONAL_HUB_AMQP_URL: password of 'relay'",
    ),
    (
        "region password other than the definitions'",
        _set_env("insured_region", "INSURED_REGION_AMQP_REGION_PASSWORD", "nope"),
        "services.insured_region.environment.INSURED_REGION_REGIONS: 110000: password",
    ),
    (
        "one region's password other than the definitions'",
        _set_env("treating_region", "TREATING_REGION_AMQP_REGION_PASSWORDS", '{"650100": "x"}'),
        "services.treating_region.environment.TREATING_REGION_REGIONS: 650100: password",
    ),
    (
        "module that does not exist",
        _set("national_hub", "command", ["python", "-m", "services.hub", "serve"]),
        "services.national_hub.command",
    ),
    (
        "sub-command the CLI lacks",
        _set("treating_region", "command", ["python", "-m", "services.treating_region", "seed"]),
        "services.treating_region.command",
    ),
    (
        "option the CLI lacks",
        _set("seed", "command", ["python", "-m", "services.insured_region", "seed", "--n", "4"]),
        "services.seed.command",
    ),
    (
        "host port other than the default",
        _set("treating_region", "ports", ["127.0.0.1:18001:8001"]),
        "services.treating_region.ports",
    ),
    (
        "port on all interfaces",
        _set("rabbitmq", "ports", ["5672:5672"]),
        "services.rabbitmq.ports",
    ),
    (
        "healthcheck on another port",
        _set(
            "national_hub",
            "healthcheck",
            {"test": ["CMD", "curl", "-f", "http://127.0.0.1:8001/healthz"]},
        ),
        "services.national_hub.healthcheck.test",
    ),
    (
        "mounted file missing",
        _set(
            "postgres", "volumes", ["./deploy/postgres/missing.sql:/docker-entrypoint-initdb.d/x"]
        ),
        "services.postgres.volumes",
    ),
    (
        "Dockerfile missing",
        _set("national_hub", "build", {"context": ".", "dockerfile": "deploy/Nope"}),
        "services.national_hub.build.dockerfile",
    ),
    (
        "dependency on an unknown service",
        _set("seed", "depends_on", {"nothing": {"condition": "service_healthy"}}),
        "services.seed.depends_on.nothing",
    ),
    (
        "waiting for a service without healthcheck",
        _set("national_hub", "healthcheck", None),
        "services.treating_region.depends_on.national_hub",
    ),
    (
        "app service not waiting for the broker",
        _set("national_hub", "depends_on", {"postgres": {"condition": "service_healthy"}}),
        "services.national_hub.depends_on.rabbitmq",
    ),
    ("service missing", _drop("insured_region"), "services.insured_region: missing"),
    ("infra missing", _drop("postgres"), "services.postgres: missing"),
]


@pytest.mark.parametrize(
    ("mutate", "offending_key"),
    [pytest.param(m, k, id=i) for i, m, k in WRONG_ENTRIES],
)
def test_a_wrong_entry_is_reported(
    compose: Compose, mutate: Callable[[Compose], None], offending_key: str
) -> None:
    broken = copy.deepcopy(compose)
    mutate(broken)
    problems = all_problems(broken)
    assert any(offending_key in p for p in problems), problems


def test_dockerfile_copies_only_what_exists(tmp_path: Path) -> None:
    assert dockerfile_problems(ROOT / "deploy" / "Dockerfile") == []
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:3.11-slim\nCOPY nowhere/ nowhere/\n", encoding="utf-8")
    assert dockerfile_problems(broken) == [
        "COPY nowhere/: not in the build context",
        "the image must end with a non-root USER",
    ]
