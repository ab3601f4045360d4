"""The outbox relay of owed replies (design §4, style 14): a reply whose effect committed is sent.

A settle, cancel or 2601 writes its owed reply in the effect's own transaction (the ledger). The
consumer publishes the reply at once and reports it ``sent`` when the broker confirms it; the
rows of confirmed replies are deleted in batches (one statement for many). A reply still owed
after ``GRACE_S`` lost its process between commit and publish: the relay answers it again from
the stored answer. A reply sent but not yet marked when the process dies is sent once more; the
treating region drops a second copy of a reply it already has, and records a late one only for a
message whose outcome is still open (at least once, idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from services.insured_region.adapters import outbox
from services.insured_region.adapters.ledger import OwedReply
from services.insured_region.service_layer import ledger
from services.insured_region.service_layer.unit_of_work import UnitOfWork
from shared.envelope import RelayEnvelope

log = logging.getLogger(__name__)

RELAY_EVERY_S = 2.0
MARK_SENT_EVERY_S = 0.1
GRACE_S = 5.0
"""A reply still owed this long after its commit was lost with its process: send it again."""

Send = Callable[[RelayEnvelope, RelayEnvelope], Awaitable[None]]
"""Publish ``answer`` to ``request`` (and report it ``sent`` once confirmed)."""


def owed_for(request: RelayEnvelope) -> OwedReply:
    """The reply this request will be owed if its effect commits."""
    return OwedReply(request.relay_id, request.msgid, request.model_dump(mode="json"))


class OwedReplyRelay:
    def __init__(self, pool: asyncpg.Pool, send: Send, regions: Sequence[str]) -> None:
        self._pool = pool
        self._send = send
        self._regions = tuple(regions)
        self._sent: list[str] = []

    def sent(self, relay_id: str) -> None:
        """The broker confirmed this reply: its row goes in the next batch."""
        self._sent.append(relay_id)

    async def mark_sent_forever(self) -> None:
        try:
            while True:
                await asyncio.sleep(MARK_SENT_EVERY_S)
                try:
                    await self._mark_sent_now()
                except Exception as exc:  # the database is away: the next round tries again
                    log.warning("marking sent replies failed: %s", exc)
        finally:
            with contextlib.suppress(Exception):
                await self._mark_sent_now()

    async def _mark_sent_now(self) -> None:
        if not self._sent:
            return
        batch, self._sent = self._sent, []
        try:
            await outbox.mark_replies_sent(self._pool, batch)
        except Exception:
            self._sent.extend(batch)  # the database is away: next round
            raise

    async def relay_forever(self) -> None:
        while True:
            await asyncio.sleep(RELAY_EVERY_S)
            try:
                pending = await outbox.replies_pending(self._pool, GRACE_S, self._regions)
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("owed-reply relay round failed: %s", exc)
                continue
            for owed in pending:
                try:
                    await self._send_again(owed)
                except Exception as exc:  # this one waits for the next round; the rest go on
                    log.warning("owed reply for %s not sent: %s", owed.msgid, exc)

    async def _send_again(self, owed: OwedReply) -> None:
        request = RelayEnvelope.model_validate(owed.request)
        stored = await ledger.stored_answer(UnitOfWork(self._pool), owed.msgid)
        if stored is None:  # undone since by a reversal: nothing left to announce
            await outbox.mark_replies_sent(self._pool, [owed.relay_id])
            return
        log.info("owed reply for %s sent again", owed.msgid)
        await self._send(request, request.reply(request.insuplc_admdvs, payload=stored))
