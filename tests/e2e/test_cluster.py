"""The relay on a three-node RabbitMQ cluster, two processes per consuming service (design §4).

``deploy/local/cluster.sh`` starts ``relay1..3@localhost`` behind HAProxy (127.0.0.1:5700); a
stack of its own (databases ``*_cluster``, vhost ``relay_cluster``) runs the treating region,
two hubs and two insured regions, which share their queues. A second treating region serves
half the hospitals' calls. One node stops in the middle of a burst; the hospitals resolve what
they did not hear back about and both ledgers are counted, as the single-node fault tests do.

The cluster is started for this module and stopped after it (its data stays, as the single
node's does); the single node and the suite's own stack are left alone. The rest of the e2e
suite runs against the single node only.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from bench.stack import (
    ROOT,
    Stack,
    database_url,
    fresh_databases,
    fresh_journal,
    start_stack,
)
from tests.e2e.harness import (
    E2E_SUFFIX,
    OPERATOR_PII_TOKEN,
    OPERATOR_TOKEN,
    PORT_OFFSET,
    enrol_filed,
)
from tests.e2e.hospital import Hospital
from tests.e2e.test_faults import (
    RIDE_THROUGH_AT_ONCE,
    RIDE_THROUGH_DEADLINE_S,
    burst_with_a_crash,
    cluster,
)

pytestmark = pytest.mark.e2e

CLUSTER_AMQP_URL = "amqp://relay:relay@127.0.0.1:5700/relay_cluster"
SUFFIX = f"{E2E_SUFFIX}_cluster"
BASE_PORT = 18031 + PORT_OFFSET
LOG_DIR = ROOT / ".run" / "cluster"
SECOND = ("national_hub", "insured_region", "treating_region")
"""The services started twice: two hubs and two insured regions consume the same queues."""


def _can_run_a_cluster() -> bool:
    return (
        os.geteuid() == 0
        and shutil.which("rabbitmq-server", path="/usr/sbin:/usr/bin") is not None
        and os.environ.get("RELAY_E2E_TREATING_URL") is None
    )


@pytest.fixture(scope="module")
def cluster_stack() -> Iterator[tuple[Stack, dict[str, str]]]:
    if not _can_run_a_cluster():
        pytest.skip("needs root and Debian's rabbitmq-server, and the suite's own processes")
    cluster("up")
    seconds: list[subprocess.Popen[bytes]] = []
    stack: Stack | None = None
    try:
        asyncio.run(fresh_databases(SUFFIX))
        asyncio.run(fresh_journal(CLUSTER_AMQP_URL))
        tokens = {"OPERATOR_TOKEN": OPERATOR_TOKEN, "OPERATOR_PII_TOKEN": OPERATOR_PII_TOKEN}
        common = {"AMQP_URL": CLUSTER_AMQP_URL, "AMQP_REPLICATED": "true", **tokens}
        stack = start_stack(
            ports={
                "treating_region": BASE_PORT,
                "national_hub": BASE_PORT + 1,
                "insured_region": BASE_PORT + 2,
            },
            settings={
                "national_hub": {
                    **common,
                    "DATABASE_URL": _db("national_hub"),
                    "PEER_OPERATOR_TOKEN": OPERATOR_TOKEN,
                },
                "insured_region": {**common, "DATABASE_URL": _db("insured_region")},
                "treating_region": {
                    **common,
                    "DATABASE_URL": _db("treating_region"),
                    "REPLY_DEADLINE_S": str(RIDE_THROUGH_DEADLINE_S),
                },
            },
            log_dir=LOG_DIR,
        )
        urls = {}
        for n, name in enumerate(SECOND):
            port = BASE_PORT + 3 + n
            seconds.append(stack.start_extra(name, port, LOG_DIR / f"{name}_2.log"))
            urls[name] = f"http://127.0.0.1:{port}"
        yield stack, urls
    finally:
        for proc in seconds:
            proc.terminate()
        for proc in seconds:
            proc.wait(timeout=15)
        if stack is not None:
            stack.stop()
        cluster("down")


def _db(service: str) -> str:
    return database_url(service, SUFFIX)


async def test_requests_through_two_processes_of_each_service_are_each_answered(
    ahttp: httpx.AsyncClient, cluster_stack: tuple[Stack, dict[str, str]]
) -> None:
    """No fault: two treating processes take the hospitals' calls, two insured-region processes
    share each region's queue; every request is answered, to the process that asked."""
    stack, urls = cluster_stack
    second = Stack(
        treating_url=urls["treating_region"],
        hub_url=urls["national_hub"],
        insured_url=urls["insured_region"],
    )
    hospitals = [
        Hospital(ahttp, stack, "H11000000001", "110000"),
        Hospital(ahttp, second, "H11000000001", "110000"),
    ]
    bodies = []
    for n in range(12):
        person = await enrol_filed(ahttp, stack, "650100", "110000")
        bodies.append((hospitals[n % 2], person))
    answers = await asyncio.gather(*(h.ok("1101", "650100", {"data": _cert(p)}) for h, p in bodies))
    assert [a["baseinfo"]["psn_no"] for a in answers] == [p["psn_no"] for _, p in bodies]


def _cert(person: dict[str, str]) -> dict[str, str]:
    return {
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": person["certno"],
        "psn_cert_type": "01",
        "certno": person["certno"],
    }


async def test_losing_a_broker_node_mid_burst_costs_the_hospital_almost_nothing(
    ahttp: httpx.AsyncClient, cluster_stack: tuple[Stack, dict[str, str]]
) -> None:
    stack, _ = cluster_stack
    try:
        measured = await burst_with_a_crash(ahttp, stack, "rabbitmq_node", suffix=SUFFIX)
    finally:
        cluster("start-node", "1")
    (LOG_DIR / "measured.json").write_text(json.dumps(measured))
    assert measured["accepted_at_once"] >= RIDE_THROUGH_AT_ONCE
    assert measured["lost"] == 0
    assert measured["doubled"] == 0
