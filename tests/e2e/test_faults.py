"""The relay never loses or doubles money when a process dies mid-burst (issue 5, design §4).

Each test sends a burst of settlements, kills a process with SIGKILL while they are in flight,
restarts it, lets the hospital resolve what it did not hear back about (status query, then a
2601 reversal for anything still open), and reconciles the two databases: every settlement the
hospital was told about exists exactly once on both sides, nothing exists on one side only, and
every breakdown balances.

The figures (settled per side, lost, doubled) are counted from both sides' ``settlement`` rows by
``fault_figures``, a pure function; the tests at the end of the file feed it a doubled and a
lost case without the stack, so each count is seen to move.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from bench.stack import ROOT, database_url, wait_healthy
from shared import clock
from shared.settlement import setlinfo_violations
from sim.plan import plan_cares
from sim.traffic import Catalogue, Endpoints, Gateway, drive, enrol_all, now_tag, run_care
from tests.e2e.harness import E2E_SUFFIX, OPERATOR, Stack, enrol_filed, signed
from tests.e2e.hospital import Hospital

log = logging.getLogger("tests.e2e.faults")

D = Decimal
BURST = 24
SIDES = ("treating", "insured")
RIDE_THROUGH_DEADLINE_S = 10.0
"""The reply deadline of the broker-restart test: the product's default. The suite's own (2 s,
to keep its timeouts short) is shorter than a broker's restart, and a restart shorter than the
deadline is what should cost the hospital nothing (design §4)."""
RIDE_THROUGH_AT_ONCE = 22
"""Of the burst's 24, settled without the hospital's help across a broker restart."""

Row = Mapping[str, Any]
"""One ``settlement`` row: setl_id, mdtrt_id, msgid (the hospital's), refd_setl_flag,
init_setl_id and the three amounts both sides keep (medfee_sumamt, fund_pay_sumamt, acct_pay)."""

AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")


def live(rows: Iterable[Row]) -> list[Row]:
    """Settlements that stand: not a cancel mirror, and no cancel mirror points at them."""
    rows = list(rows)
    cancelled = {r["init_setl_id"] for r in rows if r["init_setl_id"]}
    return [r for r in rows if r["refd_setl_flag"] == "0" and r["setl_id"] not in cancelled]


def above_one(rows: Iterable[Row], key: str) -> list[str]:
    """The values of ``key`` (a visit, a msgid) that more than one row carries, sorted."""
    counts = Counter(str(r[key]) for r in rows)
    return sorted(value for value, n in counts.items() if n > 1)


@dataclass(frozen=True)
class FaultFigures:
    """What the two databases hold after a fault, counted; each list names what it counts."""

    told: int
    settled: dict[str, int]
    told_missing: list[str]
    one_sided: list[str]
    untold: list[str]
    money_differs: list[str]
    doubled_visits: dict[str, list[str]]
    doubled_msgids: dict[str, list[str]]

    @property
    def lost(self) -> int:
        """Told it succeeded but not standing on both sides, or standing on one side only."""
        return len(set(self.told_missing) | set(self.one_sided))

    @property
    def doubled(self) -> int:
        """Visits and hospital msgids, per side, with more than one live settlement."""
        groups = [*self.doubled_visits.values(), *self.doubled_msgids.values()]
        return sum(len(values) for values in groups)

    def report(self) -> dict[str, Any]:
        return {
            "told_success": self.told,
            "settled": self.settled,
            "told_missing": len(self.told_missing),
            "one_sided": len(self.one_sided),
            "lost": self.lost,
            "untold": len(self.untold),
            "doubled_by_visit": {side: len(v) for side, v in self.doubled_visits.items()},
            "doubled_by_msgid": {side: len(v) for side, v in self.doubled_msgids.items()},
            "doubled": self.doubled,
            "money_differs": len(self.money_differs),
        }


def fault_figures(
    told: Iterable[str], treating_rows: Sequence[Row], insured_rows: Sequence[Row]
) -> FaultFigures:
    """Count, from both sides' settlement rows, what a fault left behind.

    ``told``: the setl_ids the hospital was told succeeded (infcode 0, or a late_ok status).
    ``untold`` are the settlements standing that the hospital was never told of (it reversed
    every settle it did not hear back about, so there should be none).
    """
    told = set(told)
    standing = {"treating": live(treating_rows), "insured": live(insured_rows)}
    by_id = {side: {str(r["setl_id"]): r for r in rows} for side, rows in standing.items()}
    treating_ids, insured_ids = set(by_id["treating"]), set(by_id["insured"])
    both = treating_ids & insured_ids
    return FaultFigures(
        told=len(told),
        settled={side: len(rows) for side, rows in standing.items()},
        told_missing=sorted(told - both),
        one_sided=sorted(treating_ids ^ insured_ids),
        untold=sorted((treating_ids | insured_ids) - told),
        money_differs=sorted(
            setl_id
            for setl_id in both
            if any(
                D(by_id["treating"][setl_id][a]) != D(by_id["insured"][setl_id][a]) for a in AMOUNTS
            )
        ),
        doubled_visits={side: above_one(rows, "mdtrt_id") for side, rows in standing.items()},
        doubled_msgids={side: above_one(rows, "msgid") for side, rows in standing.items()},
    )


SETTLEMENT_ROWS = {
    "treating_region": """
        SELECT setl_id, mdtrt_id, msgid, refd_setl_flag, init_setl_id,
               medfee_sumamt, fund_pay_sumamt, acct_pay
          FROM settlement WHERE psn_no = ANY($1)
    """,
    "insured_region": """
        SELECT setl_id, mdtrt_id, medins_setl_id AS msgid, refd_setl_flag, init_setl_id,
               medfee_sumamt, fund_pay_sumamt, acct_pay
          FROM settlement WHERE psn_no = ANY($1)
    """,
}


async def settlement_rows(
    psn_nos: list[str], suffix: str = E2E_SUFFIX
) -> tuple[list[Row], list[Row]]:
    """Every settlement row of these people on each side, cancels included (read directly)."""
    sides: list[list[Row]] = []
    for service, query in SETTLEMENT_ROWS.items():
        conn = await asyncpg.connect(database_url(service, suffix, driver="postgresql"))
        try:
            sides.append([dict(r) for r in await conn.fetch(query, psn_nos)])
        finally:
            await conn.close()
    return sides[0], sides[1]


JOURNAL_CATCH_UP_S = 30.0


async def journal_rows(msgids: list[str], expect: int, suffix: str = E2E_SUFFIX) -> list[Row]:
    """The hub's log rows of these messages as its journal wrote them (where each went: the
    insured region's queue, the reply queue), once there are ``expect`` or the wait is over."""
    conn = await asyncpg.connect(database_url("national_hub", suffix, driver="postgresql"))
    try:
        deadline = asyncio.get_running_loop().time() + JOURNAL_CATCH_UP_S
        while True:
            rows: list[Row] = [
                dict(r)
                for r in await conn.fetch(
                    "SELECT relay_id, msgid, kind, stage FROM relay_log"
                    " WHERE msgid = ANY($1::text[]) AND stage IN ('insured', 'reply')",
                    msgids,
                )
            ]
            if len(rows) >= expect or asyncio.get_running_loop().time() > deadline:
                return rows
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


BOOKED = """
    SELECT setl_id, sum(medfee_sumamt) AS medfee_sumamt, sum(fund_pay_sumamt) AS fund_pay_sumamt,
           sum(acct_pay) AS acct_pay
      FROM book_entry WHERE psn_no = ANY($1)
     GROUP BY setl_id HAVING bool_and(kind <> 'void')
"""
"""The hub's books per settlement, net: a cancel mirror and its void leave nothing."""


async def books_agree(psn_nos: list[str], insured: list[Row], suffix: str) -> dict[str, Any]:
    """The hub's books of these people once they hold what the insured ledger holds, to the
    cent (or the wait is over): the books catch up from the journal whatever failed."""
    expected = {r["setl_id"]: tuple(D(r[a]) for a in AMOUNTS) for r in insured}
    conn = await asyncpg.connect(database_url("national_hub", suffix, driver="postgresql"))
    try:
        deadline = asyncio.get_running_loop().time() + JOURNAL_CATCH_UP_S
        while True:
            booked = {
                r["setl_id"]: tuple(D(r[a]) for a in AMOUNTS)
                for r in await conn.fetch(BOOKED, psn_nos)
            }
            if booked == expected or asyncio.get_running_loop().time() > deadline:
                return {"booked": booked, "insured": expected}
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def booked_under(msgids: list[str], suffix: str) -> list[tuple[str, str]]:
    """The settlements the hub's books hold under these messages: (msgid, setl_id) pairs
    (a cancel's entry and the one it voids share a setl_id, under two messages)."""
    if not msgids:
        return []
    conn = await asyncpg.connect(database_url("national_hub", suffix, driver="postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT msgid, setl_id FROM book_entry WHERE msgid = ANY($1::text[])", msgids
        )
        return [(r["msgid"], r["setl_id"]) for r in rows]
    finally:
        await conn.close()


async def reconcile_today(http: httpx.AsyncClient, stack: Stack) -> list[str]:
    """The hub's reconciliation of today; the msgids it booked on the treating region's word."""
    response = await http.get(
        f"{stack.hub_url}/reconciliation/{clock.today().isoformat()}", headers=OPERATOR
    )
    assert response.status_code == 200, response.text
    repaired: list[str] = response.json()["repaired"]
    return repaired


async def open_visits(
    hospital: Hospital,
    http: httpx.AsyncClient,
    stack: Stack,
    count: int,
) -> list[dict[str, Any]]:
    """Registered outpatient visits with their lines: only the settle is left."""
    visits = []
    for _ in range(count):
        person = await enrol_filed(http, stack, "650100", "110000", balc="100.00")
        mdtrt_id = (
            await hospital.ok(
                "2201",
                "650100",
                {
                    "data": {
                        "psn_no": person["psn_no"],
                        "insutype": "310",
                        "begntime": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                        "mdtrt_cert_type": "02",
                        "mdtrt_cert_no": person["certno"],
                        "ipt_otp_no": "MZF",
                    }
                },
            )
        )["data"]["mdtrt_id"]
        lines = await hospital.lines(
            mdtrt_id, person["psn_no"], per_category=1, categories=("02", "04", "09")
        )
        await hospital.ok("2204", "650100", {"feedetail": lines})
        total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
        visits.append({"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "total": str(total)})
    return visits


async def resolve(
    hospital: Hospital,
    http: httpx.AsyncClient,
    stack: Stack,
    sent: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]],
) -> tuple[set[str], int]:
    """What a HIS does after a crash: ask, and reverse whatever is still not known.

    Returns the setl_ids the status query reported as settled after all (late_ok: the hospital
    is told then) and how many settles it reversed.
    """
    open_ones = [(e, v) for e, a, v in sent if a.get("infcode") != 0]

    async def status(envelope: dict[str, Any]) -> dict[str, Any]:
        url = f"{stack.treating_url}/fsi/messages/{envelope['msgid']}"
        response = await http.get(url, headers=signed(envelope["fixmedins_code"]))
        stored: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return stored or {"status": "absent"}

    stored: list[dict[str, Any]] = []
    for _ in range(20):  # late replies land within seconds of the recovery
        stored = list(await asyncio.gather(*(status(e) for e, _ in open_ones)))
        if not {"unknown", "pending"} & {m["status"] for m in stored}:
            break
        await asyncio.sleep(0.5)
    told_late: set[str] = set()
    reversed_count = 0
    for (envelope, visit), message in zip(open_ones, stored, strict=True):
        if message["status"] == "late_ok":
            told_late.add(str(message["output"]["setlinfo"]["setl_id"]))
            continue
        for _attempt in range(10):  # a reversal is idempotent: a HIS retries it until it lands
            reversal = await hospital.call(
                "2601",
                "650100",
                {
                    "data": {
                        "psn_no": visit["psn_no"],
                        "omsgid": envelope["msgid"],
                        "oinfno": "2207",
                        "mdtrt_id": visit["mdtrt_id"],
                    }
                },
            )
            # E9006: the settle it reverses is still being processed (a database restarting
            # under it): as the message says, the HIS waits and tries again
            if reversal["err_code"] not in ("E5002", "E5003", "E9006"):
                break
            await asyncio.sleep(0.5)
        assert reversal["infcode"] == 0, (reversal.get("err_code"), reversal.get("err_msg"))
        reversed_count += 1
    return told_late, reversed_count


def rabbitmqctl(command: str) -> None:
    subprocess.run(
        ["/usr/sbin/rabbitmqctl", "-q", command],
        check=True,
        timeout=120,
        capture_output=True,
        env={**os.environ, "ERL_EPMD_ADDRESS": "127.0.0.1"},
    )


CLUSTER_SCRIPT = ROOT / "deploy" / "local" / "cluster.sh"


def cluster(*args: str) -> None:
    """``deploy/local/cluster.sh`` (the three-node broker cluster on loopback)."""
    subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), *args], check=True, timeout=300, capture_output=True
    )


def restart_postgresql() -> None:
    version = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    subprocess.run(
        ["pg_ctlcluster", version, "main", "restart", "-m", "fast"],
        check=True,
        timeout=120,
        capture_output=True,
    )


def can_restart_broker(stack: Stack) -> bool:
    """The local broker (its application stops and starts), or the deployment's container."""
    if stack.compose:
        return True
    return (
        bool(stack.processes) and shutil.which("rabbitmqctl", path="/usr/sbin:/usr/bin") is not None
    )


def can_restart_database(stack: Stack) -> bool:
    if stack.compose:
        return True
    return bool(stack.processes) and shutil.which("pg_ctlcluster") is not None


def stop_broker(stack: Stack) -> None:
    """The broker's application stops (connections drop, queues stay): locally, or inside the
    deployment's container (the container and its Erlang VM keep running, as locally)."""
    if stack.compose:
        stack.docker("exec", "rabbitmq", "rabbitmqctl", "-q", "stop_app")
    else:
        rabbitmqctl("stop_app")


def start_broker(stack: Stack) -> None:
    if stack.compose:
        stack.docker("exec", "rabbitmq", "rabbitmqctl", "-q", "start_app")
    else:
        rabbitmqctl("start_app")


STREAM_FIXED = (3, 11, 22)
"""The first RabbitMQ with rabbitmq-server #9165 (stream writes around a leader change)."""


def known_stream_gap(stack: Stack) -> bool:
    """Whether the deployment's broker, in containers, is older than ``STREAM_FIXED``: there
    the journal stream has missed copies of requests around a broker restart (design §4, "A
    known gap"), so the hub's side of a broker fault is measured, not asserted. The local
    broker is not excused: the suite's runs there have lost none."""
    if not stack.compose:
        return False
    shown = stack.docker("exec", "rabbitmq", "rabbitmqctl", "-q", "version")
    version = tuple(int(n) for n in re.findall(r"\d+", shown)[:3])
    return version < STREAM_FIXED


def restart_database(stack: Stack) -> None:
    """The local cluster, or the deployment's container (docker restart), restarts."""
    if stack.compose:
        stack.docker("restart", "postgres")
    else:
        restart_postgresql()


@contextlib.contextmanager
def reply_deadline(stack: Stack, seconds: float) -> Iterator[None]:
    """The treating region restarted with another reply deadline, and restored after. A
    deployment in containers keeps its own (docker-compose.yml sets the product's default)."""
    if stack.compose:
        yield
        return
    key = "TREATING_REGION_REPLY_DEADLINE_S"
    before = stack.env.get(key)

    def restart(value: str | None) -> None:
        stack.kill("treating_region")
        if value is None:
            stack.env.pop(key, None)
        else:
            stack.env[key] = value
        stack.start("treating_region")

    restart(str(seconds))
    try:
        yield
    finally:
        restart(before)


def wait_until_healthy(stack: Stack) -> None:
    """Every service reconnects by itself (robust connections); wait until all say so."""
    for name in ("national_hub", "insured_region", "treating_region"):
        wait_healthy(stack.url(name), None, None, timeout_s=60)


async def burst_with_a_crash(
    http: httpx.AsyncClient, stack: Stack, victim: str, *, suffix: str = E2E_SUFFIX
) -> dict[str, Any]:
    """The burst, the crash, the hospital's resolution and the count; returns the figures.

    ``victim``: a service of ``stack``, ``rabbitmq`` (the local broker's application restarts),
    ``postgresql`` (the cluster restarts) or ``rabbitmq_node`` (node relay1 of the three-node
    cluster stops, and stays down until the caller starts it again)."""
    hospital = Hospital(http, stack, "H11000000001", "110000")
    visits = await open_visits(hospital, http, stack, BURST)
    # the broker takes longer to go down
    spacing = 0.15 if victim in ("rabbitmq", "rabbitmq_container") else 0.04
    envelopes = [
        hospital.envelope(
            "2207",
            "650100",
            {
                "data": {
                    "psn_no": v["psn_no"],
                    "mdtrt_id": v["mdtrt_id"],
                    "medfee_sumamt": v["total"],
                    "acct_used_flag": "1",
                }
            },
        )
        for v in visits
    ]

    outage_s: list[float] = []

    async def crash() -> None:
        await asyncio.sleep(0.4)  # some settlements are through, some on their way
        if victim == "postgresql":
            await asyncio.to_thread(restart_database, stack)
            await asyncio.to_thread(wait_until_healthy, stack)
            return
        if victim == "rabbitmq_node":
            await asyncio.to_thread(cluster, "stop-node", "1")
            return
        if victim == "rabbitmq_container":
            # the whole container: a clean stop (SIGTERM), then a cold start of the node
            began = asyncio.get_running_loop().time()
            await asyncio.to_thread(stack.docker, "restart", "rabbitmq")
            await asyncio.to_thread(wait_until_healthy, stack)
            outage_s.append(asyncio.get_running_loop().time() - began)
            return
        if victim == "rabbitmq":
            await asyncio.to_thread(stop_broker, stack)
            await asyncio.sleep(1.0)
            await asyncio.to_thread(start_broker, stack)
            await asyncio.to_thread(wait_until_healthy, stack)
            return
        await asyncio.to_thread(stack.kill, victim)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(stack.start, victim)

    async def send(envelope: dict[str, Any], n: int) -> dict[str, Any]:
        await asyncio.sleep(n * spacing)  # a burst over a second or more, not one instant
        try:
            return await hospital.send(envelope)
        except httpx.HTTPError as exc:  # the gateway itself died: the hospital heard nothing
            return {"infcode": None, "err_code": type(exc).__name__}

    crashing = asyncio.create_task(crash())
    answers = await asyncio.gather(*(send(e, n) for n, e in enumerate(envelopes)))
    await crashing
    accepted = {a["output"]["setlinfo"]["setl_id"] for a in answers if a.get("infcode") == 0}
    for answer in answers:
        if answer.get("infcode") == 0:
            assert (
                setlinfo_violations(answer["output"]["setlinfo"], answer["output"]["setldetail"])
                == []
            )
        else:
            assert answer["err_code"] in (
                "E5002",
                "E5003",
                "E5005",
                "E9006",
                "ReadError",
                "RemoteProtocolError",
                "ConnectError",
            )
    told_late, reversed_count = await resolve(
        hospital, http, stack, list(zip(envelopes, answers, visits, strict=True))
    )

    treating_rows, insured_rows = await settlement_rows([v["psn_no"] for v in visits], suffix)
    figures = fault_figures(accepted | told_late, treating_rows, insured_rows)
    if victim == "national_hub":
        # the broker routes: a hub away costs the hospital nothing (design §4), and its log,
        # written from the journal, catches up to exactly what passed
        passed = [e["msgid"] for e in envelopes]
    else:
        # whatever failed, the hub's log catches up: every settlement the hospital was told
        # about has its request and its reply in the log, once (the reader resumes after the
        # broker or the database comes back)
        passed = [
            e["msgid"] for e, a in zip(envelopes, answers, strict=True) if a.get("infcode") == 0
        ]
    logged = Counter(
        (r["msgid"], r["kind"], r["stage"])
        for r in await journal_rows(passed, 2 * len(passed), suffix)
    )
    each_once = Counter(
        [(m, "request", "insured") for m in passed] + [(m, "reply", "reply") for m in passed]
    )
    # the hub's books hold exactly what the insured ledger holds, to the cent, once caught up
    books = await books_agree([v["psn_no"] for v in visits], insured_rows, suffix)
    missing_from_the_journal = len(books["insured"].keys() - books["booked"].keys())
    excused = victim.startswith("rabbitmq") and known_stream_gap(stack)
    repaired: list[str] = []
    if missing_from_the_journal and excused:
        # what the journal held without its request's copy is booked by the day's
        # reconciliation, on the treating region's statement (design §4, "How the books mend it")
        burst = {e["msgid"] for e in envelopes}
        repaired = sorted(set(await reconcile_today(http, stack)) & burst)
        books = await books_agree([v["psn_no"] for v in visits], insured_rows, suffix)
    measured = {
        "suite": suffix,  # which suite's databases were counted (several may share the file)
        "victim": victim,
        "in_flight": BURST,
        "accepted_at_once": len(accepted),
        "told_late": len(told_late),
        "reversed": reversed_count,
        **({"restart_s": round(outage_s[0], 1)} if outage_s else {}),
        **figures.report(),
        "journal_missing": (each_once - logged).total(),
        "journal_extra": (logged - each_once).total(),
        "books_missing_before_reconciliation": missing_from_the_journal,
        "repaired_by_reconciliation": len(repaired),
        "books_missing": len(books["insured"].keys() - books["booked"].keys()),
        "books_extra": len(books["booked"].keys() - books["insured"].keys()),
        "books_differ": sum(
            1
            for k, v in books["booked"].items()
            if k in books["insured"] and books["insured"][k] != v
        ),
    }
    log.info("faults: %s", json.dumps(measured))  # shown with the failure, if one follows
    with (stack.log_dir / "faults.jsonl").open("a") as out:  # the figures, failing runs too
        out.write(json.dumps(measured) + "\n")
    if victim in ("rabbitmq", "rabbitmq_node"):
        # publishes wait for the connection and consumers resume: the restart (or the move to
        # another node), shorter than the deadline, costs the hospital (almost) nothing
        assert len(accepted) >= RIDE_THROUGH_AT_ONCE, measured
    if victim == "national_hub":
        assert len(accepted) == BURST, measured
    if not excused:  # and then nothing was repaired: the books held it all by themselves
        assert logged == each_once, measured
        assert books["booked"] == books["insured"], measured
    # what the reconciliation repaired is booked now, with the insured ledger's money
    repaired_bookings = await booked_under(repaired, suffix)
    assert sorted({msgid for msgid, _ in repaired_bookings}) == repaired, (repaired, measured)
    for _, setl_id in repaired_bookings:
        assert books["booked"].get(setl_id) == books["insured"].get(setl_id), (setl_id, measured)
    # nothing the hospital was told about is lost, nothing exists on one side only
    assert figures.lost == 0, (figures.told_missing, figures.one_sided)
    # no visit and no hospital msgid settled twice, on either side
    assert figures.doubled == 0, (figures.doubled_visits, figures.doubled_msgids)
    assert figures.money_differs == []  # same money on both sides
    assert figures.untold == []  # every settle it did not hear back about was reversed
    return measured


@pytest.mark.e2e
async def test_kill_the_insured_region_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    if not stack.can_crash:
        pytest.skip("needs the processes started by the suite, or containers to kill")
    await burst_with_a_crash(ahttp, stack, "insured_region")


@pytest.mark.e2e
async def test_kill_the_hub_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    if not stack.can_crash:
        pytest.skip("needs the processes started by the suite, or containers to kill")
    await burst_with_a_crash(ahttp, stack, "national_hub")


@pytest.mark.e2e
async def test_restart_rabbitmq_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    """The broker stops and starts again (connections drop, queues stay)."""
    if not can_restart_broker(stack):
        pytest.skip("needs the local broker and the processes started by the suite")
    with reply_deadline(stack, RIDE_THROUGH_DEADLINE_S):
        await burst_with_a_crash(ahttp, stack, "rabbitmq")


@pytest.mark.e2e
async def test_restart_the_broker_container_mid_burst(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    """docker restart of the broker's container (a clean stop, a cold start of the node): none
    lost, none doubled; how many settled at once is measured, not asserted: a cold start of the
    node under load is not reliably shorter than the reply deadline (3, 21, 24 and 24 of 24 in
    four runs, the rest reversed by the hospital).

    On a broker older than ``STREAM_FIXED`` (the Debian stand-in, 3.10.8) the hub's side of
    this fault, and of the application's restart, is measured, not asserted: there the hub's
    log has lacked messages that passed, mostly requests' copies (of 48: 16, 1, 0 and 0 after
    the application's restart; 4, 0, 0 and 42 after the container's). The books hold an answer
    read without its request's copy until the day's reconciliation books it on the treating
    region's statement; an answer whose own copy is missing stays out. Design §4, "A known gap".
    The figures go to faults.jsonl: journal_missing, journal_extra,
    books_missing_before_reconciliation, repaired_by_reconciliation, books_missing (after it),
    books_extra, books_differ."""
    if not stack.compose:
        pytest.skip("needs a deployment in containers")
    await burst_with_a_crash(ahttp, stack, "rabbitmq_container")


@pytest.mark.e2e
async def test_restart_postgresql_mid_burst(ahttp: httpx.AsyncClient, stack: Stack) -> None:
    """The database server restarts under the insured region (the one local cluster, or the
    deployment's container)."""
    if not can_restart_database(stack):
        pytest.skip("needs the local PostgreSQL cluster and the processes started by the suite")
    await burst_with_a_crash(ahttp, stack, "postgresql")


CONVERGE_S = 30.0
"""How long the two ledgers may take to agree after the outage (the owed-reply relay's rounds)."""
FULL_SPEED_CARES = 1500
FULL_SPEED_IN_FLIGHT = 16
BROKER_DOWN_S = 2.0


@pytest.mark.e2e
async def test_a_broker_outage_under_full_speed_traffic_leaves_only_the_in_flight_unknown(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    """Simulated hospitals at full speed (closed loop, 16 cares in flight) while the broker
    stops for 2 s: publishes wait for it, so no more than what was in flight may end "outcome
    unknown", and both ledgers agree afterwards (0 lost, 0 doubled, counted from both sides)."""
    if not can_restart_broker(stack):
        pytest.skip("needs the local broker and the processes started by the suite")
    institutions = (await ahttp.get(f"{stack.treating_url}/institutions")).json()
    plans = plan_cares(
        23, FULL_SPEED_CARES, today=clock.today(), institutions=institutions, tag=now_tag()
    )
    plans = [p for p in plans if p.insured != stack.unserved_region]
    catalogue = Catalogue(ahttp, stack.treating_url)
    await catalogue.load(sorted({p.treating for p in plans}))
    await enrol_all(ahttp, stack.insured_url, plans)

    async def outage() -> float:
        await asyncio.sleep(3.0)  # traffic at full speed first
        began = asyncio.get_running_loop().time()
        await asyncio.to_thread(stop_broker, stack)
        await asyncio.sleep(BROKER_DOWN_S)
        await asyncio.to_thread(start_broker, stack)
        return asyncio.get_running_loop().time() - began

    with reply_deadline(stack, RIDE_THROUGH_DEADLINE_S):
        gateway = Gateway(Endpoints(stack.treating_url, stack.insured_url))
        try:
            down = asyncio.create_task(outage())
            outcomes, seconds = await drive(
                plans,
                lambda plan, t0: run_care(gateway, catalogue, ahttp, stack.insured_url, plan, t0),
                concurrency=FULL_SPEED_IN_FLIGHT,
                rate=None,
            )
            down_s = await down
        finally:
            await gateway.close()
        await asyncio.to_thread(wait_until_healthy, stack)

    assert seconds > down_s + 3.0, "the outage must fall inside the traffic"
    by_outcome = Counter(o.outcome for o in outcomes)
    errors = Counter(o.err_code for o in outcomes if o.outcome in ("error", "unknown"))
    told = [o.setlinfo["setl_id"] for o in outcomes if o.outcome == "settled" and o.setlinfo]
    # an answer the insured region could not send during the outage is owed and sent again by
    # its relay a few seconds later, and recorded late by the treating region: the ledgers
    # converge; wait for that (bounded) before counting
    deadline = asyncio.get_running_loop().time() + CONVERGE_S
    while True:
        treating_rows, insured_rows = await settlement_rows([p.psn_no for p in plans])
        figures = fault_figures(told, treating_rows, insured_rows)
        if not figures.one_sided or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(1.0)
    measured = {
        "suite": E2E_SUFFIX,
        "victim": "rabbitmq_full_speed",
        "cares": len(plans),
        "in_flight": FULL_SPEED_IN_FLIGHT,
        "broker_down_s": round(down_s, 1),
        "seconds": round(seconds, 1),
        "by_outcome": dict(by_outcome),
        "errors": dict(errors),
        **figures.report(),
    }
    log.info("faults: %s", json.dumps(measured))
    with (stack.log_dir / "faults.jsonl").open("a") as out:
        out.write(json.dumps(measured) + "\n")
    assert by_outcome["unknown"] <= FULL_SPEED_IN_FLIGHT, measured
    assert figures.lost == 0, (figures.told_missing, figures.one_sided)
    assert figures.doubled == 0, (figures.doubled_visits, figures.doubled_msgids)
    assert figures.money_differs == []


# ------------------------------------------------ the figures move (pure: no stack, no e2e mark)


def row(
    setl_id: str,
    mdtrt_id: str,
    msgid: str,
    *,
    cancels: str | None = None,
    amount: str = "100.00",
) -> dict[str, Any]:
    """A settlement row as ``settlement_rows`` returns it; ``cancels`` makes it a cancel mirror."""
    sign = "-" if cancels else ""
    return {
        "setl_id": setl_id,
        "mdtrt_id": mdtrt_id,
        "msgid": msgid,
        "refd_setl_flag": "1" if cancels else "0",
        "init_setl_id": cancels,
        "medfee_sumamt": D(f"{sign}{amount}"),
        "fund_pay_sumamt": D(f"{sign}60.00"),
        "acct_pay": D(f"{sign}40.00"),
    }


def both_sides(*rows: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [dict(r) for r in rows], [dict(r) for r in rows]


def test_a_clean_run_counts_what_stands_and_nothing_else() -> None:
    """Two settled, one reversed (its mirror on both sides): two stand, none lost or doubled."""
    treating, insured = both_sides(
        row("S1", "V1", "M1"),
        row("S2", "V2", "M2"),
        row("S3", "V3", "M3"),
        row("C3", "V3", "R3", cancels="S3"),
    )
    figures = fault_figures({"S1", "S2"}, treating, insured)
    assert figures.report() == {
        "told_success": 2,
        "settled": {"treating": 2, "insured": 2},
        "told_missing": 0,
        "one_sided": 0,
        "lost": 0,
        "untold": 0,
        "doubled_by_visit": {"treating": 0, "insured": 0},
        "doubled_by_msgid": {"treating": 0, "insured": 0},
        "doubled": 0,
        "money_differs": 0,
    }


def test_a_visit_settled_twice_is_doubled_on_the_side_that_holds_it() -> None:
    treating = [row("S1", "V1", "M1"), row("S2", "V2", "M2")]
    insured = [row("S1", "V1", "M1"), row("S2", "V2", "M2"), row("S9", "V1", "M9")]
    figures = fault_figures({"S1", "S2"}, treating, insured)
    assert figures.doubled_visits == {"treating": [], "insured": ["V1"]}
    assert figures.doubled_msgids == {"treating": [], "insured": []}
    assert figures.doubled == 1
    assert figures.settled == {"treating": 2, "insured": 3}
    assert figures.one_sided == ["S9"]  # and the extra one exists on one side only
    assert figures.untold == ["S9"]


def test_one_hospital_msgid_behind_two_live_settlements_is_doubled() -> None:
    treating, insured = both_sides(row("S1", "V1", "M1"), row("S2", "V2", "M1"))
    figures = fault_figures({"S1", "S2"}, treating, insured)
    assert figures.doubled_msgids == {"treating": ["M1"], "insured": ["M1"]}
    assert figures.doubled_visits == {"treating": [], "insured": []}
    assert figures.doubled == 2


def test_a_cancelled_settlement_is_not_live_so_a_second_one_is_not_doubled() -> None:
    treating, insured = both_sides(
        row("S1", "V1", "M1"), row("C1", "V1", "R1", cancels="S1"), row("S2", "V1", "M2")
    )
    figures = fault_figures({"S2"}, treating, insured)
    assert figures.doubled == 0
    assert figures.settled == {"treating": 1, "insured": 1}


def test_a_told_settlement_missing_on_either_side_is_lost() -> None:
    treating = [row("S1", "V1", "M1"), row("S2", "V2", "M2")]
    insured = [row("S1", "V1", "M1")]  # S2: the hospital saw it, the insurer has nothing
    figures = fault_figures({"S1", "S2", "S3"}, treating, insured)  # S3: on neither side
    assert figures.told_missing == ["S2", "S3"]
    assert figures.one_sided == ["S2"]
    assert figures.lost == 2  # S2 counted once, though it is both missing and one-sided
    assert figures.doubled == 0


def test_a_told_settlement_that_was_cancelled_afterwards_is_lost() -> None:
    treating, insured = both_sides(row("S1", "V1", "M1"), row("C1", "V1", "R1", cancels="S1"))
    figures = fault_figures({"S1"}, treating, insured)
    assert figures.told_missing == ["S1"]
    assert figures.lost == 1


def test_a_settlement_on_one_side_only_is_lost_even_if_the_hospital_never_heard() -> None:
    treating: list[dict[str, Any]] = []
    insured = [row("S1", "V1", "M1")]  # the reply was lost and nobody reversed it
    figures = fault_figures(set(), treating, insured)
    assert figures.one_sided == ["S1"]
    assert figures.untold == ["S1"]
    assert figures.lost == 1


def test_different_money_on_the_two_sides_is_counted() -> None:
    figures = fault_figures(
        {"S1"}, [row("S1", "V1", "M1")], [row("S1", "V1", "M1", amount="100.01")]
    )
    assert figures.money_differs == ["S1"]
    assert figures.lost == 0
