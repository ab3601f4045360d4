"""The hub's books and the daily three-way reconciliation (design §8), on the real stack: every
settlement, cancel and 2601 that passes is booked once from the journal, and a day's three
ledgers are compared — a reply lost after the insured region committed is a break until the
treating region records it, then the day balances."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from bench.stack import database_url
from shared import clock
from tests.e2e.harness import E2E_SUFFIX, OPERATOR, Stack
from tests.e2e.hospital import Hospital
from tests.e2e.test_hospital_flow import settle_body
from tests.e2e.test_reversal_kinds import (
    INSURED,
    filed_person,
    registered,
    reversal_of,
    settled_visit,
)

pytestmark = pytest.mark.e2e

D = Decimal


async def booked(
    http: httpx.AsyncClient, stack: Stack, *, wait_for: int = 1, **query: str | int
) -> list[dict[str, Any]]:
    """The hub's book entries matching ``query``, once there are ``wait_for`` of them (the hub
    books from its journal, a moment after the reply passed)."""
    deadline = time.monotonic() + 15
    while True:
        response = await http.get(f"{stack.hub_url}/books", params=query, headers=OPERATOR)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        if len(found) >= wait_for or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def day_report(
    http: httpx.AsyncClient, stack: Stack, day: str | None = None
) -> dict[str, Any]:
    """The reconciliation of ``day`` (ISO), today's by default."""
    response = await http.get(
        f"{stack.hub_url}/reconciliation/{day or clock.today().isoformat()}", headers=OPERATOR
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def breaks_of(report: dict[str, Any], *setl_ids: str) -> list[tuple[str, str]]:
    return sorted(
        (b["setl_id"], b["category"]) for b in report["breaks"] if b["setl_id"] in setl_ids
    )


async def test_settlement_cancel_and_their_reversals_are_booked_once_each(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id, info, total = await settled_visit(clinic, person)

    [entry] = await booked(ahttp, stack, setl_id=info["setl_id"])
    assert entry["kind"] == "settlement"
    assert (entry["payer"], entry["payee"], entry["route"]) == ("650000", "110000", "cross")
    assert D(entry["medfee_sumamt"]) == total == D(info["medfee_sumamt"])
    for name in ("fund_pay_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay"):
        assert D(entry[name]) == D(info[name]), name
    assert entry["day"] == clock.today().isoformat()

    cancel = clinic.envelope(
        "2208",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}},
    )
    mirror = (await clinic.send(cancel))["output"]["setlinfo"]
    undone = await clinic.send(
        clinic.envelope("2601", INSURED, reversal_of(cancel, person["psn_no"]))
    )
    assert undone["infcode"] == 0, undone

    entries = await booked(ahttp, stack, setl_id=info["setl_id"])
    entries += await booked(ahttp, stack, wait_for=2, setl_id=mirror["setl_id"])
    mine = sorted((e["book_id"], e["kind"], D(e["fund_pay_sumamt"])) for e in entries)
    fund = D(info["fund_pay_sumamt"])
    assert mine == sorted(
        [
            (info["setl_id"], "settlement", fund),
            (mirror["setl_id"], "cancel", -fund),
            (f"{mirror['setl_id']}/void", "void", fund),
        ]
    )
    # the day's three ledgers agree on both: the mirror and its void net to nothing at the hub,
    # as the mirror is gone from both regions' ledgers
    report = await day_report(ahttp, stack)
    assert breaks_of(report, info["setl_id"], mirror["setl_id"]) == []


async def test_a_reply_lost_after_the_insured_region_committed_is_a_break_until_recorded(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id = await registered(clinic, person)
    lines = await clinic.lines(mdtrt_id, person["psn_no"], per_category=2, categories=("04",))
    await clinic.ok("2204", INSURED, {"feedetail": lines})
    total = sum((D(x["det_item_fee_sumamt"]) for x in lines), D(0))
    settle = clinic.envelope("2207", INSURED, settle_body(person, mdtrt_id, total))

    insured_db = await asyncpg.connect(
        database_url("insured_region", E2E_SUFFIX, driver="postgresql")
    )
    treating_db = await asyncpg.connect(
        database_url("treating_region", E2E_SUFFIX, driver="postgresql")
    )
    try:
        # the insured region takes the request and waits on the msgid's lock past the deadline
        held = insured_db.transaction()
        await held.start()
        await insured_db.execute("SELECT pg_advisory_xact_lock(hashtext($1))", settle["msgid"])
        answer = await clinic.send(settle)
        assert answer["err_code"] == "E5002", answer  # the hospital: outcome unknown
        # the treating region's record of the message is held, so the late reply waits there
        recording = treating_db.transaction()
        await recording.start()
        await treating_db.execute(
            "SELECT 1 FROM hospital_message WHERE msgid = $1 FOR UPDATE", settle["msgid"]
        )
        await held.commit()  # the insured region settles now, and its reply is late

        [entry] = await booked(ahttp, stack, msgid=settle["msgid"])
        report = await day_report(ahttp, stack)
        assert breaks_of(report, entry["setl_id"]) == [(entry["setl_id"], "outcome_unknown")]
        [found] = [b for b in report["breaks"] if b["setl_id"] == entry["setl_id"]]
        assert "2601" in found["resolution"]
        pair = next(
            p
            for p in report["pairs"]
            if (p["mdtrtarea_admvs"], p["insuplc_admdvs"]) == ("110000", INSURED)
        )
        assert not pair["balanced"]

        await recording.commit()  # the late reply is recorded: the outcome is known
        for _ in range(100):
            status = await treating_db.fetchval(
                "SELECT status FROM hospital_message WHERE msgid = $1", settle["msgid"]
            )
            kept = await treating_db.fetchval(
                "SELECT count(*) FROM settlement WHERE msgid = $1", settle["msgid"]
            )
            if status == "late_ok" and kept == 1:
                break
            await asyncio.sleep(0.1)
        assert (status, kept) == ("late_ok", 1)
        report = await day_report(ahttp, stack)
        assert breaks_of(report, entry["setl_id"]) == []
    finally:
        await insured_db.close()
        await treating_db.close()


async def test_a_day_to_come_or_a_date_nobody_wrote_is_refused_naming_the_field(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    for day, fragment in (("2999-01-01", "晚于当前业务日期"), ("2026-13-45", "应为年-月-日")):
        response = await ahttp.get(f"{stack.hub_url}/reconciliation/{day}", headers=OPERATOR)
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["err_code"] == "E6001"
        assert fragment in body["err_msg"]
    # the regions' own statements refuse alike
    response = await ahttp.get(f"{stack.treating_url}/admin/ledger/2999-01-01", headers=OPERATOR)
    assert (response.status_code, response.json()["err_code"]) == (409, "E6001")
    response = await ahttp.get(f"{stack.hub_url}/reconciliation/2026-01-01")
    assert response.status_code == 401


async def test_replies_a_region_makes_up_book_nothing(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    """A settlement under another pool's name, or an answer to no request that passed, or the
    void of another region's refund: the journal logs each, the books take none."""
    from datetime import UTC, datetime, timedelta

    from shared.envelope import MessageKind, RelayEnvelope
    from tests.e2e.relay_client import region_broker

    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    mdtrt_id, info, _ = await settled_visit(clinic, person)
    cancel = clinic.envelope(
        "2208",
        INSURED,
        {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": info["setl_id"]}},
    )
    mirror = (await clinic.send(cancel))["output"]["setlinfo"]
    await booked(ahttp, stack, setl_id=mirror["setl_id"])

    forger = region_broker("120000")  # Tianjin's own user: the broker vouches for Tianjin
    await forger.connect()
    try:
        detail = [{"fund_payamt": info["fund_pay_sumamt"]}]  # it balances: only its name lies
        made_up: list[dict[str, Any]] = [
            # Urumqi's settlement id, answered "as" Tianjin
            {"insuplc_admdvs": "120000", "infno": "2207", "msgid": "FORGED-1",
             "payload": {"setlinfo": info, "setldetail": detail}},
            # a settlement under Tianjin's own name, answering nothing that was asked
            {"insuplc_admdvs": "120000", "infno": "2207", "msgid": "FORGED-2",
             "payload": {"setlinfo": {**info, "setl_id": "A120000" + info["setl_id"][7:]},
                         "setldetail": detail}},
            # the void of Urumqi's refund, claimed by Tianjin
            {"insuplc_admdvs": "120000", "infno": "2601", "msgid": "FORGED-3",
             "payload": {"result": {"reversed": "cancel", "setl_id": mirror["setl_id"],
                                    "omsgid": cancel["msgid"]}}},
        ]  # fmt: skip
        for fake in made_up:
            await forger.publish(
                "reply.110000.forged",
                RelayEnvelope(
                    kind=MessageKind.REPLY,
                    sender_admdvs="120000",
                    mdtrtarea_admvs="110000",
                    fixmedins_code="H11000000001",
                    deadline=datetime.now(UTC) + timedelta(seconds=30),
                    **fake,
                ),
            )
    finally:
        await forger.close()
    await asyncio.sleep(1.5)  # past the journal's batch wait: read and written by now
    for fake in made_up:
        logged = await ahttp.get(
            f"{stack.hub_url}/relay-log", params={"msgid": fake["msgid"]}, headers=OPERATOR
        )
        assert "reply" in [r["stage"] for r in logged.json()], fake["msgid"]  # it passed
        assert await booked(ahttp, stack, wait_for=0, msgid=fake["msgid"]) == []
    # Urumqi's refund stands: no void of it was booked
    assert [e["kind"] for e in await booked(ahttp, stack, setl_id=mirror["setl_id"])] == ["cancel"]
    # the treating region vouches for none of them: a day's reconciliation books none either
    report = await day_report(ahttp, stack)
    for fake in made_up:
        assert fake["msgid"] not in report["repaired"]
        assert await booked(ahttp, stack, wait_for=0, msgid=fake["msgid"]) == []


async def _lose_the_request_copy(hub_db: asyncpg.Connection, msgid: str) -> list[Any]:
    """The journal's gap, made by hand: the log without the request's copy, the books without
    its entries. The rows taken, as (table, row), to be put back: the stream still holds the
    copy and the answer, and the rebuild of the log (tests/e2e/test_journal.py) must find the
    hub as the stream has it."""
    taken = [
        ("book_entry", row)
        for row in await hub_db.fetch("DELETE FROM book_entry WHERE msgid = $1 RETURNING *", msgid)
    ]
    taken += [
        ("relay_log", row)
        for row in await hub_db.fetch(
            "DELETE FROM relay_log WHERE msgid = $1 AND kind = 'request' RETURNING *", msgid
        )
    ]
    return taken


async def _put_back(hub_db: asyncpg.Connection, taken: list[Any], msgids: list[str]) -> None:
    """The taken rows again, and no answer left held: what the test made by hand is gone with
    it."""
    for table, row in taken:
        if table == "book_entry":  # the original entry, not the one the repair booked anew
            await hub_db.execute("DELETE FROM book_entry WHERE book_id = $1", row["book_id"])
        names = list(row.keys())
        await hub_db.execute(
            f"INSERT INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join(f'${i}' for i in range(1, len(names) + 1))}) "
            "ON CONFLICT DO NOTHING",
            *row.values(),
        )
    await hub_db.execute("DELETE FROM held_answer WHERE msgid = ANY($1::text[])", msgids)


async def _answer_again(msgid: str, info: dict[str, Any]) -> None:
    """The insured region's answer to ``msgid`` passes the journal (as a redelivered reply)."""
    from datetime import UTC, datetime, timedelta

    from shared.envelope import MessageKind, RelayEnvelope
    from tests.e2e.relay_client import region_broker

    insured = region_broker(INSURED)
    await insured.connect()
    try:
        await insured.publish(
            "reply.110000.redelivered",
            RelayEnvelope(
                kind=MessageKind.REPLY,
                msgid=msgid,
                infno="2207",
                sender_admdvs=INSURED,
                mdtrtarea_admvs="110000",
                insuplc_admdvs=INSURED,
                fixmedins_code="H11000000001",
                deadline=datetime.now(UTC) + timedelta(seconds=30),
                payload={
                    "setlinfo": info,
                    "setldetail": [{"fund_payamt": info["fund_pay_sumamt"]}],
                },
            ),
        )
    finally:
        await insured.close()


async def _held_unreleased(hub_db: asyncpg.Connection, msgid: str) -> int:
    for _ in range(150):  # read by the journal, and held
        held = int(
            await hub_db.fetchval(
                "SELECT count(*) FROM held_answer WHERE msgid = $1 AND released_at IS NULL", msgid
            )
        )
        if held:
            return held
        await asyncio.sleep(0.1)
    return 0


async def clear_of_midnight(margin_s: float = 180.0) -> None:
    """Wait out China's midnight if it is near: once a day is over the hub's keeper reconciles
    it by itself, and would repair what a test means its own reconciliation to repair."""
    now = clock.now().astimezone(clock.CHINA_TZ)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    left = (tomorrow - now).total_seconds()
    if left < margin_s:
        await asyncio.sleep(left + 2)


async def test_an_answer_whose_request_copy_the_journal_lacks_is_booked_on_the_treating_word(
    ahttp: httpx.AsyncClient, stack: Stack
) -> None:
    """The journal's gap (design §4): the copy of a request never reaches the hub's log, its
    answer does. The answer is held, not booked, until the day's reconciliation reads the
    treating region's statement, which lists that settlement with the same money: then it is
    booked, once. An answer that books other money than the statement lists stays held."""
    await clear_of_midnight()
    clinic = Hospital(ahttp, stack, "H11000000001", "110000")
    person = await filed_person(ahttp, stack)
    _, info, _ = await settled_visit(clinic, person)
    _, other, _ = await settled_visit(clinic, await filed_person(ahttp, stack))
    [entry] = await booked(ahttp, stack, setl_id=info["setl_id"])
    [other_entry] = await booked(ahttp, stack, setl_id=other["setl_id"])
    msgid, other_msgid = entry["msgid"], other_entry["msgid"]
    # the insured region answers other money: a yuan moved between the personal account and
    # the person's cash (the totals still balance, so the books could take it)
    shift = Decimal(1) if Decimal(other["psn_cash_pay"]) >= 1 else Decimal(-1)
    doctored = {
        **other,
        "acct_pay": str(Decimal(other["acct_pay"]) + shift),
        "psn_cash_pay": str(Decimal(other["psn_cash_pay"]) - shift),
    }
    assert Decimal(doctored["acct_pay"]) >= 0, other
    assert Decimal(doctored["psn_cash_pay"]) >= 0, other

    hub_db = await asyncpg.connect(database_url("national_hub", E2E_SUFFIX, driver="postgresql"))
    taken: list[Any] = []
    try:
        taken += await _lose_the_request_copy(hub_db, msgid)
        taken += await _lose_the_request_copy(hub_db, other_msgid)
        await _answer_again(msgid, info)
        await _answer_again(other_msgid, doctored)
        assert await _held_unreleased(hub_db, msgid) == 1
        assert await _held_unreleased(hub_db, other_msgid) == 1
        assert await booked(ahttp, stack, wait_for=0, msgid=msgid) == []
        still_held = await hub_db.fetchval(
            "SELECT count(*) FROM held_answer WHERE released_at IS NULL"
        )

        report = await day_report(ahttp, stack, entry["day"])
        assert msgid in report["repaired"]
        assert other_msgid not in report["repaired"]
        assert report["held_answers"] <= still_held - 1
        assert breaks_of(report, info["setl_id"]) == []
        assert breaks_of(report, other["setl_id"]) == [(other["setl_id"], "hub_missing")]
        [again] = await booked(ahttp, stack, msgid=msgid)
        assert (again["setl_id"], again["fund_pay_sumamt"]) == (
            entry["setl_id"],
            entry["fund_pay_sumamt"],
        )
        assert await booked(ahttp, stack, wait_for=0, msgid=other_msgid) == []
        released_by = await hub_db.fetchval(
            "SELECT released_by FROM held_answer WHERE msgid = $1", msgid
        )
        assert released_by == "treating"
        # a second reconciliation of the day books nothing more
        assert msgid not in (await day_report(ahttp, stack, entry["day"]))["repaired"]
        assert len(await booked(ahttp, stack, wait_for=0, msgid=msgid)) == 1
    finally:
        await _put_back(hub_db, taken, [msgid, other_msgid])
        await hub_db.close()
