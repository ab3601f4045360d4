"""A lean HTTP/1.1 client for the gateway: keep-alive connections, one JSON POST at a time each.

The simulated hospitals share the machine with the relay they load; httpx costs ~3.5 ms of CPU a
call there, this ~0.5 ms, so the relay gets the cores (issue 6). It speaks just what the gateway
answers: a status line, headers, a body by Content-Length or chunked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson


class HttpError(OSError):
    """The connection broke or the answer was not HTTP/1.1 as expected."""


class StaleConnection(HttpError):
    """Closed by the server before it answered anything: safe to send on a fresh one."""


class LeanClient:
    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"{base_url}: only http://host:port is supported")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._timeout_s = timeout_s
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post_json(
        self, path: str, payload: Any, headers: Callable[[], dict[str, str]]
    ) -> tuple[int, Any]:
        """POST ``payload``; ``headers`` is called per attempt (a nonce is single-use)."""
        body = orjson.dumps(payload)
        for attempt in (1, 2):
            head = "".join(f"{k}: {v}\r\n" for k, v in headers().items())
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{head}\r\n"
            ).encode() + body
            reused = bool(self._idle) and attempt == 1
            conn = self._idle.pop() if reused else await self._connect()
            try:
                exchange = self._exchange(conn, request)
                status, data = await asyncio.wait_for(exchange, self._timeout_s)
            except StaleConnection:
                self._discard(conn)
                if reused:  # a kept-alive connection the server had closed: nothing was read
                    continue
                raise
            except (TimeoutError, HttpError, OSError, asyncio.IncompleteReadError):
                self._discard(conn)  # the request may have been read: never sent twice
                raise
            self._idle.append(conn)
            return status, orjson.loads(data)
        raise HttpError("unreachable")

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self._host, self._port)

    @staticmethod
    async def _exchange(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
    ) -> tuple[int, bytes]:
        reader, writer = conn
        writer.write(request)
        status_line = await reader.readline()
        if not status_line:
            raise StaleConnection("connection closed before an answer")
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError) as exc:
            raise HttpError(f"bad status line {status_line[:60]!r}") from exc
        length: int | None = None
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            return status, b"".join(parts)
        if length is None:
            raise HttpError("no Content-Length")
        return status, await reader.readexactly(length)

    def _discard(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        with contextlib.suppress(Exception):
            conn[1].close()

    async def close(self) -> None:
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
