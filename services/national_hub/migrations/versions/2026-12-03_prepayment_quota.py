"""prepayment quota: a province's quota as the office set it (第二十八条)

Revision ID: 7e3b9d2a4c18
Revises: 5d2a8c1f9e73
Create Date: 2026-12-03 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e3b9d2a4c18"
down_revision: str | None = "5d2a8c1f9e73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prepayment_quota",
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("quota", sa.Numeric(14, 2), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("province", name=op.f("pk_prepayment_quota")),
    )


def downgrade() -> None:
    op.drop_table("prepayment_quota")
