"""The hub's tables: the transaction log of every message and hop (design §8), and the
national person index (design §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, UniqueConstraint
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
