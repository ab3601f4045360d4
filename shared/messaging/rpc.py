"""Request/reply through the broker with a deadline, keyed by relay_id (design §4).

A request goes straight to its insured region's queue (``insured.<admdvs>``) as the treating
region's broker user; the answer comes to this process's reply queue for that identity. The
broker vouches for who sent a reply: only the region the request went to, or the platform (the
hub answering for a region it cannot route to), may answer it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aio_pika.abc import AbstractIncomingMessage

from shared.envelope import MessageKind, RelayEnvelope
from shared.messaging import topology
from shared.messaging.broker import Broker, NotPublished
from shared.messaging.brokers import Brokers
from shared.regions import PLATFORM

log = logging.getLogger(__name__)

LateReplyHandler = Callable[[RelayEnvelope], Awaitable[None]]
ANSWERED_KEPT = 10_000


class ReplyTimeout(Exception):
    """No reply before the deadline: the outcome is unknown (E5002)."""


@dataclass(slots=True)
class _Waiting:
    future: asyncio.Future[RelayEnvelope]
    insured_admdvs: str
    """Where the request went; empty while the hub is to find it (a 1101 without it)."""


class RelayClient:
    """Sends requests as the regions this process serves, and routes each reply to the coroutine
    that waits for it."""

    def __init__(self, brokers: Brokers, process: str) -> None:
        self._brokers = brokers
        self._reply_to = {
            admdvs: topology.reply_queue(admdvs, process) for admdvs, _ in brokers.items()
        }
        self._waiting: dict[str, _Waiting] = {}
        self._answered: OrderedDict[str, None] = OrderedDict()
        """Requests answered lately: a second copy of their reply (a publish retried, an owed
        reply sent again) is no late reply, and must not be taken for one."""
        self.on_late_reply: LateReplyHandler | None = None
        """Called with a reply nobody waits for any more (its deadline passed)."""

    def reply_to(self, admdvs: str) -> str:
        return self._reply_to[admdvs]

    async def start(self) -> None:
        for admdvs, broker in self._brokers.items():
            queue = await broker.declare_reply_queue(self._reply_to[admdvs])
            await broker.consume(queue, self._reply_handler(broker))

    def _reply_handler(
        self, broker: Broker
    ) -> Callable[[RelayEnvelope, AbstractIncomingMessage], Awaitable[None]]:
        async def on_reply(envelope: RelayEnvelope, message: AbstractIncomingMessage) -> None:
            await self._on_reply(envelope, broker.sender_of(message), message.user_id)

        return on_reply

    def new_request(
        self,
        *,
        msgid: str,
        infno: str,
        sender_admdvs: str,
        mdtrtarea_admvs: str,
        insuplc_admdvs: str,
        fixmedins_code: str | None,
        payload: dict[str, object],
        deadline_s: float,
    ) -> RelayEnvelope:
        return RelayEnvelope(
            msgid=msgid,
            infno=infno,
            kind=MessageKind.REQUEST,
            sender_admdvs=sender_admdvs,
            mdtrtarea_admvs=mdtrtarea_admvs,
            insuplc_admdvs=insuplc_admdvs,
            fixmedins_code=fixmedins_code,
            deadline=datetime.now(UTC) + timedelta(seconds=deadline_s),
            reply_to=self._reply_to.get(sender_admdvs),
            payload=dict(payload),
        ).with_hop("treating_region")

    async def request(self, envelope: RelayEnvelope) -> RelayEnvelope:
        """Publish (riding out a lost connection until the deadline) and wait for the reply.

        ``NotPublished`` with ``maybe_sent`` False: the broker never had it (nothing happened);
        ``ReplyTimeout``: it may have gone, and no answer came in time.
        """
        future: asyncio.Future[RelayEnvelope] = asyncio.get_running_loop().create_future()
        self._waiting[envelope.relay_id] = _Waiting(future, envelope.insuplc_admdvs)
        try:
            try:
                await self._brokers.of(envelope.sender_admdvs).publish(
                    topology.request_key(envelope.insuplc_admdvs), envelope, until=envelope.deadline
                )
            except NotPublished as exc:
                if exc.maybe_sent:
                    raise ReplyTimeout(envelope.relay_id) from exc
                raise
            remaining = (envelope.deadline - datetime.now(UTC)).total_seconds()
            try:
                reply = await asyncio.wait_for(future, timeout=max(remaining, 0.0))
            except TimeoutError as exc:
                raise ReplyTimeout(envelope.relay_id) from exc
            self._answered[envelope.relay_id] = None
            while len(self._answered) > ANSWERED_KEPT:
                self._answered.popitem(last=False)
            return reply
        finally:
            self._waiting.pop(envelope.relay_id, None)

    async def _on_reply(
        self, envelope: RelayEnvelope, sender: str | None, user_id: str | None
    ) -> None:
        """Taken only from the region it claims to come from, or from the platform; a message
        no broker user vouches for (no ``user_id``) is dropped."""
        if envelope.kind != MessageKind.REPLY or sender not in (PLATFORM, envelope.insuplc_admdvs):
            log.warning(
                "dropped a %s for %s sent by %s as %s",
                envelope.kind,
                envelope.msgid,
                user_id,
                envelope.insuplc_admdvs,
            )
            return
        waiting = self._waiting.get(envelope.relay_id)
        if waiting is not None and waiting.insured_admdvs not in ("", envelope.insuplc_admdvs):
            log.warning(
                "dropped a reply for %s from %s: the request went to %s",
                envelope.msgid,
                envelope.insuplc_admdvs,
                waiting.insured_admdvs,
            )
            return
        if waiting is not None and not waiting.future.done():
            waiting.future.set_result(envelope)
            return
        if waiting is not None or envelope.relay_id in self._answered:
            log.info("a second copy of the reply for %s, dropped", envelope.msgid)
            return
        log.warning("late reply for %s (%s)", envelope.msgid, envelope.infno)
        if self.on_late_reply is not None:
            await self.on_late_reply(envelope)
