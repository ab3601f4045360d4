"""platform notices: what the platform told the region (its prepayment warnings)

Revision ID: 6e2d9b4c1f83
Revises: 3c7e91d04b52
Create Date: 2026-12-03 11:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6e2d9b4c1f83"
down_revision: str | None = "3c7e91d04b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_notice",
        sa.Column("relay_id", sa.String(length=36), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("infno", sa.String(length=8), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("relay_id", name=op.f("pk_platform_notice")),
    )


def downgrade() -> None:
    op.drop_table("platform_notice")
