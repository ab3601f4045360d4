"""CPU time per process group, read from ``/proc``: what one settlement costs each part.

A group is a name and the processes that make it up, found again at every reading (a PostgreSQL
backend comes and goes with its connection). A process that ended between two readings takes
its time with it, except what its parent collected (``cutime``/``cstime``: PostgreSQL's
postmaster waits for its backends), so the figures are a floor, never an invention.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU of a live process (and of its waited-for children); 0 if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # the command may hold spaces and parentheses: the fields follow the last ')'
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICKS_PER_S


def pids_named(*names: str) -> list[int]:
    """Live processes whose command name (``comm``) is one of ``names``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in names:
            found.append(int(entry.name))
    return found


Group = Callable[[], Iterable[int]]


class CpuMeter:
    """CPU seconds per group between ``start`` and ``stop``; ``per_call`` turns them into
    milliseconds per call."""

    def __init__(self, groups: dict[str, Group]) -> None:
        self._groups = groups
        self._began: dict[str, float] = {}
        self.used_s: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        return {
            name: sum(cpu_seconds(pid, children=True) for pid in pids())
            for name, pids in self._groups.items()
        }

    def start(self) -> None:
        self._began = self._read()

    def stop(self) -> dict[str, float]:
        now = self._read()
        self.used_s = {name: max(0.0, now[name] - self._began.get(name, 0.0)) for name in now}
        return self.used_s

    def per_call(self, calls: int) -> dict[str, float]:
        if calls <= 0:
            return {}
        per = {name: round(used * 1000 / calls, 2) for name, used in self.used_s.items()}
        per["total"] = round(sum(self.used_s.values()) * 1000 / calls, 2)
        return per


def relay_groups(service_pids: dict[str, int]) -> dict[str, Group]:
    """The relay's three services, PostgreSQL, RabbitMQ and this load generator."""

    def one(pid: int) -> Group:
        return lambda: [pid]

    groups: dict[str, Group] = {name: one(pid) for name, pid in service_pids.items()}
    groups["postgresql"] = lambda: pids_named("postgres")
    groups["rabbitmq"] = lambda: pids_named("beam.smp")
    groups["load"] = one(os.getpid())
    return groups
