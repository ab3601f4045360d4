# ruff: noqa: T201 - a probe prints what it measures
"""How the relay's queues behave on the local three-node cluster when a node is lost.

Run against ``deploy/local/cluster.sh up`` (as root: it stops and starts nodes through that script):

    /work/main/.venv/bin/python deploy/local/cluster_probe.py

Everything goes through HAProxy (amqp://relay:relay@127.0.0.1:5700/relay_cluster) with the
arguments of ``shared.messaging.topology``; the node to stop is the one the probe's own
connection landed on (a classic queue's home, a quorum queue's or stream's first leader). It prints
what it measures and deletes what it declared.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402

from shared.messaging import topology  # noqa: E402

URL = "amqp://relay:relay@127.0.0.1:5700/relay_cluster"
VHOST = "relay_cluster"
CLUSTER = ROOT / "deploy" / "local" / "cluster.sh"
T0 = time.monotonic()
down: set[int] = set()
warnings: list[str] = []


class Collect(logging.Handler):
    """aio-pika's and aiormq's own warnings, one line each (no tracebacks)."""

    def emit(self, record: logging.LogRecord) -> None:
        warnings.append(f"{record.name}: {record.getMessage()[:160]}")


def say(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def cluster(*args: str) -> str:
    out = subprocess.run(["bash", str(CLUSTER), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"cluster.sh {' '.join(args)}: rc={out.returncode} {out.stderr[-400:]}")
    return out.stdout


def up_node() -> str:
    return str(next(n for n in (1, 2, 3) if n not in down))


def queue_info(name: str) -> dict:
    rows = json.loads(
        cluster(
            "ctl",
            up_node(),
            "-q",
            "list_queues",
            "-p",
            VHOST,
            "name",
            "type",
            "leader",
            "members",
            "online",
            "pid",
            "messages",
            "arguments",
            "--formatter",
            "json",
        )
    )
    return next((r for r in rows if r["name"] == name), {})


def node_of(conn_name: str) -> int:
    """The node a connection (named in its client properties) is on, from its Erlang pid."""
    listing = cluster("ctl", up_node(), "-q", "list_connections", "pid", "client_properties")
    for line in listing.splitlines():
        if f'{{"connection_name","{conn_name}"}}' in line:
            return int(re.match(r"<relay(\d)@", line).group(1))
    raise RuntimeError(f"connection {conn_name} not found")


async def stop(n: int) -> None:
    say(f"stop-node {n} ...")
    await asyncio.to_thread(cluster, "stop-node", str(n))
    down.add(n)
    say(f"relay{n} stopped")


async def start(n: int) -> None:
    say(f"start-node {n} ...")
    await asyncio.to_thread(cluster, "start-node", str(n))
    down.discard(n)
    say(f"relay{n} back in the cluster")


async def connect(name: str, robust: bool = False):
    kwargs = {"client_properties": {"connection_name": name}}
    if robust:  # as shared.messaging.broker
        return await aio_pika.connect_robust(URL, reconnect_interval=0.5, fail_fast=True, **kwargs)
    for attempt in range(1, 41):
        try:
            return await aio_pika.connect(URL, **kwargs)
        except Exception as exc:
            say(f"  connect {name} attempt {attempt}: {type(exc).__name__}: {str(exc)[:100]}")
            await asyncio.sleep(0.25)
    raise RuntimeError(f"{name}: no connection")


def watch(conn, label: str) -> dict[str, int]:
    """Print the first of each kind of close; count them all (a robust connection closes again
    on every failed attempt to restore it)."""
    seen: dict[str, int] = {}

    def closed(_sender, exc=None) -> None:
        reason = f"{type(exc).__name__ if exc else None}: {str(exc)[:150]}"
        seen[reason] = seen.get(reason, 0) + 1
        if seen[reason] == 1:
            say(f"  {label} closed: {reason}")

    conn.close_callbacks.add(closed)
    if hasattr(conn, "reconnect_callbacks"):
        conn.reconnect_callbacks.add(lambda *_: say(f"  {label} reconnected (robust)"))
    return seen


def closes(seen: dict[str, int]) -> str:
    return "; ".join(f"{n} x {reason[:90]}" for reason, n in seen.items()) or "none"


async def try_(label: str, coro, timeout: float = 10.0):  # noqa: ASYNC109
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(coro, timeout)
        say(f"  {label}: ok in {time.monotonic() - started:.2f}s -> {str(result)[:120]}")
        return result
    except Exception as exc:
        say(
            f"  {label}: {type(exc).__name__} after {time.monotonic() - started:.2f}s: "
            f"{str(exc)[:200]}"
        )
        return None


async def publish(conn, queue: str, body: str) -> None:
    channel = await conn.channel(publisher_confirms=True, on_return_raises=True)
    try:
        await try_(
            f"publish {body!r} to {queue} (mandatory, confirmed)",
            channel.default_exchange.publish(
                aio_pika.Message(body.encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue,
                mandatory=True,
            ),
        )
    finally:
        if not channel.is_closed:
            await channel.close()


async def declare(conn, name: str, arguments: dict, label: str):
    channel = await conn.channel()
    queue = await try_(label, channel.declare_queue(name, durable=True, arguments=arguments))
    return channel, queue


async def close(conn) -> None:
    await try_("close connection", conn.close(), timeout=5)


async def delete(conn, name: str) -> None:
    channel = await conn.channel()
    await try_(f"delete {name}", channel.queue_delete(name))
    await channel.close()


# ---------------------------------------------------------------------------------- (a) (b)


async def membership() -> None:
    print("\n== (a) quorum queue (topology.quorum_arguments()), (b) stream (journal_arguments)")
    conn = await connect("probe-ab")
    q, s = f"probe.quorum.{uuid.uuid4().hex[:8]}", f"probe.stream.{uuid.uuid4().hex[:8]}"
    await declare(conn, q, topology.quorum_arguments(), f"declare {q}")
    await declare(conn, s, topology.journal_arguments(50_000_000), f"declare {s}")
    for name in (q, s):
        info = queue_info(name)
        say(
            f"  {name}: type={info.get('type')} leader={info.get('leader')} "
            f"members={sorted(info.get('members') or [])} online={sorted(info.get('online') or [])}"
        )
    status = json.loads(
        cluster(
            "queues", up_node(), "-q", "quorum_status", q, "--vhost", VHOST, "--formatter", "json"
        )
    )
    say(
        "  rabbitmq-queues quorum_status: "
        + ", ".join(
            f"{m['Node Name']} {m['Raft State']} (term {m['Term']}, commit {m['Commit Index']})"
            for m in status
        )
    )
    for name in (q, s):
        await delete(conn, name)
    await conn.close()


# ---------------------------------------------------------------------------------- (c) (d)


async def node_loss(kind: str, arguments: dict) -> None:
    """A consumer on a robust connection (as shared.messaging.broker: one connection, a consuming
    and a confirming publishing channel) declares the queue, so the queue's home (classic) or
    leader (quorum) is the consumer's node; that node is stopped. Messages reach the queue as the
    services send them (a topic exchange to a topic exchange with an alternate exchange, confirmed,
    not mandatory) and, to see a return, straight by the default exchange with mandatory."""
    tag = uuid.uuid4().hex[:8]
    name, relay, route, unrouted = (
        f"probe.{k}.{tag}" for k in (kind, "relay", "route", "unrouted")
    )
    got: list[str] = []
    held: list = []

    setup = await connect(f"probe-{kind}-setup")
    channel = await setup.channel()
    ae = await channel.declare_exchange(unrouted, aio_pika.ExchangeType.FANOUT, durable=True)
    sink = await channel.declare_queue(unrouted, durable=True, arguments={"x-queue-type": "quorum"})
    await sink.bind(ae)
    ex_relay = await channel.declare_exchange(relay, aio_pika.ExchangeType.TOPIC, durable=True)
    ex_route = await channel.declare_exchange(
        route, aio_pika.ExchangeType.TOPIC, durable=True, arguments={"alternate-exchange": unrouted}
    )
    await ex_route.bind(ex_relay, routing_key="#")
    await setup.close()

    consumer = await connect(f"probe-{kind}-consumer", robust=True)
    seen = watch(consumer, "consumer connection")
    publisher = await consumer.channel(publisher_confirms=True)
    channel = await consumer.channel()
    await channel.set_qos(prefetch_count=10)
    queue = await try_(
        f"declare {name} {arguments}",
        channel.declare_queue(name, durable=True, arguments=arguments),
    )
    if queue is None:
        await close(consumer)
        return
    await queue.bind(route, routing_key=name)

    async def on_message(message) -> None:
        body = message.body.decode()
        if body == "held" and not message.redelivered:
            held.append(message)  # taken, never acknowledged: the consumer's node goes first
            say("  consumer got 'held' (not acknowledged)")
            return
        await message.ack()
        got.append(body + (" (redelivered)" if message.redelivered else ""))
        say(f"  consumer got {got[-1]!r}")

    await queue.consume(on_message)
    home = node_of(f"probe-{kind}-consumer")
    info = queue_info(name)
    say(
        f"  consumer on relay{home}; queue leader={info.get('leader')} pid={info.get('pid')} "
        f"members={sorted(info.get('members') or [])} arguments={info.get('arguments')}"
    )

    async def routed(conn, body: str) -> None:
        ch = await conn.channel(publisher_confirms=True)
        exchange = await ch.get_exchange(relay, ensure=False)
        await try_(
            f"publish {body!r} via {relay} (confirmed, not mandatory)",
            exchange.publish(
                aio_pika.Message(body.encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=name,
            ),
        )
        await ch.close()

    side = await connect(f"probe-{kind}-before")
    await routed(side, "before")
    await routed(side, "held")
    await side.close()
    await asyncio.sleep(0.5)

    await stop(home)
    client = await connect(f"probe-{kind}-client")
    say(f"  new client through HAProxy landed on relay{node_of(f'probe-{kind}-client')}")
    await declare(client, name, arguments, "re-declare (same arguments)")
    await try_("passive declare", (await client.channel()).declare_queue(name, passive=True))
    await publish(client, name, "during-direct")
    await routed(client, "during-routed")
    await try_(
        "the consumer's own connection publishes (to the unrouted sink)",
        publisher.default_exchange.publish(aio_pika.Message(b"own"), routing_key=unrouted),
        timeout=5,
    )
    await asyncio.sleep(4)
    info = queue_info(name)
    say(
        f"  node down: consumer is_closed={consumer.is_closed} got={got} list_queues: "
        f"leader={info.get('leader')} online={sorted(info.get('online') or [])} "
        f"messages={info.get('messages')}"
    )
    say(f"  consumer connection closes so far: {closes(seen)}")

    await start(home)
    await routed(client, "after")
    for _ in range(40):
        if "after" in got and any(g.startswith("held") for g in got):
            break
        await asyncio.sleep(0.5)
    info = queue_info(name)
    sink_info = queue_info(unrouted)
    say(
        f"  node back: consumer is_closed={consumer.is_closed} got={got} list_queues: "
        f"leader={info.get('leader')} online={sorted(info.get('online') or [])} "
        f"messages={info.get('messages')}; in {unrouted} (alternate exchange's queue): "
        f"{sink_info.get('messages')}"
    )
    getter = await client.channel()
    sunk = await getter.get_queue(unrouted)
    bodies = []
    while (message := await sunk.get(fail=False)) is not None:
        bodies.append(message.body.decode())
        await message.ack()
    say(f"  {unrouted} holds {bodies}")
    say(f"  consumer connection closes in all: {closes(seen)}")
    await close(consumer)
    for queue_name in (name, unrouted):
        await delete(client, queue_name)
    channel = await client.channel()
    for exchange in (relay, route, unrouted):
        await try_(f"delete exchange {exchange}", channel.exchange_delete(exchange))
    await close(client)


async def quorum_ttl_expires() -> None:
    """Do x-message-ttl and x-expires take effect on a quorum queue (short values)?"""
    name = f"probe.quorum-ttl.{uuid.uuid4().hex[:8]}"
    conn = await connect("probe-ttl")
    channel = await conn.channel(publisher_confirms=True)
    await try_(
        f"declare {name} x-message-ttl=1000 x-expires=4000",
        channel.declare_queue(
            name,
            durable=True,
            arguments={"x-queue-type": "quorum", "x-message-ttl": 1000, "x-expires": 4000},
        ),
    )
    queue = await channel.get_queue(name)
    await channel.default_exchange.publish(aio_pika.Message(b"fresh"), routing_key=name)
    fresh = await queue.get(fail=False)
    say(f"  basic.get right after publishing: {fresh.body if fresh else None}")
    if fresh:
        await fresh.ack()
    await channel.default_exchange.publish(aio_pika.Message(b"stale"), routing_key=name)
    await asyncio.sleep(2)
    stale = await queue.get(fail=False)
    say(f"  basic.get 2 s after publishing (ttl 1 s): {stale.body if stale else None}")
    if stale:
        await stale.ack()
    last_use = time.monotonic()
    for _ in range(30):
        await asyncio.sleep(0.5)
        if not queue_info(name):
            break
    gone = not queue_info(name)
    say(
        f"  x-expires=4000: queue {'gone' if gone else 'still there'} "
        f"{time.monotonic() - last_use:.1f}s after its last use (basic.get)"
    )
    if not gone:
        await delete(conn, name)
    await close(conn)


# ---------------------------------------------------------------------------------- (e)


async def stream_consumer() -> None:
    print("\n== (e) stream consumer (x-stream-offset) through HAProxy, its node stopped")
    name = f"probe.stream.{uuid.uuid4().hex[:8]}"
    seen: list[int] = []
    closed = asyncio.Event()

    async def consume(conn, offset: int) -> None:
        channel = await conn.channel()
        await channel.set_qos(prefetch_count=50)
        queue = await channel.get_queue(name, ensure=True)

        async def on_message(message) -> None:
            seen.append(message.headers["x-stream-offset"])
            await message.ack()

        await queue.consume(on_message, arguments={"x-stream-offset": offset})

    reader = await connect("probe-stream-reader")
    reader.close_callbacks.add(lambda *_args, **_kw: closed.set())
    watch(reader, "reader connection")
    await declare(reader, name, topology.journal_arguments(50_000_000), f"declare {name}")
    home = node_of("probe-stream-reader")
    info = queue_info(name)
    say(
        f"  reader on relay{home}; stream leader={info.get('leader')} "
        f"members={sorted(info.get('members') or [])}"
    )
    writer = await connect("probe-stream-writer")
    wch = await writer.channel(publisher_confirms=True)
    for i in range(10):
        await wch.default_exchange.publish(aio_pika.Message(f"m{i}".encode()), routing_key=name)
    await consume(reader, 0)
    for _ in range(20):
        if len(seen) >= 10:
            break
        await asyncio.sleep(0.1)
    say(f"  before: offsets {seen}")

    writer_node = node_of("probe-stream-writer")
    await stop(home)
    try:
        await asyncio.wait_for(closed.wait(), 5)
        say(f"  reader's close callback ran; its is_closed={reader.is_closed}")
    except TimeoutError:
        say(f"  reader did NOT notice within 5 s: is_closed={reader.is_closed}")
    if writer_node == home:
        writer = await connect("probe-stream-writer2")
        wch = await writer.channel(publisher_confirms=True)
    for i in range(10, 20):
        await try_(
            f"publish m{i}",
            wch.default_exchange.publish(aio_pika.Message(f"m{i}".encode()), routing_key=name),
        )
    last = max(seen)
    reader2 = await connect("probe-stream-reader2")
    say(
        f"  reader reconnected on relay{node_of('probe-stream-reader2')}, "
        f"resumes at x-stream-offset={last + 1}"
    )
    before = len(seen)
    await try_("consume from offset", consume(reader2, last + 1))
    for _ in range(50):
        if len(seen) - before >= 10:
            break
        await asyncio.sleep(0.2)
    after = seen[before:]
    say(
        f"  after: offsets {after} (gaps: {sorted(set(range(last + 1, last + 11)) - set(after))}, "
        f"duplicates: {len(seen) - len(set(seen))})"
    )
    info = queue_info(name)
    say(
        f"  node down: stream leader={info.get('leader')} online={sorted(info.get('online') or [])}"
    )
    await start(home)
    back = time.monotonic()
    for _ in range(30):
        info = queue_info(name)
        if len(info.get("online") or []) == 3:
            break
        await asyncio.sleep(0.5)
    say(
        f"  node back: stream leader={info.get('leader')} "
        f"online={sorted(info.get('online') or [])} "
        f"({time.monotonic() - back:.1f}s after start-node returned)"
    )
    await delete(reader2, name)
    for conn in (reader2, writer):
        await close(conn)


async def main() -> None:
    for name in ("aio_pika", "aiormq"):
        logging.getLogger(name).addHandler(Collect())
        logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger(name).propagate = False
    cluster("status")
    await membership()
    print(
        "\n== (c) classic durable queue (topology.reply_queue_arguments()), its home node stopped"
    )
    await node_loss("classic", topology.reply_queue_arguments())
    print("\n== (d) quorum queue with x-expires and x-message-ttl, its leader's node stopped")
    await node_loss("quorum", topology.quorum_arguments() | topology.reply_queue_arguments())
    print("\n== (d') x-message-ttl and x-expires on a quorum queue take effect?")
    await quorum_ttl_expires()
    await stream_consumer()
    print(f"\n== aio-pika/aiormq warnings during the probe ({len(warnings)}):")
    counts: dict[str, int] = {}
    for w in warnings:
        counts[w] = counts.get(w, 0) + 1
    for w, c in counts.items():
        print(f"  {c} x {w}")
    print(cluster("status"))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        for n in sorted(down):  # never leave a node stopped
            print(cluster("start-node", str(n)))
