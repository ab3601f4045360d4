"""Start the three service processes on chosen ports, databases and vhost, and stop them.

Used by the end-to-end suite and the benchmark: both need real processes that nothing else on
the machine talks to.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from shared.clock import BusinessClock

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("national_hub", "insured_region", "treating_region")
PREFIX = {
    "national_hub": "NATIONAL_HUB_",
    "insured_region": "INSURED_REGION_",
    "treating_region": "TREATING_REGION_",
}


@dataclass
class Stack:
    treating_url: str
    hub_url: str
    insured_url: str
    unserved_region: str | None = None
    """A pool that no insured-region process of this stack serves (its requests go unanswered)."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    log_dir: Path = ROOT / ".run"
    compose: list[str] = field(default_factory=list)
    """For a deployment in containers: the compose command that controls it (``docker-compose
    -p <project>``), so a test can kill and start its services, broker and database."""
    _containers: dict[str, str] = field(default_factory=dict, repr=False)

    def url(self, name: str) -> str:
        urls = {
            "treating_region": self.treating_url,
            "national_hub": self.hub_url,
            "insured_region": self.insured_url,
        }
        return urls[name]

    @property
    def can_crash(self) -> bool:
        """Whether the services can be killed and started again: processes of this stack, or
        containers its compose command controls."""
        return bool(self.processes or self.compose)

    def container(self, service: str) -> str:
        """The id of the compose service's container (kept across kill, stop and start)."""
        if service not in self._containers:
            ids = subprocess.run(
                [*self.compose, "ps", "-q", service],
                check=True,
                timeout=120,
                capture_output=True,
                text=True,
            ).stdout.split()
            if not ids:
                raise RuntimeError(f"no container runs compose service {service}")
            self._containers[service] = ids[0]
        return self._containers[service]

    def docker(self, command: str, service: str, *args: str) -> str:
        """``docker <command> <the service's container> <args>``: kill, start, stop, restart,
        exec; what it printed. The docker client, not compose: it answers in a fraction of a
        second, where a fault test times the outage it makes."""
        return subprocess.run(
            ["docker", command, self.container(service), *args],
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        ).stdout

    def start(self, name: str) -> None:
        """(Re)start one service and wait until it answers /healthz."""
        if self.compose:
            self.docker("start", name)
            wait_healthy(self.url(name), None, None)
            return
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}", "serve"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.processes[name] = proc
        wait_healthy(self.url(name), proc, log)

    def start_extra(
        self, name: str, port: int, log: Path, **settings: str
    ) -> subprocess.Popen[bytes]:
        """Another process of ``name`` on the same databases and queues, on ``port``, with
        ``settings`` (without the service's prefix) over the stack's; waits until healthy.
        The caller stops it (it is not one of ``processes``)."""
        env = {**self.env, f"{PREFIX[name]}HTTP_PORT": str(port)}
        env |= {f"{PREFIX[name]}{key}": value for key, value in settings.items()}
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}", "serve", "--no-migrate"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        return proc

    def kill(self, name: str) -> None:
        """kill -9: no shutdown, no acks, no goodbyes (the fault tests' crash)."""
        if self.compose:
            self.docker("kill", name)  # SIGKILL; the restart policy leaves it down
            return
        proc = self.processes[name]
        proc.kill()
        proc.wait(timeout=10)

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.processes.items()}

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def clock_environment(business_clock: BusinessClock) -> dict[str, str]:
    """``RELAY_CLOCK_*`` for every process of a deployment: one epoch, so one clock."""
    epoch = business_clock.epoch or datetime.now(UTC)
    env = {"RELAY_CLOCK_SPEED": repr(business_clock.speed), "RELAY_CLOCK_EPOCH": epoch.isoformat()}
    if business_clock.start is not None:
        env["RELAY_CLOCK_START"] = business_clock.start.isoformat()
    return env


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes] | None, log: Path | None, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-3000:] if log else ""
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not healthy after {timeout_s:.0f} s")


def start_stack(
    *,
    ports: dict[str, int],
    settings: dict[str, dict[str, str]],
    log_dir: Path,
    business_clock: BusinessClock | None = None,
) -> Stack:
    """``settings[service]`` are that service's variables without their prefix; a
    ``business_clock`` (its epoch set to now when it has none) is every service's one clock."""
    env = dict(os.environ)
    if business_clock is not None:
        env |= clock_environment(business_clock)
    # the hub reads the day statements of its own stack's regions, whatever the defaults say
    env[f"{PREFIX['national_hub']}TREATING_URL"] = f"http://127.0.0.1:{ports['treating_region']}"
    env[f"{PREFIX['national_hub']}INSURED_URL"] = f"http://127.0.0.1:{ports['insured_region']}"
    for name in SERVICES:
        env[f"{PREFIX[name]}HTTP_PORT"] = str(ports[name])
        for key, value in settings.get(name, {}).items():
            env[f"{PREFIX[name]}{key}"] = value
    stack = Stack(
        treating_url=f"http://127.0.0.1:{ports['treating_region']}",
        hub_url=f"http://127.0.0.1:{ports['national_hub']}",
        insured_url=f"http://127.0.0.1:{ports['insured_region']}",
        env=env,
        ports=dict(ports),
        log_dir=log_dir,
    )
    log_dir.mkdir(parents=True, exist_ok=True)
    for name in SERVICES:
        (log_dir / f"{name}.log").write_bytes(b"")
    try:
        for name in SERVICES:  # the hub first: it declares the queues the others publish into
            stack.start(name)
    except BaseException:
        stack.stop()
        raise
    return stack


ROLES = {"treating_region": "treating", "national_hub": "hub", "insured_region": "insured"}


PG_ADDRESS = os.environ.get("RELAY_PG_ADDRESS", "127.0.0.1:5432")
"""Where the suite's and the benchmark's PostgreSQL listens: the local cluster, or a
deployment's published port (``make e2e-docker`` sets it)."""


def database_url(service: str, suffix: str, *, driver: str = "postgresql+asyncpg") -> str:
    role = ROLES[service]
    return f"{driver}://{role}:{role}@{PG_ADDRESS}/{service}{suffix}"


async def fresh_databases(suffix: str) -> None:
    """Drop and create ``<service><suffix>`` for each service (each role may create its own)."""
    import asyncpg

    for service, role in ROLES.items():
        conn = await asyncpg.connect(database_url(service, "", driver="postgresql"))
        try:
            await _drop(conn, f"{service}{suffix}")
            await conn.execute(f'CREATE DATABASE "{service}{suffix}" OWNER "{role}"')
        finally:
            await conn.close()


async def fresh_journal(amqp_url: str) -> None:
    """Delete the vhost's journal stream (the hub declares it again at start): a run whose
    databases are new reads only its own messages, not every earlier run's."""
    import aio_pika

    from shared.messaging.topology import HUB_JOURNAL

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            stream = await channel.declare_queue(HUB_JOURNAL, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return  # none yet: the hub declares it
        if stream.declaration_result.consumer_count:
            # a hub still reads it (a run left behind, a shared vhost): leave it alone
            print(f"{HUB_JOURNAL} has readers, kept", file=sys.stderr)
            return
        await channel.queue_delete(HUB_JOURNAL)


async def _drop(conn: Any, database: str) -> None:
    """FORCE ends our own leftover sessions; an autovacuum worker (busy after a 10⁶-row run)
    is not ours to end, but PostgreSQL stops it for a plain DROP: wait and try that."""
    import asyncpg

    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return
    except asyncpg.InsufficientPrivilegeError:
        pass
    for _ in range(60):
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            return
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(1.0)
    await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')


def peak_memory_mib(pid: int) -> float | None:
    """VmHWM: the resident set's high-water mark of a live process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
