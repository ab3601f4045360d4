"""The treating region's tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class HospitalMessage(Base):
    """Every hospital call by msgid: the idempotency key and what the hospital was answered."""

    __tablename__ = "hospital_message"
    __table_args__ = (Index("ix_hospital_message_relay_id", "relay_id"),)

    msgid: Mapped[str] = mapped_column(String(40), primary_key=True)
    infno: Mapped[str] = mapped_column(String(4))
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    body_hash: Mapped[str] = mapped_column(String(64))
    relay_id: Mapped[str | None] = mapped_column(String(36))
    inf_refmsgid: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))
    """pending → ok | error | unknown; unknown → late_ok | late_error when a late reply lands."""
    err_code: Mapped[str | None] = mapped_column(String(5))
    err_detail: Mapped[str | None] = mapped_column(String(500))
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sign_no: Mapped[str | None] = mapped_column(String(64))
    """The 9001 sign-in the call was made under, as the hospital sent it."""
    forced: Mapped[str | None] = mapped_column(String(60))
    """The conformance kit's rule that forced this outcome (design §8b): never a real fault."""


MONEY = Numeric(14, 2)


class Visit(Base):
    """An admission (2401) or an outpatient visit (2201), keyed by the insured side's mdtrt_id."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_psn_no", "psn_no"),)

    mdtrt_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    psn_no: Mapped[str] = mapped_column(String(30))
    insutype: Mapped[str] = mapped_column(String(3))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    inpatient: Mapped[bool] = mapped_column(Boolean)
    med_type: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(12))
    begntime: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    endtime: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    trum_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    rel_ttp_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    ipt_otp_no: Mapped[str | None] = mapped_column(String(30))
    opsp_dise_code: Mapped[str | None] = mapped_column(String(10))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """What the hospital said about the visit (diagnoses, department, doctor), as sent."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeeLine(Base):
    """One uploaded fee line and its split by the treating region's catalogue (design §5)."""

    __tablename__ = "fee_line"
    __table_args__ = (
        UniqueConstraint("mdtrt_id", "feedetl_sn"),
        Index("ix_fee_line_msgid", "msgid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    mdtrt_id: Mapped[str] = mapped_column(ForeignKey("visit.mdtrt_id", ondelete="CASCADE"))
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    init_feedetl_sn: Mapped[str | None] = mapped_column(String(30))
    med_list_codg: Mapped[str] = mapped_column(String(50))
    medins_list_codg: Mapped[str | None] = mapped_column(String(50))
    fee_ocur_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pric: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    cnt: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    det_item_fee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    fulamt_ownpay_amt: Mapped[Decimal] = mapped_column(MONEY)
    overlmt_amt: Mapped[Decimal] = mapped_column(MONEY)
    preselfpay_amt: Mapped[Decimal] = mapped_column(MONEY)
    inscp_scp_amt: Mapped[Decimal] = mapped_column(MONEY)
    pric_uplmt_amt: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    selfpay_prop: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    chrgitm_lv: Mapped[str] = mapped_column(String(2))
    med_chrgitm_type: Mapped[str] = mapped_column(String(2))
    in_catalogue: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10))
    """active · cancelled (2302/2205)."""
    setl_id: Mapped[str | None] = mapped_column(String(30))
    msgid: Mapped[str | None] = mapped_column(String(40))
    """The 2301/2204 that uploaded it: what a 2601 of that upload takes back."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Settlement(Base):
    """A settlement as the hospital sees it, with the category totals that were sent."""

    __tablename__ = "settlement"
    __table_args__ = (
        UniqueConstraint("msgid"),
        Index("ix_settlement_mdtrt_id", "mdtrt_id"),
    )

    setl_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(ForeignKey("visit.mdtrt_id"))
    msgid: Mapped[str] = mapped_column(String(40))
    infno: Mapped[str] = mapped_column(String(4))
    psn_no: Mapped[str] = mapped_column(String(30))
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    refd_setl_flag: Mapped[str] = mapped_column(String(1))
    init_setl_id: Mapped[str | None] = mapped_column(String(30))
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    fund_pay_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    acct_pay: Mapped[Decimal] = mapped_column(MONEY)
    psn_cash_pay: Mapped[Decimal] = mapped_column(MONEY)
    setlinfo: Mapped[dict[str, Any]] = mapped_column(JSONB)
    setldetail: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    categories: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RequestNonce(Base):
    """Nonces seen within the signature window, shared by every gateway process (design §3)."""

    __tablename__ = "request_nonce"
    __table_args__ = (Index("ix_request_nonce_seen_at", "seen_at"),)

    paasid: Mapped[str] = mapped_column(String(64), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(20), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignIn(Base):
    """A 9001 sign-in (签到): the ``sign_no`` an institution's operator sends on later calls."""

    __tablename__ = "sign_in"
    __table_args__ = (Index("ix_sign_in_fixmedins_code", "fixmedins_code"),)

    sign_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    opter_no: Mapped[str | None] = mapped_column(String(50))
    mac: Mapped[str | None] = mapped_column(String(50))
    ip: Mapped[str | None] = mapped_column(String(50))
    signed_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatementFile(Base):
    """A reconciliation file (design §8): a hospital's 3202 detail upload (9101, ``upload``) or
    the result file the treating region wrote for it (``result``, fetched by 9102). Each
    belongs to one institution, which alone may use or read it."""

    __tablename__ = "statement_file"

    file_qury_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MonitoringWarning(Base):
    """A warning of the monthly cost monitoring (监控预警, seed 003 第五十九条): an indicator of an
    institution or a region pair past its threshold, raised once per month."""

    __tablename__ = "monitoring_warning"
    __table_args__ = (UniqueConstraint("month", "scope", "subject", "indicator"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(6))
    scope: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(30))
    indicator: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    threshold: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    message: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SelfPaidVisit(Base):
    """A visit the hospital could not settle directly, paid in full by the person, uploaded
    with its fee lines and diagnoses for manual reimbursement (零星报销, seed 003 第四条(二)、
    第十五条; 三(三)); ``claim`` is what the insured region paid on it, once claimed."""

    __tablename__ = "selfpaid_visit"
    __table_args__ = (
        UniqueConstraint("fixmedins_code", "ipt_otp_no"),
        Index("ix_selfpaid_visit_psn_no", "psn_no"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    psn_no: Mapped[str] = mapped_column(String(30))
    insutype: Mapped[str] = mapped_column(String(3))
    med_type: Mapped[str] = mapped_column(String(3))
    ipt_otp_no: Mapped[str] = mapped_column(String(30))
    begntime: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    endtime: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    visit: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """As the hospital sent it: diagnoses, lines, the reason it was not settled directly."""
    request_hash: Mapped[str] = mapped_column(String(64))
    claim: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConformanceSession(Base):
    """A conformance-kit test session (design §8b): one institution, the scenarios it is judged
    on, and their parameters."""

    __tablename__ = "conformance_session"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12), index=True)
    scenarios: Mapped[list[str]] = mapped_column(JSONB)
    lost_reply_minutes: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    slow_reply_seconds: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConformanceEvent(Base):
    """What a session saw its institution do: each gateway call with its answer, each read of a
    message's outcome (personal data masked)."""

    __tablename__ = "conformance_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conformance_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(4))
    msgid: Mapped[str] = mapped_column(String(40))
    infno: Mapped[str] = mapped_column(String(10))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    err_code: Mapped[str | None] = mapped_column(String(5))
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    forced: Mapped[str | None] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ForcedOutcomeRule(Base):
    """A forced outcome (design §8b): which of an institution's calls, and what to make of them;
    an operator's, or armed by a session's negative scenario (then removed at its close)."""

    __tablename__ = "forced_outcome_rule"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(16))
    infnos: Mapped[list[str]] = mapped_column(JSONB)
    msgid: Mapped[str | None] = mapped_column(String(40))
    psn_no: Mapped[str | None] = mapped_column(String(40))
    min_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    max_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    err_code: Mapped[str | None] = mapped_column(String(5))
    err_msg: Mapped[str | None] = mapped_column(String(200))
    delay_s: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    remaining: Mapped[int | None] = mapped_column(BigInteger)
    session_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("conformance_session.id", ondelete="CASCADE")
    )
    scenario: Mapped[str | None] = mapped_column(String(20))
    """The session's scenario that armed it."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
