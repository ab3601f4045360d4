"""Nonces seen within the signature window, in the database every gateway process shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

_REMEMBER = """
    INSERT INTO request_nonce (paasid, nonce, seen_at) VALUES ($1, $2, $3)
    ON CONFLICT (paasid, nonce) DO NOTHING
    RETURNING 1
"""
_FORGET = "DELETE FROM request_nonce WHERE seen_at < $1"


class NonceStore:
    """A nonce is used once: the first INSERT wins, in whichever process it lands."""

    def __init__(self, pool: asyncpg.Pool, window_s: float) -> None:
        self._pool = pool
        self._keep = timedelta(seconds=2 * window_s)
        self._next_prune = datetime.min.replace(tzinfo=UTC)

    async def first_use(self, paasid: str, nonce: str) -> bool:
        now = datetime.now(UTC)
        if now >= self._next_prune:  # a nonce older than the window is refused by its timestamp
            self._next_prune = now + timedelta(seconds=30)
            await self._pool.execute(_FORGET, now - self._keep)
        return await self._pool.fetchval(_REMEMBER, paasid, nonce[:64], now) is not None
