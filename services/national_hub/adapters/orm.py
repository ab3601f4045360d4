"""The hub's tables: the transaction log of every message and hop, the books, clearing and
prepayment (design §8), and the national person index (design §4)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class RelayLog(Base):
    """One row per message and stage: where the journal saw it go (``insured``, ``treating``,
    ``reply``, ``hub``: outcome ``sent``), what the hub decided (``decision``), and what was
    routed nowhere (``unrouted``) or dead-lettered (``dead``)."""

    __tablename__ = "relay_log"
    __table_args__ = (
        UniqueConstraint("relay_id", "kind", "stage"),
        Index("ix_relay_log_msgid", "msgid"),
        Index("ix_relay_log_received_at", "received_at"),
        Index("ix_relay_log_psn_no", "psn_no"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    relay_id: Mapped[str] = mapped_column(String(36))
    msgid: Mapped[str] = mapped_column(String(40))
    infno: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(10))
    sender_admdvs: Mapped[str] = mapped_column(String(6))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str | None] = mapped_column(String(12))
    route: Mapped[str | None] = mapped_column(String(5))
    outcome: Mapped[str] = mapped_column(String(10))
    err_code: Mapped[str | None] = mapped_column(String(5))
    err_detail: Mapped[str | None] = mapped_column(String(500))
    psn_no: Mapped[str | None] = mapped_column(String(30))
    certno_masked: Mapped[str | None] = mapped_column(String(30))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonIndex(Base):
    """The national person index (design §4): certificate → insured region, for 1101 without it.

    The certificate is kept only as a keyed hash (``shared.messaging.person_index``); no names.
    ``updated_at`` is the enrolment time the insured region stated: the later enrolment wins.
    """

    __tablename__ = "person_index"

    certno_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    psn_cert_type: Mapped[str] = mapped_column(String(2), primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JournalOffset(Base):
    """How far the hub has read a stream into its log: the next offset to read, written in the
    same transaction as the rows it read (design §4)."""

    __tablename__ = "journal_offset"

    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HeldAnswer(Base):
    """An insured region's answer that would book, read from the journal before (or without)
    the copy of the request it answers: held, not booked, until the request's copy passes or
    the treating region's day statement lists exactly what it books (design §4, "How the books
    mend it"). Kept once released, with how, as the record of the repair."""

    __tablename__ = "held_answer"
    __table_args__ = (
        Index("ix_held_answer_unreleased", "msgid", postgresql_where=text("released_at IS NULL")),
    )

    msgid: Mapped[str] = mapped_column(String(40), primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(6), primary_key=True)
    infno: Mapped[str] = mapped_column(String(8))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str | None] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(10))
    """``request``: its request's copy came after it; ``treating``: the treating region's
    statement vouched for the request; ``expired``: neither, in ``HELD_DAYS`` (never booked)."""


MONEY = Numeric(14, 2)


class BookEntry(Base):
    """The hub's books (design §8): one row per settlement, cancel mirror, or void of a mirror,
    booked once from the journal (``book_id``: the ``setl_id``, or ``<setl_id>/void``).

    ``day`` is the settlement's business day; ``payer``/``payee`` who clears it (None: care in
    one's own pool); ``cleared_month`` the clearing that took it (None: not cleared yet)."""

    __tablename__ = "book_entry"
    __table_args__ = (
        Index("ix_book_entry_day", "day"),
        Index("ix_book_entry_setl_id", "setl_id"),
        Index("ix_book_entry_msgid", "msgid"),
        Index("ix_book_entry_init_setl_id", "init_setl_id"),
        Index(
            "ix_book_entry_uncleared",
            "payer",
            postgresql_where=text("cleared_month IS NULL AND payer IS NOT NULL"),
        ),
    )

    book_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    setl_id: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    payer: Mapped[str | None] = mapped_column(String(6))
    payee: Mapped[str | None] = mapped_column(String(6))
    route: Mapped[str | None] = mapped_column(String(5))
    fixmedins_code: Mapped[str | None] = mapped_column(String(12))
    psn_no: Mapped[str] = mapped_column(String(30))
    mdtrt_id: Mapped[str] = mapped_column(String(30))
    msgid: Mapped[str] = mapped_column(String(40))
    infno: Mapped[str] = mapped_column(String(4))
    insutype: Mapped[str] = mapped_column(String(3))
    clr_type: Mapped[str | None] = mapped_column(String(3))
    init_setl_id: Mapped[str | None] = mapped_column(String(30))
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    fund_pay_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    hifp_pay: Mapped[Decimal] = mapped_column(MONEY)
    hifob_pay: Mapped[Decimal] = mapped_column(MONEY)
    hifmi_pay: Mapped[Decimal] = mapped_column(MONEY)
    cvlserv_pay: Mapped[Decimal] = mapped_column(MONEY)
    maf_pay: Mapped[Decimal] = mapped_column(MONEY)
    oth_pay: Mapped[Decimal] = mapped_column(MONEY)
    acct_pay: Mapped[Decimal] = mapped_column(MONEY)
    psn_cash_pay: Mapped[Decimal] = mapped_column(MONEY)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cleared_month: Mapped[str | None] = mapped_column(String(6))


class Clearing(Base):
    """A month's clearing (seed 003 第四十七条): generated once, then confirmed by each side."""

    __tablename__ = "clearing"

    month: Mapped[str] = mapped_column(String(6), primary_key=True)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entries: Mapped[int] = mapped_column(Integer)


class ClearingConfirmation(Base):
    """A party's confirmation of a month's clearing: the treating side of what it receives,
    the insured side of what it pays (seed 003 第四十七条)."""

    __tablename__ = "clearing_confirmation"

    month: Mapped[str] = mapped_column(String(6), primary_key=True)
    party: Mapped[str] = mapped_column(String(6), primary_key=True)
    side: Mapped[str] = mapped_column(String(8), primary_key=True)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrepaymentEvent(Base):
    """A warning on an insured province's prepayment fund (seed 003 第二十六条): raised when its
    usage crosses 70 % (yellow) or 90 % (red, with an emergency top-up request), and ``clear``
    when clearing brings it back under 70 %."""

    __tablename__ = "prepayment_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    province: Mapped[str] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(8))
    usage: Mapped[Decimal] = mapped_column(MONEY)
    quota: Mapped[Decimal] = mapped_column(MONEY)
    ratio: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    topup_requested: Mapped[bool] = mapped_column(Boolean)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrepaymentQuota(Base):
    """A province's quota as the office set it (第二十八条: fixed each January, raised by an
    emergency top-up); without one, the settings' or the computed quota holds."""

    __tablename__ = "prepayment_quota"

    province: Mapped[str] = mapped_column(String(6), primary_key=True)
    quota: Mapped[Decimal] = mapped_column(MONEY)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrepaymentDay(Base):
    """A province's prepayment gauge as it stood at the end of a business day (the keeper
    writes the day's latest), for the gauges over time."""

    __tablename__ = "prepayment_day"

    province: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    usage: Mapped[Decimal] = mapped_column(MONEY)
    quota: Mapped[Decimal] = mapped_column(MONEY)
    ratio: Mapped[Decimal] = mapped_column(Numeric(8, 4))


class OutboxRow(Base):
    """Messages the hub owes the regions after a write — its prepayment warnings — published by
    ``shared.messaging.outbox``; deleted once the broker confirmed them."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due_at", "due_at"),)

    relay_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exchange: Mapped[str] = mapped_column(String(40))
    routing_key: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InstitutionConfirmation(Base):
    """An institution's confirmation of its rows in a month's clearing (3261), with the count
    and amount it confirmed."""

    __tablename__ = "clearing_institution_confirmation"

    month: Mapped[str] = mapped_column(String(6), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Coinvestigation(Base):
    """A co-investigation request (疑似违规费用协查, seed 003 第六十三条): one per settlement,
    raised by its insured region, in the batch of the period it was raised in, answered by the
    treating region and confirmed by the insured one. ``request`` holds the fields the requester
    sent (personal data: read masked unless the reader has the right)."""

    __tablename__ = "coinvestigation"
    __table_args__ = (
        UniqueConstraint("setl_id"),
        Index("ix_coinvestigation_period", "period"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    setl_id: Mapped[str] = mapped_column(String(30))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    route: Mapped[str] = mapped_column(String(5))
    fixmedins_code: Mapped[str | None] = mapped_column(String(12))
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    fund_pay_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    problems: Mapped[list[str]] = mapped_column(JSONB)
    raised_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(6))
    completion_due: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    extensions: Mapped[int] = mapped_column(Integer)
    answer_due: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str | None] = mapped_column(String(1))
    reason: Mapped[str | None] = mapped_column(String(500))
    deduct_amt: Mapped[Decimal | None] = mapped_column(MONEY)
    closed_by: Mapped[str | None] = mapped_column(String(10))
    answered_on: Mapped[date | None] = mapped_column(Date)
    confirmation_due: Mapped[date | None] = mapped_column(Date)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    dispute: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CoinvestigationBatch(Base):
    """A period's batch of requests (协查申请汇总表), published at 0:00 on the 26th: the requests
    it holds are fixed from then on (第六十三条(二))."""

    __tablename__ = "coinvestigation_batch"

    period: Mapped[str] = mapped_column(String(6), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requests: Mapped[int] = mapped_column(Integer)


class AuditDeduction(Base):
    """A deduction from the treating region's review (审核扣款, seed 003 第四十三、四十六条):
    agreed ones are booked at once, disputed ones when upheld (``book_id``: the booking)."""

    __tablename__ = "audit_deduction"
    __table_args__ = (Index("ix_audit_deduction_setl_id", "setl_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    setl_id: Mapped[str] = mapped_column(String(30))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10))
    raised_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    book_id: Mapped[str | None] = mapped_column(String(40))
