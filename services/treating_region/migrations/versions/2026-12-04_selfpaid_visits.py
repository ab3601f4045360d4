"""selfpaid visits: visits paid in full by the person, uploaded for manual reimbursement

Revision ID: 2c8f4a6e9d13
Revises: 7b3e9c1d5a20
Create Date: 2026-12-04 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2c8f4a6e9d13"
down_revision: str | None = "7b3e9c1d5a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selfpaid_visit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("med_type", sa.String(length=3), nullable=False),
        sa.Column("ipt_otp_no", sa.String(length=30), nullable=False),
        sa.Column("begntime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endtime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("medfee_sumamt", sa.Numeric(14, 2), nullable=False),
        sa.Column("visit", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("claim", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfpaid_visit")),
        sa.UniqueConstraint(
            "fixmedins_code",
            "ipt_otp_no",
            name=op.f("uq_selfpaid_visit_fixmedins_code_ipt_otp_no"),
        ),
    )
    op.create_index("ix_selfpaid_visit_psn_no", "selfpaid_visit", ["psn_no"])


def downgrade() -> None:
    op.drop_index("ix_selfpaid_visit_psn_no", table_name="selfpaid_visit")
    op.drop_table("selfpaid_visit")
