"""supervision: co-investigation requests and their batches, audit deductions

Revision ID: 4f7d2c8a1b90
Revises: 8c4f1a9e2d63
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4f7d2c8a1b90"
down_revision: str | None = "8c4f1a9e2d63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "coinvestigation",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("route", sa.String(length=5), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=True),
        sa.Column("medfee_sumamt", MONEY, nullable=False),
        sa.Column("fund_pay_sumamt", MONEY, nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("problems", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("completion_due", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("verdict", sa.String(length=1), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("deduct_amt", MONEY, nullable=True),
        sa.Column("closed_by", sa.String(length=10), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("confirmation_due", sa.Date(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("dispute", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coinvestigation")),
        sa.UniqueConstraint("setl_id", name=op.f("uq_coinvestigation_setl_id")),
    )
    op.create_index("ix_coinvestigation_period", "coinvestigation", ["period"])
    op.create_table(
        "coinvestigation_batch",
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_coinvestigation_batch")),
    )
    op.create_table(
        "audit_deduction",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("book_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_deduction")),
    )
    op.create_index("ix_audit_deduction_setl_id", "audit_deduction", ["setl_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_deduction_setl_id", table_name="audit_deduction")
    op.drop_table("audit_deduction")
    op.drop_table("coinvestigation_batch")
    op.drop_index("ix_coinvestigation_period", table_name="coinvestigation")
    op.drop_table("coinvestigation")
