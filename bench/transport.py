"""The transport ceiling: the relay's two-hop request/reply shape with no database and no logic.

Three OS processes, the same broker settings as ``shared.messaging`` (persistent messages,
publisher confirms with ``mandatory`` + ``on_return_raises``, quorum queues, prefetch 64)::

    client ──▶ [bench.<run>.ingress] ──▶ quorum bench.<run>.forwarder ──▶ forwarder
    forwarder ──▶ [bench.<run>.egress] ──▶ quorum bench.<run>.responder ──▶ responder
    responder ──▶ [bench.<run>.ingress] ──▶ quorum bench.<run>.forwarder ──▶ forwarder
    forwarder ──▶ [bench.<run>.egress] ──▶ exclusive bench.<run>.reply.<id> ──▶ client

A round trip is four confirmed publishes, like treating region → hub → insured region → hub →
treating region. Whatever the relay does beyond that is application cost, not transport cost.

    python -m bench.transport --concurrency 16 --seconds 10     # whole measurement, one JSON line

``measure_ceiling()`` does the same from Python. Every name starts with ``bench.<run>.``; the
measurement deletes what it declared, and the quorum queues also carry ``x-expires`` (with
auto-delete exchanges) so even a killed run leaves nothing behind for long.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import aio_pika
import orjson
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)

from shared.stats import percentile

log = logging.getLogger("bench.transport")

DEFAULT_AMQP_URL: Final = "amqp://relay:relay@127.0.0.1:5672/relay_test"
URL_ENV: Final = "BENCH_AMQP_URL"
"""How ``measure_ceiling`` hands the URL to its helpers (not on a command line ``ps`` shows)."""

PREFETCH: Final = 64
PUBLISH_TIMEOUT_S: Final = 10.0
REQUEST_TIMEOUT_S: Final = 10.0
READY_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 15.0
DRAIN_TIMEOUT_S: Final = 5.0
QUEUE_EXPIRES_MS: Final = 600_000
"""An unused bench queue (a killed run) disappears after 10 minutes."""

REQUEST_KEY: Final = "request.bench"
REPLY_KEY: Final = "reply.bench"
ROOT: Final = Path(__file__).resolve().parents[1]
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")

Role = Literal["client", "forwarder", "responder"]
HELPER_ROLES: Final[tuple[Role, ...]] = ("forwarder", "responder")


@dataclass(frozen=True)
class Names:
    """Every exchange and queue of one run, all under ``bench.<run>.``."""

    run: str

    def __post_init__(self) -> None:
        # the run id lands in topic binding keys: no dots, no wildcards
        if not _RUN_ID.fullmatch(self.run):
            raise ValueError(f"run id must match {_RUN_ID.pattern}: {self.run!r}")

    @property
    def ingress_exchange(self) -> str:
        return f"bench.{self.run}.ingress"

    @property
    def egress_exchange(self) -> str:
        return f"bench.{self.run}.egress"

    @property
    def forwarder_queue(self) -> str:
        return f"bench.{self.run}.forwarder"

    @property
    def responder_queue(self) -> str:
        return f"bench.{self.run}.responder"

    @property
    def journal_stream(self) -> str:
        return f"bench.{self.run}.journal"

    def new_reply_queue(self) -> str:
        return f"bench.{self.run}.reply.{uuid.uuid4().hex[:12]}"


def quorum_arguments() -> dict[str, Any]:
    return {"x-queue-type": "quorum", "x-expires": QUEUE_EXPIRES_MS}


JOURNAL_MAX_BYTES: Final = 200_000_000


async def declare_topology(
    channel: AbstractChannel, names: Names, *, direct: bool = False
) -> tuple[AbstractQueue | None, AbstractQueue]:
    """Idempotent: every process declares it. Returns (forwarder queue, responder queue).

    ``direct`` is the relay's own shape (design §4): ingress is ``relay``, bound ``#`` to a
    stream (the journal) and to egress (``relay.route``), where the responder's queue takes the
    requests and each reply queue its replies; no forwarder, two confirmed trips a round."""
    ingress = await channel.declare_exchange(
        names.ingress_exchange, aio_pika.ExchangeType.TOPIC, durable=True, auto_delete=True
    )
    egress = await channel.declare_exchange(
        names.egress_exchange, aio_pika.ExchangeType.TOPIC, durable=True, auto_delete=True
    )
    responder = await channel.declare_queue(
        names.responder_queue, durable=True, arguments=quorum_arguments()
    )
    if direct:
        await egress.bind(ingress, routing_key="#")
        journal = await channel.declare_queue(
            names.journal_stream,
            durable=True,
            arguments={"x-queue-type": "stream", "x-max-length-bytes": JOURNAL_MAX_BYTES},
        )
        await journal.bind(ingress, routing_key="#")
        await responder.bind(egress, routing_key=REQUEST_KEY)
        return None, responder
    forwarder = await channel.declare_queue(
        names.forwarder_queue, durable=True, arguments=quorum_arguments()
    )
    await forwarder.bind(ingress, routing_key="#")
    await responder.bind(egress, routing_key=names.responder_queue)
    return forwarder, responder


async def delete_topology(amqp_url: str, names: Names) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        # exchanges first: deleting the queues would auto-delete them under our feet
        for exchange in (names.ingress_exchange, names.egress_exchange):
            await channel.exchange_delete(exchange)
        for queue in (names.forwarder_queue, names.responder_queue, names.journal_stream):
            await channel.queue_delete(queue)  # one that was never declared: deleted all the same


@dataclass
class Link:
    """One connection per process, as in ``shared.messaging.broker.Broker``: a publishing
    channel with confirms (unroutable raises) and a consuming channel with prefetch."""

    connection: AbstractConnection
    consume_channel: AbstractChannel
    ingress: AbstractExchange
    egress: AbstractExchange
    forwarder_queue: AbstractQueue | None
    responder_queue: AbstractQueue

    @classmethod
    async def open(cls, amqp_url: str, names: Names, *, direct: bool = False) -> Link:
        # a plain connection, not a robust one: a benchmark must fail loudly, not reconnect
        connection = await aio_pika.connect(amqp_url)
        try:
            publish = await connection.channel(publisher_confirms=True, on_return_raises=True)
            consume = await connection.channel()
            await consume.set_qos(prefetch_count=PREFETCH)
            forwarder, responder = await declare_topology(consume, names, direct=direct)
            return cls(
                connection=connection,
                consume_channel=consume,
                ingress=await publish.get_exchange(names.ingress_exchange, ensure=False),
                egress=await publish.get_exchange(names.egress_exchange, ensure=False),
                forwarder_queue=forwarder,
                responder_queue=responder,
            )
        except BaseException:
            await connection.close()
            raise

    async def close(self) -> None:
        await self.connection.close()


def persistent(
    body: bytes, *, message_id: str, reply_to: str | None, kind: str
) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        correlation_id=message_id,
        reply_to=reply_to,
        type=kind,
    )


def json_payload(kind: str, size: int) -> Callable[[str], dict[str, str]]:
    """A factory of JSON objects that serialise (orjson) to exactly ``size`` bytes for a
    32-character message id."""
    overhead = len(orjson.dumps({"id": "0" * 32, "kind": kind, "pad": ""}))
    if size < overhead:
        raise ValueError(f"size must be at least {overhead} bytes")
    pad = "x" * (size - overhead)

    def build(message_id: str) -> dict[str, str]:
        return {"id": message_id, "kind": kind, "pad": pad}

    return build


def json_body(kind: str, size: int) -> Callable[[str], bytes]:
    """``json_payload``, serialised."""
    payload = json_payload(kind, size)
    return lambda message_id: orjson.dumps(payload(message_id))


# ---------------------------------------------------------------- forwarder and responder

Handler = Callable[[AbstractIncomingMessage], Awaitable[None]]


class ConcurrentConsumer:
    """One task per delivery, at most ``limit`` at once: never awaits a publish before taking
    the next message. Acks when the handler returns (after its confirmed publish), rejects
    without requeue when it raises."""

    def __init__(self, handler: Handler, limit: int) -> None:
        self._handler = handler
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()
        self.failures = 0

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._process(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            async with message.process(requeue=False, ignore_processed=True):
                await self._handler(message)
        except Exception as exc:
            self.failures += 1
            log.debug("message %s dropped: %r", message.message_id, exc)
        finally:
            self._slots.release()

    async def drain(self, within_s: float) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within_s)


def forwarder_handler(link: Link, names: Names) -> Handler:
    """The hub's hop: requests to the responder's queue, replies to the waiting reply queue."""

    async def forward(message: AbstractIncomingMessage) -> None:
        if message.routing_key == REPLY_KEY:
            if not message.reply_to:
                raise ValueError("reply without reply_to")
            target = message.reply_to
        else:
            target = names.responder_queue
        await link.egress.publish(
            persistent(
                message.body,
                message_id=message.message_id or "",
                reply_to=message.reply_to,
                kind=message.type or "",
            ),
            routing_key=target,
            mandatory=True,
            timeout=PUBLISH_TIMEOUT_S,
        )

    return forward


def responder_handler(link: Link, size: int) -> Handler:
    """The insured region's hop, minus its logic: a reply of the same size, back to ingress."""
    reply_body = json_body("reply", size)

    async def respond(message: AbstractIncomingMessage) -> None:
        request = orjson.loads(message.body)
        await link.ingress.publish(
            persistent(
                reply_body(str(request["id"])),
                message_id=message.message_id or "",
                reply_to=message.reply_to,
                kind="reply",
            ),
            routing_key=REPLY_KEY,
            mandatory=True,
            timeout=PUBLISH_TIMEOUT_S,
        )

    return respond


class _StdinClosed(asyncio.Protocol):
    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    def connection_lost(self, _exc: Exception | None) -> None:
        self._stop.set()


async def _wait_for_stop(*, lifetime: float, watch_stdin: bool) -> None:
    """Until SIGTERM/SIGINT, stdin closing (the parent said so, or died), or the lifetime cap."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    transport: asyncio.BaseTransport | None = None
    try:
        if watch_stdin:
            transport, _ = await loop.connect_read_pipe(lambda: _StdinClosed(stop), sys.stdin)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=lifetime)
    finally:
        if transport is not None:
            transport.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def consume_until_stopped(
    role: str, queue: AbstractQueue, handler: Handler, *, lifetime: float, watch_stdin: bool
) -> None:
    """Consume with ``handler``, print ``ready``, and on stop cancel and drain."""
    consumer = ConcurrentConsumer(handler, PREFETCH)
    tag = await queue.consume(consumer.on_message)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await _wait_for_stop(lifetime=lifetime, watch_stdin=watch_stdin)
    await queue.cancel(tag)
    await consumer.drain(DRAIN_TIMEOUT_S)
    if consumer.failures:
        log.warning("%s dropped %d message(s)", role, consumer.failures)


async def serve(
    role: Role, amqp_url: str, names: Names, *, size: int, lifetime: float, watch_stdin: bool
) -> None:
    """Run a forwarder or a responder; prints ``ready`` once it consumes."""
    link = await Link.open(amqp_url, names)
    try:
        if role == "forwarder":
            if link.forwarder_queue is None:
                raise ValueError("a direct topology has no forwarder")
            queue, handler = link.forwarder_queue, forwarder_handler(link, names)
        elif role == "responder":
            queue, handler = link.responder_queue, responder_handler(link, size)
        else:
            raise ValueError(f"not a helper role: {role}")
        await consume_until_stopped(
            role, queue, handler, lifetime=lifetime, watch_stdin=watch_stdin
        )
    finally:
        await link.close()


# ---------------------------------------------------------------- client


class ReplyWaiter:
    """Publishes requests and matches replies on its exclusive reply queue by message_id."""

    def __init__(self, link: Link, names: Names) -> None:
        self._link = link
        self._reply_to = names.new_reply_queue()
        self._waiting: dict[str, asyncio.Future[bytes]] = {}

    async def start(self) -> None:
        # classic and exclusive: quorum queues cannot be exclusive (as the relay's reply queues)
        queue = await self._link.consume_channel.declare_queue(
            self._reply_to, exclusive=True, auto_delete=True
        )
        await queue.bind(self._link.egress.name, routing_key=self._reply_to)
        await queue.consume(self._on_reply)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._waiting.get(message.message_id or "")
        if future is not None and not future.done():
            future.set_result(message.body)
        await message.ack()

    async def round_trip(self, message_id: str, body: bytes, *, deadline_s: float) -> bytes:
        """Returns the reply's body."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        try:
            async with asyncio.timeout(deadline_s):
                await self._link.ingress.publish(
                    persistent(
                        body, message_id=message_id, reply_to=self._reply_to, kind="request"
                    ),
                    routing_key=REQUEST_KEY,
                    mandatory=True,
                    timeout=deadline_s,
                )
                return await future
        finally:
            self._waiting.pop(message_id, None)


def _validate(*, concurrency: int, seconds: float, size: int, warmup: float) -> None:
    if concurrency < 1 or seconds <= 0 or warmup < 0:
        raise ValueError("need concurrency >= 1, seconds > 0, warmup >= 0")
    json_body("request", size)  # raises when size cannot hold the JSON skeleton


def _ms(latencies: Sequence[float], p: float) -> float:
    """The p-th percentile of latencies in seconds, in ms; 0 for no samples."""
    return round(percentile(latencies, p) * 1000, 2) if latencies else 0.0


async def closed_loop(
    round_trip: Callable[[], Awaitable[object]],
    failure: tuple[type[BaseException], ...],
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
) -> tuple[dict[str, float], int]:
    """``concurrency`` round trips in flight; counts those completed in the window [warm-up
    end, warm-up end + seconds]. Returns the window's figures and how many raised ``failure``."""
    latencies: list[float] = []
    failures = 0
    window_start = time.perf_counter() + warmup
    window_end = window_start + seconds

    async def loop() -> None:
        nonlocal failures
        while (sent := time.perf_counter()) < window_end:
            try:
                await round_trip()
            except failure:
                failures += 1
                continue
            done = time.perf_counter()
            if window_start <= done <= window_end:
                latencies.append(done - sent)

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(loop())
    figures = {
        "round_trips": len(latencies),
        "seconds": seconds,
        "rate": round(len(latencies) / seconds, 1),
        "p50_ms": _ms(latencies, 50),
        "p95_ms": _ms(latencies, 95),
        "p99_ms": _ms(latencies, 99),
        "concurrency": concurrency,
    }
    return figures, failures


async def run_client(
    amqp_url: str,
    names: Names,
    *,
    concurrency: int = 16,
    seconds: float = 10.0,
    size: int = 2048,
    warmup: float = 2.0,
    reply_timeout_s: float = REQUEST_TIMEOUT_S,
) -> dict[str, float]:
    """Closed loop of bare round trips (see ``closed_loop``); returns as soon as the last
    in-flight one is done."""
    _validate(concurrency=concurrency, seconds=seconds, size=size, warmup=warmup)
    request_body = json_body("request", size)
    link = await Link.open(amqp_url, names)
    try:
        waiter = ReplyWaiter(link, names)
        await waiter.start()

        async def round_trip() -> bytes:
            message_id = uuid.uuid4().hex
            return await waiter.round_trip(
                message_id, request_body(message_id), deadline_s=reply_timeout_s
            )

        figures, timeouts = await closed_loop(
            round_trip, (TimeoutError,), concurrency=concurrency, seconds=seconds, warmup=warmup
        )
    finally:
        await link.close()
    return {**figures, "size": size, "timeouts": timeouts}


# ---------------------------------------------------------------- the whole measurement


async def _spawn(
    role: Role, amqp_url: str, names: Names, *, size: int, lifetime: float
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.transport",
        "--role",
        role,
        "--run-id",
        names.run,
        "--size",
        str(size),
        "--lifetime",
        str(lifetime),
        "--watch-stdin",
        cwd=ROOT,
        env={**os.environ, URL_ENV: amqp_url},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def _wait_ready(role: str, process: asyncio.subprocess.Process) -> None:
    if process.stdout is None:
        raise RuntimeError("helper started without a stdout pipe")
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=READY_TIMEOUT_S)
    except TimeoutError:
        line = b""
    if line.strip() != b"ready":
        raise RuntimeError(f"{role} did not start (exit status {process.returncode})")


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Tell it (close its stdin), then SIGTERM, then SIGKILL: it never outlives us."""
    if process.stdin is not None:
        process.stdin.close()
        with contextlib.suppress(ConnectionError):
            await process.stdin.wait_closed()
    for escalate in (process.terminate, process.kill):
        try:
            await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
            return
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                escalate()
    await process.wait()


async def measure_ceiling(
    amqp_url: str,
    *,
    concurrency: int = 16,
    seconds: float = 10,
    size: int = 2048,
    warmup: float = 2.0,
) -> dict[str, float]:
    """Start a forwarder and a responder process, load them from an in-process client, stop
    them, delete the run's exchanges and queues, and return the client's figures."""
    _validate(concurrency=concurrency, seconds=seconds, size=size, warmup=warmup)
    names = Names(uuid.uuid4().hex[:12])
    lifetime = warmup + seconds + REQUEST_TIMEOUT_S + 2 * READY_TIMEOUT_S
    helpers: list[asyncio.subprocess.Process] = []
    try:
        # declared once here, so the helpers' (identical) declarations are no-ops
        link = await Link.open(amqp_url, names)
        await link.close()
        for role in HELPER_ROLES:
            helpers.append(await _spawn(role, amqp_url, names, size=size, lifetime=lifetime))
        for role, process in zip(HELPER_ROLES, helpers, strict=True):
            await _wait_ready(role, process)
        return await run_client(
            amqp_url, names, concurrency=concurrency, seconds=seconds, size=size, warmup=warmup
        )
    finally:
        for process in helpers:
            await _stop(process)
        await delete_topology(amqp_url, names)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.transport",
        description="Transport ceiling of the relay's request/reply shape (one JSON line).",
    )
    parser.add_argument(
        "--role",
        choices=("client", *HELPER_ROLES),
        help="run one role only (same --run-id everywhere); default: the whole measurement",
    )
    parser.add_argument(
        "--delete", action="store_true", help="delete the exchanges and queues of --run-id, exit"
    )
    parser.add_argument("--amqp-url", default=os.environ.get(URL_ENV, DEFAULT_AMQP_URL))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--size", type=int, default=2048, help="JSON body size in bytes")
    parser.add_argument("--run-id", default="manual", help="names are bench.<run-id>.*")
    parser.add_argument(
        "--lifetime", type=float, default=600.0, help="a helper stops after this many seconds"
    )
    parser.add_argument(
        "--watch-stdin", action="store_true", help="a helper stops when its stdin closes"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(name)s[%(process)d] %(levelname)s: %(message)s",
    )
    if args.delete:
        asyncio.run(delete_topology(args.amqp_url, Names(args.run_id)))
        return
    if args.role in HELPER_ROLES:
        asyncio.run(
            serve(
                args.role,
                args.amqp_url,
                Names(args.run_id),
                size=args.size,
                lifetime=args.lifetime,
                watch_stdin=args.watch_stdin,
            )
        )
        return
    if args.role == "client":
        result = asyncio.run(
            run_client(
                args.amqp_url,
                Names(args.run_id),
                concurrency=args.concurrency,
                seconds=args.seconds,
                size=args.size,
                warmup=args.warmup,
            )
        )
    else:
        try:
            result = asyncio.run(
                measure_ceiling(
                    args.amqp_url,
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                    size=args.size,
                    warmup=args.warmup,
                )
            )
        except KeyboardInterrupt:  # helpers stopped and topology deleted on the way out
            sys.exit(130)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
