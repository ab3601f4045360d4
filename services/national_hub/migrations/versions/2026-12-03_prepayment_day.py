"""prepayment day: each province's gauge at the end of each business day (gauges over time)

Revision ID: 9a1c5e7f3b26
Revises: 7e3b9d2a4c18
Create Date: 2026-12-03 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a1c5e7f3b26"
down_revision: str | None = "7e3b9d2a4c18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prepayment_day",
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("usage", sa.Numeric(14, 2), nullable=False),
        sa.Column("quota", sa.Numeric(14, 2), nullable=False),
        sa.Column("ratio", sa.Numeric(8, 4), nullable=False),
        sa.PrimaryKeyConstraint("province", "day", name=op.f("pk_prepayment_day")),
    )


def downgrade() -> None:
    op.drop_table("prepayment_day")
