"""The reference pipeline: HTTP → broker → consumer + one INSERT → reply, and nothing else.

The relay's own topology (design §4) with none of its logic: the front publishes to ``relay``
(bound ``#`` to a journal stream and to ``relay.route``), the recorder consumes its quorum queue,
INSERTs one row and publishes the reply straight to the front's reply queue. Two confirmed trips
a round, like the relay's settlements; the journal's copy is made, not read (the relay's hub
reads it off the settlement's path). The relay's figure is read against both this and the
transport ceiling: what the relay costs beyond moving a message and writing it once.

Three OS processes (the two helpers run on uvloop, as the relay's services do)::

    load ──HTTP──▶ front ──▶ [relay] ──▶ recorder (one INSERT, committed) ──▶ [relay] ──▶ front

Same message size, persistence, confirms, quorum queues and prefetch as the ceiling; the INSERT
is one autocommitted row through an asyncpg pool, durable like the relay's commits.

    python -m bench.pipeline --concurrency 16 --seconds 10    # closed loop, one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Literal

import asyncpg
import orjson
import uvicorn
import uvloop
from aio_pika.abc import AbstractIncomingMessage

from bench import transport
from bench.transport import (
    PUBLISH_TIMEOUT_S,
    Link,
    Names,
    json_body,
    json_payload,
    persistent,
)
from sim.http import HttpError, LeanClient

log = logging.getLogger("bench.pipeline")

DSN_ENV: Final = "BENCH_PIPELINE_DSN"
PORT: Final = 18109
Role = Literal["front", "recorder"]
ROLES: Final[tuple[Role, ...]] = ("recorder", "front")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def table_name(names: Names) -> str:
    return f"bench_pipeline_{names.run}".replace("-", "_")


# ---------------------------------------------------------------- recorder: consumer + INSERT


def recorder_handler(link: Link, pool: asyncpg.Pool, names: Names, size: int) -> transport.Handler:
    insert = f"INSERT INTO {table_name(names)} (id, body) VALUES ($1, $2)"
    reply_body = json_body("reply", size)

    async def record(message: AbstractIncomingMessage) -> None:
        request = orjson.loads(message.body)
        await pool.execute(insert, str(request["id"]), message.body)
        if not message.reply_to:
            raise ValueError("request without reply_to")
        await link.ingress.publish(
            persistent(
                reply_body(str(request["id"])),
                message_id=message.message_id or "",
                reply_to=message.reply_to,
                kind="reply",
            ),
            routing_key=message.reply_to,
            mandatory=True,
            timeout=PUBLISH_TIMEOUT_S,
        )

    return record


async def serve_recorder(
    amqp_url: str, dsn: str, names: Names, *, size: int, lifetime: float
) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
    link = await Link.open(amqp_url, names, direct=True)
    try:
        await transport.consume_until_stopped(
            "recorder",
            link.responder_queue,
            recorder_handler(link, pool, names, size),
            lifetime=lifetime,
            watch_stdin=True,
        )
    finally:
        await link.close()
        await pool.close()


# ---------------------------------------------------------------- front: HTTP in and out


class Front:
    """A bare ASGI app: the POSTed body goes out as the request, the reply's body comes back."""

    def __init__(self, amqp_url: str, names: Names) -> None:
        self._amqp_url = amqp_url
        self._names = names
        self._link: Link | None = None
        self._waiter: transport.ReplyWaiter | None = None

    async def open(self) -> None:
        self._link = await Link.open(self._amqp_url, self._names, direct=True)
        self._waiter = transport.ReplyWaiter(self._link, self._names)
        await self._waiter.start()

    async def close(self) -> None:
        if self._link is not None:
            await self._link.close()

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        if self._waiter is None:
            raise RuntimeError("front not open")
        status, out = 200, b""
        try:
            out = await self._waiter.round_trip(
                uuid.uuid4().hex, body, deadline_s=transport.REQUEST_TIMEOUT_S
            )
        except TimeoutError:
            status = 504
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(out))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})


async def serve_front(amqp_url: str, names: Names, *, port: int, lifetime: float) -> None:
    front = Front(amqp_url, names)
    await front.open()
    config = uvicorn.Config(
        front,
        host="127.0.0.1",
        port=port,
        loop="none",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises why it could not start
            await asyncio.sleep(0.05)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await transport._wait_for_stop(lifetime=lifetime, watch_stdin=True)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        await front.close()


# ---------------------------------------------------------------- load and the whole measurement


async def _post(client: LeanClient, payload: dict[str, str]) -> None:
    status, _ = await client.post_json("/", payload, dict)
    if status != 200:
        raise HttpError(f"HTTP {status}")


async def closed_loop(
    url: str, *, concurrency: int, seconds: float, size: int, warmup: float
) -> dict[str, Any]:
    """``transport.closed_loop`` over HTTP with the relay benchmark's own client
    (``sim.http.LeanClient``)."""
    payload = json_payload("request", size)
    client = LeanClient(url, timeout_s=transport.REQUEST_TIMEOUT_S)
    try:
        figures, errors = await transport.closed_loop(
            lambda: _post(client, payload(uuid.uuid4().hex)),
            (HttpError, OSError, TimeoutError, asyncio.IncompleteReadError),
            concurrency=concurrency,
            seconds=seconds,
            warmup=warmup,
        )
    finally:
        await client.close()
    return {**figures, "size": size, "errors": errors}


def post_calls(client: LeanClient, size: int, count: int) -> list[Callable[[], Awaitable[float]]]:
    """Requests for ``bench.relay.open_loop`` (each returns its latency in ms)."""
    payload = json_payload("request", size)

    def one(body: dict[str, str]) -> Callable[[], Awaitable[float]]:
        async def call() -> float:
            started = time.perf_counter()
            await _post(client, body)
            return (time.perf_counter() - started) * 1000

        return call

    return [one(payload(uuid.uuid4().hex)) for _ in range(count)]


class Pipeline:
    """The processes of one measurement; ``async with`` starts them and cleans up after."""

    def __init__(self, amqp_url: str, dsn: str, *, size: int = 2048, port: int = PORT) -> None:
        self.amqp_url = amqp_url
        self.dsn = dsn
        self.size = size
        self.url = f"http://127.0.0.1:{port}/"
        self._port = port
        self.names = Names(uuid.uuid4().hex[:12])
        self._helpers: list[asyncio.subprocess.Process] = []

    def pids(self) -> dict[str, int]:
        return {role: p.pid for role, p in zip(ROLES, self._helpers, strict=False)}

    async def __aenter__(self) -> Pipeline:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(
                f"CREATE TABLE {table_name(self.names)} (id text PRIMARY KEY, body bytea NOT NULL)"
            )
        finally:
            await conn.close()
        try:
            link = await Link.open(self.amqp_url, self.names, direct=True)  # declared here
            await link.close()
            for role in ROLES:
                process = await self._spawn(role)
                self._helpers.append(process)
                await transport._wait_ready(role, process)
        except BaseException:
            await self._clean()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._clean()

    async def rows(self) -> int:
        conn = await asyncpg.connect(self.dsn)
        try:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table_name(self.names)}"))
        finally:
            await conn.close()

    async def _spawn(self, role: Role) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.pipeline",
            "--role",
            role,
            "--run-id",
            self.names.run,
            "--size",
            str(self.size),
            "--port",
            str(self._port),
            cwd=transport.ROOT,
            env={**os.environ, transport.URL_ENV: self.amqp_url, DSN_ENV: self.dsn},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    async def _clean(self) -> None:
        for process in reversed(self._helpers):
            await transport._stop(process)
        self._helpers.clear()
        with contextlib.suppress(Exception):
            await transport.delete_topology(self.amqp_url, self.names)
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(f"DROP TABLE IF EXISTS {table_name(self.names)}")
        finally:
            await conn.close()


async def measure_pipeline(
    amqp_url: str, dsn: str, *, concurrency: int = 16, seconds: float = 10, warmup: float = 2.0
) -> dict[str, Any]:
    async with Pipeline(amqp_url, dsn) as pipeline:
        result = await closed_loop(
            pipeline.url,
            concurrency=concurrency,
            seconds=seconds,
            size=pipeline.size,
            warmup=warmup,
        )
        result["rows"] = await pipeline.rows()
        return result


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline",
        description="HTTP → broker → consumer + one INSERT → reply, closed loop (one JSON line).",
    )
    parser.add_argument("--role", choices=ROLES, help="run one helper (internal)")
    parser.add_argument("--amqp-url", default=os.environ.get(transport.URL_ENV, ""))
    parser.add_argument("--dsn", default=os.environ.get(DSN_ENV, ""))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--lifetime", type=float, default=900.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s[%(process)d] %(message)s")
    if not args.amqp_url or not args.dsn:
        raise SystemExit(f"need --amqp-url and --dsn (or {transport.URL_ENV}, {DSN_ENV})")
    names = Names(args.run_id)
    if args.role == "recorder":
        uvloop.run(
            serve_recorder(args.amqp_url, args.dsn, names, size=args.size, lifetime=args.lifetime)
        )
    elif args.role == "front":
        uvloop.run(serve_front(args.amqp_url, names, port=args.port, lifetime=args.lifetime))
    else:
        result = asyncio.run(
            measure_pipeline(
                args.amqp_url,
                args.dsn,
                concurrency=args.concurrency,
                seconds=args.seconds,
                warmup=args.warmup,
            )
        )
        sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
