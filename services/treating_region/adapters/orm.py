"""The treating region's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class HospitalMessage(Base):
    """Every hospital call by msgid: the idempotency key and what the hospital was answered."""

    __tablename__ = "hospital_message"
    __table_args__ = (Index("ix_hospital_message_relay_id", "relay_id"),)

    msgid: Mapped[str] = mapped_column(String(30), primary_key=True)
    infno: Mapped[str] = mapped_column(String(4))
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    body_hash: Mapped[str] = mapped_column(String(64))
    relay_id: Mapped[str | None] = mapped_column(String(36))
    inf_refmsgid: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12))
    """pending → ok | error | unknown; unknown → late_ok | late_error when a late reply lands."""
    err_code: Mapped[str | None] = mapped_column(String(5))
    err_detail: Mapped[str | None] = mapped_column(String(500))
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
