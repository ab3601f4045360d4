"""Where a settlement's CPU goes inside each service: py-spy samples while settlements run at a
sustained rate, summed by the package the sampled frame runs in (its own time) and by the
project's functions on the stack (the time spent under them).

The CPU meter (``bench.cpu``) says how many milliseconds each process spends per settlement;
this says on what. Samples are of threads on CPU only (py-spy's default), so a coroutine
waiting for the database or the broker costs nothing here, as it costs no CPU.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SAMPLES_PER_S = 200
TOP = 10

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::\d+)?\)$")
_OWN = ("services/", "shared/")
"""Paths of the project's own code, as py-spy writes them (relative to ``sys.path``)."""
_LOOP = ("Runner.run", "asyncio/runners.py")
"""The frame the event loop runs under: uvloop is native, so time on CPU with this frame on
top is native code the loop runs (its polling, callbacks and sockets, asyncpg's protocol, C
task code), and the project's frames below it are the process's start-up, not work."""
LOOP_AREA = "native code the loop runs (uvloop, asyncpg's protocol, C extensions)"
NATIVE = "(native)"


def py_spy() -> str | None:
    """The py-spy installed with the project's dev dependencies, if any."""
    beside = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _frame(text: str) -> tuple[str, str]:
    match = _FRAME.match(text.strip())
    return (match["function"], match["file"]) if match else (text.strip(), "")


def area(file: str) -> str:
    """The package a frame's file belongs to: the project's module path for its own code
    (``services/national_hub/adapters``), the top package otherwise (``asyncpg``)."""
    if not file:
        return NATIVE
    parts = file.split("/")
    if file.startswith(_OWN):
        return "/".join(parts[:3]) if parts[0] == "services" else "/".join(parts[:2])
    if file.startswith("<"):
        return file
    top = parts[0]
    return top.removesuffix(".py") if len(parts) == 1 else top


def summarize(raw: str, top: int = TOP) -> dict[str, Any]:
    """A py-spy ``raw`` (collapsed stacks) profile, summed: the share of samples by the area
    of the frame on CPU (``self_by_area``), by function on CPU (``self_by_function``), and
    by the project's own functions the event loop runs, anywhere above it on the stack
    (``under_own_function``; a stack read part-way, counted in ``partial_stacks``, lacks the
    outer functions, so these shares are a floor)."""
    total = partial = 0
    by_area: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    under_own: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame(f) for f in stack.split(";") if f.strip()]
        if not frames:  # a sample py-spy took with no Python frame: native code
            by_area[NATIVE] += count
            by_function[NATIVE] += count
            continue
        function, file = frames[-1]
        by_area[LOOP_AREA if (function, file) == _LOOP else area(file)] += count
        by_function[f"{function} ({file})"] += count
        loop = max((i for i, frame in enumerate(frames) if frame == _LOOP), default=-1)
        if loop < 0:  # the stack was read part-way (sampling without pausing the process)
            partial += count
        for own in {f"{f} ({file})" for f, file in frames[loop + 1 :] if file.startswith(_OWN)}:
            under_own[own] += count

    def shares(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(n / total, 3)] for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "partial_stacks": round(partial / total, 3) if total else 0.0,
        "self_by_area": shares(by_area),
        "self_by_function": shares(by_function),
        "under_own_function": shares(under_own),
    }


async def record(
    pids: dict[str, int], run: Callable[[], Awaitable[Any]], seconds: float, out: Path
) -> dict[str, Any]:
    """Sample every process in ``pids`` while ``run`` runs; each one's summary, or why none."""
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not found (make install puts it in .venv)"}
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    # the window covers the load and its tail: samples of an idle process are few (on CPU only)
    window = math.ceil(seconds) + 3
    procs: dict[str, asyncio.subprocess.Process] = {}
    found: dict[str, Any] = {}
    try:
        for name, pid in pids.items():
            procs[name] = await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(pid), "--duration", str(window),
                "--rate", str(SAMPLES_PER_S), "--format", "raw", "--nonblocking",
                "--output", str(out / f"{name}.txt"),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
        await asyncio.sleep(0.5)  # py-spy attaches before the load begins
        await run()
        for name, proc in procs.items():
            _, err = await asyncio.wait_for(proc.communicate(), window + 30)
            path = out / f"{name}.txt"
            try:
                raw = await asyncio.to_thread(path.read_text) if proc.returncode == 0 else None
            except OSError:
                raw = None
            if raw is None:
                found[name] = {"error": err.decode(errors="replace").strip()[-300:]}
                continue
            found[name] = summarize(raw) | {"raw": str(path)}
    finally:
        for proc in procs.values():  # a failed step or a py-spy that hangs leaves none behind
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return found


def report(profile: dict[str, Any]) -> str:
    """A few lines per process: where its CPU went."""
    if "error" in profile:
        return f"    profile: {profile['error']}"
    lines = []
    for name, summary in profile.items():
        if "error" in summary:
            lines.append(f"    {name}: no profile ({summary['error']})")
            continue
        areas = ", ".join(f"{a} {s:.0%}" for a, s in summary["self_by_area"][:6])
        own = ", ".join(f"{f.split(' (')[0]} {s:.0%}" for f, s in summary["under_own_function"][:5])
        lines.append(
            f"    {name} ({summary['samples']} samples, {summary['partial_stacks']:.0%} read "
            f"part-way): on CPU in {areas}"
        )
        lines.append(f"      under the project's functions: {own}")
    return "\n".join(lines)
