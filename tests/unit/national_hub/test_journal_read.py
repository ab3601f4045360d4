"""What the journal reads of a message (design §4): its log row, the request it is, and the
answer it books — only an insured region's own answer, as the broker vouches its sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage

from services.national_hub.adapters import journal
from shared.envelope import MessageKind, RelayEnvelope
from tests.unit.national_hub.test_books import DETAIL, setlinfo

SETTLED: dict[str, Any] = {"setlinfo": setlinfo(), "setldetail": DETAIL}


@dataclass
class Message:
    """What ``journal.read`` uses of a stream message."""

    body: bytes
    routing_key: str
    user_id: str | None
    headers: dict[str, Any] = field(default_factory=lambda: {"x-stream-offset": 7})
    message_id: str | None = None


def message(kind: MessageKind, routing_key: str, user_id: str | None, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "msgid": "H110000000012026120400000001",
        "infno": "2207",
        "kind": kind,
        "sender_admdvs": "110000" if kind == MessageKind.REQUEST else "650100",
        "mdtrtarea_admvs": "110000",
        "insuplc_admdvs": "650100",
        "fixmedins_code": "H11000000001",
        "deadline": datetime.now(UTC) + timedelta(seconds=30),
        "reply_to": "reply.110000.p1" if kind == MessageKind.REQUEST else None,
        "payload": SETTLED if kind == MessageKind.REPLY else {"data": {"psn_no": "P1"}},
    }
    fields.update(changes)
    body = RelayEnvelope(**fields).model_dump_json().encode()
    return cast(AbstractIncomingMessage, Message(body, routing_key, user_id))


def test_a_request_to_an_insured_region_is_what_its_answer_waits_for() -> None:
    read = journal.read(message(MessageKind.REQUEST, "insured.650100", "region_110000"))
    assert read.offset == 7
    assert read.row is not None
    assert read.asks == ("H110000000012026120400000001", "650100")
    assert (read.answer, read.bookings) == (None, ())


def test_the_insured_regions_own_answer_books_its_settlement() -> None:
    read = journal.read(message(MessageKind.REPLY, "reply.110000.p1", "region_650100"))
    assert read.asks is None
    assert read.answer is not None
    assert read.answer.msgid == "H110000000012026120400000001"
    assert [b.book_id for b in read.bookings] == ["S650100261203000001"]


@pytest.mark.parametrize(
    ("user_id", "changes"),
    [
        ("region_110000", {}),  # the treating region cannot answer for the insured one
        (None, {}),  # a sender the broker did not check
        ("region_650100", {"err_code": "E1001", "payload": {}}),  # a refusal books nothing
        ("region_650100", {"payload": {"setlinfo": {**SETTLED["setlinfo"], "acct_pay": "1"}}}),
    ],
)
def test_an_answer_that_books_nothing_is_logged_and_neither_held_nor_booked(
    user_id: str | None, changes: dict[str, Any]
) -> None:
    read = journal.read(message(MessageKind.REPLY, "reply.110000.p1", user_id, **changes))
    assert read.row is not None
    assert (read.answer, read.bookings, read.asks) == (None, (), None)


def test_a_request_on_its_way_elsewhere_is_no_request_to_an_insured_region() -> None:
    read = journal.read(message(MessageKind.REQUEST, "hub.unroutable", "region_110000"))
    assert read.row is not None
    assert read.asks is None


def test_what_is_no_envelope_is_skipped_at_its_offset() -> None:
    raw = cast(AbstractIncomingMessage, Message(b"{not json", "insured.650100", "region_110000"))
    read = journal.read(raw)
    assert (read.offset, read.row, read.asks, read.answer) == (7, None, None, None)


def test_keys_that_are_not_printable_ascii_are_neither_waited_for_nor_booked() -> None:
    """A NUL in a query's parameter would fail the journal's whole batch, again and again."""
    request = message(MessageKind.REQUEST, "insured.650100", "region_110000", msgid="H1\x00")
    asked = journal.read(request)
    assert asked.row is not None
    assert asked.asks is None
    info = {**SETTLED["setlinfo"], "setl_id": "S650100\x0026120300001"}
    reply = message(
        MessageKind.REPLY,
        "reply.110000.p1",
        "region_650100",
        payload={**SETTLED, "setlinfo": info},
    )
    answered = journal.read(reply)
    assert (answered.answer, answered.bookings) == (None, ())
