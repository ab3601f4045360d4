"""The insured region's tables; several pools share one database, keyed by admdvs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Numeric, String, UniqueConstraint
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
    __table_args__ = (Index("ix_filing_psn_no", "psn_no"),)

    filing_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(2))
    dest_admdvs: Mapped[str] = mapped_column(String(6))
    begndate: Mapped[date] = mapped_column(Date)
    enddate: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
