"""The insured region's tables; several pools share one database, keyed by admdvs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class PersonRow(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("insuplc_admdvs", "psn_cert_type", "certno"),)

    psn_no: Mapped[str] = mapped_column(String(30), primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    psn_cert_type: Mapped[str] = mapped_column(String(2))
    certno: Mapped[str] = mapped_column(String(30))
    psn_name: Mapped[str] = mapped_column(String(50))
    gend: Mapped[str] = mapped_column(String(1))
    naty: Mapped[str] = mapped_column(String(2))
    brdy: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    insurances: Mapped[list[InsuranceRow]] = relationship(lazy="raise", order_by="InsuranceRow.id")
    identities: Mapped[list[IdentityRow]] = relationship(lazy="raise", order_by="IdentityRow.id")
    filings: Mapped[list[FilingRow]] = relationship(lazy="raise", order_by="FilingRow.begndate")
    chronic_filings: Mapped[list[ChronicFilingRow]] = relationship(
        lazy="raise", order_by="ChronicFilingRow.begndate"
    )


class InsuranceRow(Base):
    __tablename__ = "insurance"
    __table_args__ = (UniqueConstraint("psn_no", "insutype"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no", ondelete="CASCADE"))
    insutype: Mapped[str] = mapped_column(String(3))
    psn_type: Mapped[str] = mapped_column(String(2))
    psn_insu_stas: Mapped[str] = mapped_column(String(1))
    psn_insu_date: Mapped[date] = mapped_column(Date)
    cvlserv_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    balc: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    emp_name: Mapped[str | None] = mapped_column(String(100))


class IdentityRow(Base):
    __tablename__ = "identity"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no", ondelete="CASCADE"))
    psn_idet_type: Mapped[str] = mapped_column(String(6))
    begntime: Mapped[date] = mapped_column(Date)
    endtime: Mapped[date | None] = mapped_column(Date)


class FilingRow(Base):
    """备案 (design §6); the rules that govern it arrive with the filing issue."""

    __tablename__ = "filing"
    __table_args__ = (Index("ix_filing_psn_no", "psn_no"), UniqueConstraint("msgid"))

    filing_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(2))
    dest_admdvs: Mapped[str] = mapped_column(String(6))
    begndate: Mapped[date] = mapped_column(Date)
    enddate: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    commitment: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    materials_complete: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    msgid: Mapped[str | None] = mapped_column(String(40))
    """The hospital's 2501 that made it (none at the counter): idempotency key and 2601 handle."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChronicFilingRow(Base):
    """门诊慢特病备案 (2503/2504)."""

    __tablename__ = "chronic_filing"
    __table_args__ = (Index("ix_chronic_filing_psn_no", "psn_no"), UniqueConstraint("msgid"))

    filing_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no", ondelete="CASCADE"))
    opsp_dise_code: Mapped[str] = mapped_column(String(10))
    begndate: Mapped[date] = mapped_column(Date)
    enddate: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    msgid: Mapped[str | None] = mapped_column(String(40))
    """The hospital's 2503 that made it, if a hospital did."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


MONEY = Numeric(14, 2)


class AccumulatorRow(Base):
    """One person-year; settlements lock this row so concurrent ones serialize (design §7)."""

    __tablename__ = "accumulator"

    psn_no: Mapped[str] = mapped_column(
        ForeignKey("person.psn_no", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    inpatient_hifp: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    inpatient_stays: Mapped[int] = mapped_column(Integer, default=0)
    outpatient_hifp: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    outpatient_deductible: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    hifob: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    hifmi: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    burden: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    maf: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    chronic: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


SETTLEMENT_SEQ = Sequence("settlement_seq", metadata=Base.metadata)


class SettlementRow(Base):
    """A settlement as the insurer sees it; a cancel is a negative mirror row (design §7)."""

    __tablename__ = "settlement"
    __table_args__ = (
        UniqueConstraint("medins_setl_id"),
        UniqueConstraint("init_setl_id"),
        Index("ix_settlement_psn_no", "psn_no"),
        Index("ix_settlement_mdtrt_id", "mdtrt_id"),
    )

    setl_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(String(30))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    insutype: Mapped[str] = mapped_column(String(3))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    medins_setl_id: Mapped[str] = mapped_column(String(40))
    """The hospital's msgid of the settle or cancel call (codes.md)."""
    infno: Mapped[str] = mapped_column(String(4))
    med_type: Mapped[str] = mapped_column(String(3))
    request_hash: Mapped[str] = mapped_column(String(64))
    setl_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    year: Mapped[int] = mapped_column(Integer)
    refd_setl_flag: Mapped[str] = mapped_column(String(1))
    init_setl_id: Mapped[str | None] = mapped_column(String(30))
    filing_category: Mapped[str | None] = mapped_column(String(2))
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    fulamt_ownpay_amt: Mapped[Decimal] = mapped_column(MONEY)
    overlmt_selfpay: Mapped[Decimal] = mapped_column(MONEY)
    preselfpay_amt: Mapped[Decimal] = mapped_column(MONEY)
    inscp_scp_amt: Mapped[Decimal] = mapped_column(MONEY)
    act_pay_dedc: Mapped[Decimal] = mapped_column(MONEY)
    hifp_pay: Mapped[Decimal] = mapped_column(MONEY)
    pool_prop_selfpay: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    hifob_pay: Mapped[Decimal] = mapped_column(MONEY)
    hifmi_pay: Mapped[Decimal] = mapped_column(MONEY)
    cvlserv_pay: Mapped[Decimal] = mapped_column(MONEY)
    maf_pay: Mapped[Decimal] = mapped_column(MONEY)
    oth_pay: Mapped[Decimal] = mapped_column(MONEY)
    fund_pay_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    psn_part_amt: Mapped[Decimal] = mapped_column(MONEY)
    acct_pay: Mapped[Decimal] = mapped_column(MONEY)
    psn_cash_pay: Mapped[Decimal] = mapped_column(MONEY)
    balc: Mapped[Decimal] = mapped_column(MONEY)
    details: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    trace: Mapped[list[str]] = mapped_column(JSONB)
    delta: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReversalTombstone(Base):
    """A 2601 that arrived before its original: the late original is refused (design §4)."""

    __tablename__ = "reversal_tombstone"

    omsgid: Mapped[str] = mapped_column(String(40), primary_key=True)
    oinfno: Mapped[str] = mapped_column(String(4))
    msgid: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReversalRow(Base):
    """What a 2601 did to something other than a settlement, so that its repeat answers the same.

    (A settlement's reversal is its negative mirror row, kept under the 2601's msgid.)
    """

    __tablename__ = "reversal"
    __table_args__ = (UniqueConstraint("omsgid"),)

    msgid: Mapped[str] = mapped_column(String(40), primary_key=True)
    omsgid: Mapped[str] = mapped_column(String(40))
    oinfno: Mapped[str] = mapped_column(String(4))
    answer: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OwedReplyRow(Base):
    """Transactional outbox (design §4): a reply owed for an effect committed with this row.

    Written in the effect's transaction, deleted once the reply is confirmed by the broker; a
    row left behind (the process died in between) is published by the outbox relay.
    """

    __tablename__ = "owed_reply"
    __table_args__ = (Index("ix_owed_reply_created_at", "created_at"),)

    relay_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    msgid: Mapped[str] = mapped_column(String(40))
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The request envelope, which says where the reply goes."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """Messages owed to the hub after a write, such as enrolment events (shared.messaging.outbox).

    Written in the write's transaction; deleted once the broker confirmed the publish.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due_at", "due_at"),)

    relay_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exchange: Mapped[str] = mapped_column(String(40))
    routing_key: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlatformNotice(Base):
    """What the platform told this region (design §8): its province's prepayment warnings, one
    row per event (``relay_id``: a redelivery is the same row)."""

    __tablename__ = "platform_notice"

    relay_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    infno: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
