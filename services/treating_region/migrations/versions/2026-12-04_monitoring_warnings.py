"""monitoring warnings: each warning of a month's cost monitoring, raised once

Revision ID: 7b3e9c1d5a20
Revises: 4f6d2b8e1a90
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b3e9c1d5a20"
down_revision: str | None = "4f6d2b8e1a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_warning",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=6), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=30), nullable=False),
        sa.Column("indicator", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(12, 4), nullable=False),
        sa.Column("threshold", sa.Numeric(12, 4), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_warning")),
        sa.UniqueConstraint(
            "month",
            "scope",
            "subject",
            "indicator",
            name=op.f("uq_monitoring_warning_month_scope_subject_indicator"),
        ),
    )


def downgrade() -> None:
    op.drop_table("monitoring_warning")
