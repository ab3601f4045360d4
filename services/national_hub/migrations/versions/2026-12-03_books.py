"""books: the hub's book entries, clearings and their confirmations, prepayment events (design §8)

Revision ID: 5d2a8c1f9e73
Revises: 3c91d7a4e2b5
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2a8c1f9e73"
down_revision: str | None = "3c91d7a4e2b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)
AMOUNTS = (
    "medfee_sumamt", "fund_pay_sumamt", "hifp_pay", "hifob_pay", "hifmi_pay", "cvlserv_pay",
    "maf_pay", "oth_pay", "acct_pay", "psn_cash_pay",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "book_entry",
        sa.Column("book_id", sa.String(length=40), nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("payer", sa.String(length=6), nullable=True),
        sa.Column("payee", sa.String(length=6), nullable=True),
        sa.Column("route", sa.String(length=5), nullable=True),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=True),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("msgid", sa.String(length=40), nullable=False),
        sa.Column("infno", sa.String(length=4), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("clr_type", sa.String(length=3), nullable=True),
        sa.Column("init_setl_id", sa.String(length=30), nullable=True),
        *(sa.Column(name, MONEY, nullable=False) for name in AMOUNTS),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_month", sa.String(length=6), nullable=True),
        sa.PrimaryKeyConstraint("book_id", name=op.f("pk_book_entry")),
    )
    op.create_index("ix_book_entry_day", "book_entry", ["day"])
    op.create_index("ix_book_entry_setl_id", "book_entry", ["setl_id"])
    op.create_index("ix_book_entry_msgid", "book_entry", ["msgid"])
    op.create_index(
        "ix_book_entry_uncleared",
        "book_entry",
        ["payer"],
        postgresql_where=sa.text("cleared_month IS NULL AND payer IS NOT NULL"),
    )
    op.create_table(
        "clearing",
        sa.Column("month", sa.String(length=6), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_clearing")),
    )
    op.create_table(
        "clearing_confirmation",
        sa.Column("month", sa.String(length=6), nullable=False),
        sa.Column("party", sa.String(length=6), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", "party", "side", name=op.f("pk_clearing_confirmation")),
    )
    op.create_table(
        "prepayment_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("usage", MONEY, nullable=False),
        sa.Column("quota", MONEY, nullable=False),
        sa.Column("ratio", sa.Numeric(8, 4), nullable=False),
        sa.Column("topup_requested", sa.Boolean(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepayment_event")),
    )


def downgrade() -> None:
    op.drop_table("prepayment_event")
    op.drop_table("clearing_confirmation")
    op.drop_table("clearing")
    op.drop_table("book_entry")
